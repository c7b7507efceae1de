// The router's client (RoutingEngine): it is offered interactions (EventRouteRequest) and sends
// each to an agent with routeCall(). A successful RequestRouteCall gets no EventAck: its answer
// is the EventRouteUsed that ends the invite (SPEC 4.1), so routeCall() resolves with that,
// whatever its result (Accepted, Rejected, Revoked), and rejects only with an EventError
// (AgentNotAvailable, …). A route call in flight when the connection drops rejects with
// ConnectionLost; the server offers the interaction again (EventRouteRequest) if the invite
// ends without an accept.

import type { ClientOptions } from './client.js';
import { InteractionClient, type InteractionEvents } from './interaction-client.js';
import type { AnswerTo, ClientEvent, RequestBody } from './protocol.js';

export interface RouterOptions extends ClientOptions {
  /** Serve only these queues (builtin ones too); without it, every `external` queue. */
  queues?: readonly string[];
}

export interface RouterEvents extends InteractionEvents {
  EventRouteRequest: ClientEvent<'EventRouteRequest'>;
  EventRevoked: ClientEvent<'EventRevoked'>;
}

export class RouterClient extends InteractionClient<RouterEvents> {
  protected readonly clientType = 'RoutingEngine';
  private readonly queues: string[] | undefined;

  constructor(options: RouterOptions) {
    super(options);
    this.queues = options.queues === undefined ? undefined : [...options.queues];
  }

  /** Resolves with the EventRouteUsed that ends the invite: up to the delivering timeout after the call. */
  routeCall(body: RequestBody<'RequestRouteCall'>): Promise<AnswerTo<'RequestRouteCall'>> {
    return this.request('RequestRouteCall', body);
  }

  placeInQueue(body: RequestBody<'RequestPlaceInQueue'>): Promise<AnswerTo<'RequestPlaceInQueue'>> {
    return this.placeInQueueRequest(body);
  }

  placeInWorkbin(body: RequestBody<'RequestPlaceInWorkbin'>): Promise<AnswerTo<'RequestPlaceInWorkbin'>> {
    return this.placeInWorkbinRequest(body);
  }

  protected override registration(): Partial<RequestBody<'RequestRegisterClient'>> {
    return this.queues === undefined ? {} : { queues: this.queues };
  }
}
