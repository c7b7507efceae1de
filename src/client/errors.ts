// The one error class of the SDK. A request the server refuses rejects with the server's code
// (SPEC section 7, defined once in src/core/errors.ts); what the SDK itself knows of (a dropped
// connection, a closed client) has a code of its own, listed here once.

import type { ErrorCode } from '../core/errors.js';

/** The SDK's own codes, beside the server's; each is something a caller can act on. */
export const sdkErrorCodes = {
  ConnectionLost: 'the connection dropped before the answer came; the request was sent once and may or may not have been executed',
  Closed: 'the client was closed (by close(), or because the server refused its credentials or registration)',
  Timeout: 'the server did not open the connection, register the client and restore its session within connectTimeoutMs',
} as const;

export type SdkErrorCode = keyof typeof sdkErrorCodes;
export type OpenixnErrorCode = ErrorCode | SdkErrorCode;

export class OpenixnError extends Error {
  override readonly name = 'OpenixnError';
  readonly code: OpenixnErrorCode;
  /** The server's errorDescription, or the SDK's sentence: something a person can act on. */
  readonly description: string;
  /** The request that was refused or lost, when there was one. */
  readonly request: string | undefined;

  constructor(code: OpenixnErrorCode, description: string, request?: string) {
    super(request === undefined ? `${code}: ${description}` : `${request}: ${code}: ${description}`);
    this.code = code;
    this.description = description;
    this.request = request;
  }
}

/** Registration refusals a retry cannot change: the SDK stops instead of trying again forever. */
const refusalsThatStop: ReadonlySet<OpenixnErrorCode> = new Set<OpenixnErrorCode>(['Unauthorized', 'Forbidden', 'InvalidRequest', 'UnknownQueue']);

export function stopsReconnecting(error: unknown): error is OpenixnError {
  return error instanceof OpenixnError && error.request === 'RequestRegisterClient' && refusalsThatStop.has(error.code);
}
