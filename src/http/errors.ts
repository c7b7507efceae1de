// The REST API's errors: the protocol's error codes (src/core/errors.ts), each answered with one
// HTTP status and the same body everywhere, {errorCode, errorDescription}. One helper builds them,
// so no route invents a code or a status of its own.

import Type from 'typebox';
import type { FastifyReply } from 'fastify';
import { errorCodes, type ErrorCode } from '../core/errors.js';

/** The HTTP status of each error code. */
export const httpStatusOf: Record<ErrorCode, number> = {
  InvalidRequest: 400,
  NotRegistered: 401,
  Unauthorized: 401,
  Forbidden: 403,
  UnknownInteraction: 404,
  UnknownQueue: 404,
  UnknownWorkbin: 404,
  UnknownTicket: 404,
  AgentNotLoggedIn: 409,
  AgentNotAvailable: 409,
  InvalidState: 409,
  // A bound on what a request holds (user data's bytes or depth, a snapshot's size): sending it
  // again never helps. A rate is answered 429 (sendRateLimited), where waiting does.
  LimitExceeded: 413,
  Internal: 500,
};

export const ErrorBody = Type.Object({
  errorCode: Type.Enum(Object.keys(errorCodes) as ErrorCode[]),
  errorDescription: Type.String(),
}, { description: 'What went wrong: an error code of the protocol, and a sentence a person can act on' });

export interface ApiError {
  errorCode: ErrorCode;
  errorDescription: string;
}

/** Answers an error; `status` only where the code's own status would mislead (a database outage is 503). */
export function sendError(reply: FastifyReply, error: ApiError, status = httpStatusOf[error.errorCode]): FastifyReply {
  return reply.code(status).send({ errorCode: error.errorCode, errorDescription: error.errorDescription });
}

/** A caller over its request or byte rate: 429 with Retry-After, since the bucket refills within a second. */
export function sendRateLimited(reply: FastifyReply, description: string): FastifyReply {
  return sendError(reply.header('retry-after', '1'), { errorCode: 'LimitExceeded', errorDescription: description }, 429);
}
