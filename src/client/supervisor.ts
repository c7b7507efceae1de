// The supervisor's client (Supervisor, SPEC 9.3): it reads any interaction and workbin, places and
// stops work, forces agents to log out or be not ready, and takes snapshots of queues and
// workbins. A snapshot and its locks live as long as the connection: after a drop the server has
// released them, so the SDK forgets them too and tells the application ('snapshotsLost'), which
// takes new ones if it still needs them. The reporting stream is read with a ReportingClient.

import { InteractionClient, type InteractionEvents } from './interaction-client.js';
import type { AnswerTo, RequestBody } from './protocol.js';

export interface SupervisorEvents extends InteractionEvents {
  /** The connection that held these snapshots dropped: the server released them and their locks. */
  snapshotsLost: { snapshotIds: number[] };
}

export class SupervisorClient extends InteractionClient<SupervisorEvents> {
  protected readonly clientType = 'Supervisor';
  /** The snapshots this connection holds, so that a drop can say which ones it took away. */
  private readonly snapshots = new Set<number>();

  placeInQueue(body: RequestBody<'RequestPlaceInQueue'>): Promise<AnswerTo<'RequestPlaceInQueue'>> {
    return this.placeInQueueRequest(body);
  }

  placeInWorkbin(body: RequestBody<'RequestPlaceInWorkbin'>): Promise<AnswerTo<'RequestPlaceInWorkbin'>> {
    return this.placeInWorkbinRequest(body);
  }

  forceAgentLogout(body: RequestBody<'RequestForceAgentLogout'>): Promise<AnswerTo<'RequestForceAgentLogout'>> {
    return this.request('RequestForceAgentLogout', body);
  }

  forceNotReady(body: RequestBody<'RequestForceNotReady'>): Promise<AnswerTo<'RequestForceNotReady'>> {
    return this.request('RequestForceNotReady', body);
  }

  /** Resolves with EventSnapshotTaken {snapshotId, numberOfInteractions}. */
  takeSnapshot(body: RequestBody<'RequestTakeSnapshot'>): Promise<AnswerTo<'RequestTakeSnapshot'>> {
    return this.request('RequestTakeSnapshot', body, { onAnswer: (answer) => this.snapshots.add(answer.snapshotId as number) });
  }

  /** One page: EventSnapshotInteractions {snapshotId, from, interactions}. */
  getSnapshotInteractions(body: RequestBody<'RequestGetSnapshotInteractions'>): Promise<AnswerTo<'RequestGetSnapshotInteractions'>> {
    return this.request('RequestGetSnapshotInteractions', body);
  }

  /** Every interaction of a snapshot, page by page (`count` each, default 100), in the snapshot's order. */
  async *snapshotInteractions(snapshotId: number, count = 100): AsyncIterableIterator<AnswerTo<'RequestGetSnapshotInteractions'>['interactions'][number]> {
    for (let from = 0; ; from += count) {
      const page = await this.getSnapshotInteractions({ snapshotId, from, count });
      yield* page.interactions;
      if (page.interactions.length < count) return;
    }
  }

  releaseSnapshot(body: RequestBody<'RequestReleaseSnapshot'>): Promise<AnswerTo<'RequestReleaseSnapshot'>> {
    this.snapshots.delete(body.snapshotId);
    return this.request('RequestReleaseSnapshot', body);
  }

  unlockInteraction(body: RequestBody<'RequestUnlockInteraction'>): Promise<AnswerTo<'RequestUnlockInteraction'>> {
    return this.request('RequestUnlockInteraction', body);
  }

  /** Resolves with EventInteractionsMoved {moved, skipped}. */
  moveInteractions(body: RequestBody<'RequestMoveInteractions'>): Promise<AnswerTo<'RequestMoveInteractions'>> {
    return this.request('RequestMoveInteractions', body);
  }

  protected override async restore(): Promise<void> {
    if (this.snapshots.size > 0) {
      const snapshotIds = [...this.snapshots];
      this.snapshots.clear();
      this.emit('snapshotsLost', { snapshotIds });
    }
    await super.restore();
  }
}
