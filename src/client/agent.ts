// The agent desktop's client (AgentApplication). Besides the requests, it keeps the agent's
// login, its media readiness as last set through the SDK and its workbin subscriptions, and
// redoes them on every new connection: the desktop finds its owned work in the 'loggedIn' event
// after a drop or a server restart, as SPEC section 5 promises a desktop that logs in again.

import { InteractionClient, type InteractionEvents } from './interaction-client.js';
import type { AnswerTo, ClientEvent, Interaction, RequestBody } from './protocol.js';

export interface AgentEvents extends InteractionEvents {
  EventInvite: ClientEvent<'EventInvite'>;
  EventRevoked: ClientEvent<'EventRevoked'>;
  /** The owner's transfer or conference invite ended without an accept (SPEC 9.1 step 4). */
  EventTransferFailed: ClientEvent<'EventTransferFailed'>;
  /** Another agent joined, or took over, an interaction this agent handles (SPEC 9.1, 9.2). */
  EventPartyAdded: ClientEvent<'EventPartyAdded'>;
  /** Another party left an interaction this agent handles; `ownerId` is the owner afterwards. */
  EventPartyRemoved: ClientEvent<'EventPartyRemoved'>;
  /** A supervisor logged the agent out or made it not ready (SPEC 9.3 step 1). */
  EventForcedAgentStateChange: ClientEvent<'EventForcedAgentStateChange'>;
  /** A login's EventAck: the interactions the agent owns. `restored` when the SDK logged in again on a new connection. */
  loggedIn: { agentId: string; placeId: string; interactions: Interaction[]; restored: boolean };
}

interface Login {
  agentId: string;
  placeId: string;
  skills: Record<string, number> | undefined;
}

interface Readiness {
  ready: boolean;
  reason: string | undefined;
}

export class AgentClient extends InteractionClient<AgentEvents> {
  protected readonly clientType = 'AgentApplication';
  private login: Login | null = null;
  private readonly media = new Map<string, Readiness>();

  /** Logs in (again: sets place, media and skills, replacing). Resolves with the EventAck listing the owned interactions. */
  agentLogin(body: RequestBody<'RequestAgentLogin'>): Promise<AnswerTo<'RequestAgentLogin'>> {
    return this.request('RequestAgentLogin', body, { onAnswer: (answer) => this.onLoggedIn(body, answer.interactions as Interaction[] | undefined, false) });
  }

  /** Logs out. The SDK forgets the login when it sends this, so a lost answer never logs the agent in again. */
  agentLogout(): Promise<AnswerTo<'RequestAgentLogout'>> {
    this.login = null;
    this.media.clear();
    return this.request('RequestAgentLogout', {});
  }

  notReadyForMedia(body: RequestBody<'RequestNotReadyForMedia'>): Promise<AnswerTo<'RequestNotReadyForMedia'>> {
    return this.request('RequestNotReadyForMedia', body, { onAnswer: () => this.media.set(body.mediaType, { ready: false, reason: body.reason }) });
  }

  cancelNotReadyForMedia(body: RequestBody<'RequestCancelNotReadyForMedia'>): Promise<AnswerTo<'RequestCancelNotReadyForMedia'>> {
    return this.request('RequestCancelNotReadyForMedia', body, { onAnswer: () => this.media.set(body.mediaType, { ready: true, reason: undefined }) });
  }

  accept(body: RequestBody<'RequestAccept'>): Promise<AnswerTo<'RequestAccept'>> {
    return this.request('RequestAccept', body);
  }

  reject(body: RequestBody<'RequestReject'>): Promise<AnswerTo<'RequestReject'>> {
    return this.request('RequestReject', body);
  }

  pull(body: RequestBody<'RequestPull'>): Promise<AnswerTo<'RequestPull'>> {
    return this.request('RequestPull', body);
  }

  placeInQueue(body: RequestBody<'RequestPlaceInQueue'>): Promise<AnswerTo<'RequestPlaceInQueue'>> {
    return this.placeInQueueRequest(body);
  }

  placeInWorkbin(body: RequestBody<'RequestPlaceInWorkbin'>): Promise<AnswerTo<'RequestPlaceInWorkbin'>> {
    return this.placeInWorkbinRequest(body);
  }

  /** Asks a colleague to take over an interaction this agent owns (SPEC 9.1); it keeps it until the colleague accepts. */
  transfer(body: RequestBody<'RequestTransfer'>): Promise<AnswerTo<'RequestTransfer'>> {
    return this.request('RequestTransfer', body);
  }

  /** Withdraws this agent's open transfer or conference invite. */
  cancelTransfer(body: RequestBody<'RequestCancelTransfer'>): Promise<AnswerTo<'RequestCancelTransfer'>> {
    return this.request('RequestCancelTransfer', body);
  }

  /** Asks a colleague to join an interaction this agent owns, as a participant (SPEC 9.2). */
  conference(body: RequestBody<'RequestConference'>): Promise<AnswerTo<'RequestConference'>> {
    return this.request('RequestConference', body);
  }

  /** Leaves an interaction this agent handles, as owner or participant (SPEC 9.2 step 3). */
  leaveInteraction(body: RequestBody<'RequestLeaveInteraction'>): Promise<AnswerTo<'RequestLeaveInteraction'>> {
    return this.request('RequestLeaveInteraction', body);
  }

  /**
   * Logs in again with the same place, skills and media readiness (a not-ready reason is sent
   * again after the login, which has no room for one), then subscribes the workbins again.
   */
  protected override async restore(): Promise<void> {
    const login = this.login;
    if (login !== null) {
      const media = Object.fromEntries([...this.media].map(([mediaType, readiness]) => [mediaType, readiness.ready ? 'ready' as const : 'notReady' as const]));
      const body = { agentId: login.agentId, placeId: login.placeId, media, ...(login.skills === undefined ? {} : { skills: login.skills }) };
      const restored = await this.restoreStep(
        () => this.request('RequestAgentLogin', body, { restoring: true, onAnswer: (answer) => this.emitLoggedIn(login, answer.interactions as Interaction[] | undefined, true) }),
        () => {
          this.login = null;
          this.media.clear();
        },
      );
      if (restored !== null) {
        for (const [mediaType, readiness] of this.media) {
          if (readiness.ready || readiness.reason === undefined) continue;
          await this.restoreStep(() => this.request('RequestNotReadyForMedia', { mediaType, reason: readiness.reason }, { restoring: true }), () => undefined);
        }
      }
    }
    await super.restore();
  }

  /**
   * A supervisor's decision is not undone by a reconnect: after a forced logout the SDK does not
   * log the agent in again, and after a forced not-ready it restores not ready (SPEC 9.3 step 1).
   */
  protected override onEvent(message: Parameters<InteractionClient<AgentEvents>['onEvent']>[0]): void {
    if (message.message === 'EventForcedAgentStateChange') {
      if (message.operation === 'Logout') {
        this.login = null;
        this.media.clear();
      } else if (typeof message.mediaType === 'string') {
        this.media.set(message.mediaType, { ready: false, reason: typeof message.reason === 'string' ? message.reason : undefined });
      }
    }
    super.onEvent(message);
  }

  private onLoggedIn(body: RequestBody<'RequestAgentLogin'>, interactions: Interaction[] | undefined, restored: boolean): void {
    this.login = { agentId: body.agentId, placeId: body.placeId, skills: body.skills };
    // As the server does: media not named are not ready, and a login replaces the readiness.
    this.media.clear();
    for (const [mediaType, readiness] of Object.entries(body.media ?? {})) this.media.set(mediaType, { ready: readiness === 'ready', reason: undefined });
    this.emitLoggedIn(this.login, interactions, restored);
  }

  private emitLoggedIn(login: Login, interactions: Interaction[] | undefined, restored: boolean): void {
    this.emit('loggedIn', { agentId: login.agentId, placeId: login.placeId, interactions: interactions ?? [], restored });
  }
}
