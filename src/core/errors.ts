// The error codes of SPEC section 7, defined once. The core returns them as values;
// adapters never invent codes of their own.

import type { EventError } from './events.js';

export const errorCodes = {
  InvalidRequest: 'malformed JSON, unknown message, or a wrong or missing attribute',
  NotRegistered: 'the connection sent a request before RequestRegisterClient',
  Unauthorized: 'a bad or missing token',
  Forbidden: 'the request is not this client\'s to make',
  UnknownInteraction: 'no interaction has this id',
  UnknownQueue: 'no queue has this name',
  UnknownWorkbin: 'no workbin has this name and owner',
  UnknownTicket: 'the server never issued this ticket',
  AgentNotLoggedIn: 'the request needs an agent logged in on this connection',
  AgentNotAvailable: 'the agent is not logged in, not ready for the media type, or at capacity',
  InvalidState: 'the interaction, ticket or connection is not in a state that allows this',
  LimitExceeded: 'a size or rate limit was exceeded',
  Internal: 'a bug in the server (logged with detail), or its database is unavailable (nothing was changed; retry)',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** A request the core refuses. Thrown before any state changes, caught where the request entered. */
export class RequestError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, description: string) {
    super(description);
    this.code = code;
  }
}

/**
 * The one way to build an EventError, in the core and in every adapter: the code is one of
 * errorCodes, never a string of the adapter's own.
 */
export function eventError(code: ErrorCode, description: string, referenceId?: number): EventError {
  const message: EventError = { message: 'EventError', errorCode: code, errorDescription: description };
  if (referenceId !== undefined) message.referenceId = referenceId;
  return message;
}
