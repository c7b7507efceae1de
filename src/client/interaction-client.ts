// What the roles that act on interactions share (agent, media server, router, supervisor): the requests SPEC section 5 allows each of them, and the workbin subscriptions, which
// a new connection subscribes again.

import { OpenixnClient, type ConnectionEvents } from './client.js';
import type { AnswerTo, ClientEvent, RequestBody, Workbin } from './protocol.js';

/** The unsolicited events every such role may be sent. */
export interface InteractionEvents extends ConnectionEvents {
  EventPropertiesChanged: ClientEvent<'EventPropertiesChanged'>;
  EventWorkbinContentChanged: ClientEvent<'EventWorkbinContentChanged'>;
}

export abstract class InteractionClient<Events extends InteractionEvents> extends OpenixnClient<Events> {
  /** Subscribed workbins, by name and owner; subscribed again after a reconnect. */
  private readonly subscriptions = new Map<string, Workbin>();

  stopProcessing(body: RequestBody<'RequestStopProcessing'>): Promise<AnswerTo<'RequestStopProcessing'>> {
    return this.request('RequestStopProcessing', body);
  }

  changeProperties(body: RequestBody<'RequestChangeProperties'>): Promise<AnswerTo<'RequestChangeProperties'>> {
    return this.request('RequestChangeProperties', body);
  }

  getInteractionProperties(body: RequestBody<'RequestGetInteractionProperties'>): Promise<AnswerTo<'RequestGetInteractionProperties'>> {
    return this.request('RequestGetInteractionProperties', body);
  }

  getWorkbinContent(body: RequestBody<'RequestGetWorkbinContent'>): Promise<AnswerTo<'RequestGetWorkbinContent'>> {
    return this.request('RequestGetWorkbinContent', body);
  }

  /**
   * Subscribes to a workbin's changes (EventWorkbinContentChanged), or ends a subscription. A
   * subscription the server acknowledged is made again on every new connection; an unsubscribe
   * counts from when it is sent, so a lost answer never subscribes again.
   */
  workbinNotifications(body: RequestBody<'RequestWorkbinNotifications'>): Promise<AnswerTo<'RequestWorkbinNotifications'>> {
    const key = workbinKey(body.workbin);
    if (!body.subscribe) this.subscriptions.delete(key);
    return this.request('RequestWorkbinNotifications', body, {
      onAnswer: () => {
        if (body.subscribe) this.subscriptions.set(key, body.workbin);
      },
    });
  }

  /** For the roles that may place (agent, router): SPEC section 5 refuses it to a media server. */
  protected placeInQueueRequest(body: RequestBody<'RequestPlaceInQueue'>): Promise<AnswerTo<'RequestPlaceInQueue'>> {
    return this.request('RequestPlaceInQueue', body);
  }

  protected placeInWorkbinRequest(body: RequestBody<'RequestPlaceInWorkbin'>): Promise<AnswerTo<'RequestPlaceInWorkbin'>> {
    return this.request('RequestPlaceInWorkbin', body);
  }

  protected override async restore(): Promise<void> {
    for (const [key, workbin] of this.subscriptions) {
      await this.restoreStep(
        () => this.request('RequestWorkbinNotifications', { workbin, subscribe: true }, { restoring: true }),
        () => this.subscriptions.delete(key),
      );
    }
  }
}

function workbinKey(workbin: Workbin): string {
  return JSON.stringify([workbin.name, workbin.ownerId ?? null]);
}
