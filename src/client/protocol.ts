// The protocol's messages as the SDK's types, inferred from the server's own TypeBox schemas
// (src/protocol/messages.ts). Only types are imported: the compiled SDK carries no schema, no
// TypeBox and no server code, so it runs in a browser.

import type { Static } from 'typebox';
import type { ClientType } from '../core/types.js';
import type { clientEvents, InteractionOnWire, reportingEvents, RequestName, requests, WorkbinRef } from '../protocol/messages.js';

export type { ClientType, RequestName };

/** An interaction as events carry it (SPEC section 3). */
export type Interaction = Static<typeof InteractionOnWire>;
export type Workbin = Static<typeof WorkbinRef>;

export type ClientEventName = keyof typeof clientEvents;
export type ClientEvent<Name extends ClientEventName> = Static<(typeof clientEvents)[Name]>;

export type ReportingEventName = keyof typeof reportingEvents;
/** One event of the reporting stream; `message` tells which, `seq` orders them. */
export type ReportingEvent = { [Name in ReportingEventName]: Static<(typeof reportingEvents)[Name]> }[ReportingEventName];

/** What a method takes: the request's attributes without `message` and `referenceId`, which the SDK sets. */
export type RequestBody<Name extends RequestName> = Omit<Static<(typeof requests)[Name]>, 'message' | 'referenceId'>;

/** The answers that are not an EventAck (SPEC sections 4 and 5). */
interface NamedAnswers {
  RequestRouteCall: ClientEvent<'EventRouteUsed'>;
  RequestPull: ClientEvent<'EventPulledInteractions'>;
  RequestGetInteractionProperties: ClientEvent<'EventInteractionProperties'>;
  RequestGetWorkbinContent: ClientEvent<'EventWorkbinContent'>;
  RequestTakeSnapshot: ClientEvent<'EventSnapshotTaken'>;
  RequestGetSnapshotInteractions: ClientEvent<'EventSnapshotInteractions'>;
  RequestMoveInteractions: ClientEvent<'EventInteractionsMoved'>;
}

/** The event a request's promise resolves with. */
export type AnswerTo<Name extends RequestName> = Name extends keyof NamedAnswers ? NamedAnswers[Name] : ClientEvent<'EventAck'>;

/** Any message received, before it is told apart by name. */
export interface IncomingMessage {
  message: string;
  referenceId?: number;
  seq?: number;
  [attribute: string]: unknown;
}
