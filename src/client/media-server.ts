// The media server's client (an email gateway, a chat server, a web form). A submit with an
// externalId is the one request the SDK repeats after a drop: the server returns the existing
// interaction for a repeated externalId from the same clientName (SPEC section 5), so a repeat
// cannot create a second one. Without an externalId a submit in flight at a drop rejects with
// ConnectionLost, as every other request does: whether it was created cannot be known.

import { InteractionClient, type InteractionEvents } from './interaction-client.js';
import type { AnswerTo, RequestBody } from './protocol.js';

export type MediaServerEvents = InteractionEvents;

export class MediaServerClient extends InteractionClient<MediaServerEvents> {
  protected readonly clientType = 'MediaServer';

  /** Resolves with the EventAck that carries the interactionId, once the interaction is durable. */
  submit(body: RequestBody<'RequestSubmit'>): Promise<AnswerTo<'RequestSubmit'>> {
    return this.request('RequestSubmit', body, { repeatable: body.externalId !== undefined });
  }
}
