// The limits that protect the server from a hostile or broken client, resolved from the config
// file's `limits` section (README "Limits" lists each with its default).

export interface Limits {
  /** A larger frame gets EventError LimitExceeded; above 16 MiB the connection closes with 1009. */
  maxMessageBytes: number;
  /** An interaction's user data as UTF-8 JSON text (the core checks it). */
  maxUserDataBytes: number;
  /** Nesting of objects and arrays in user data, the user data object counting 1 (the core checks it). */
  maxUserDataDepth: number;
  /** Frames per second per connection; also the burst a connection may send at once. */
  requestsPerSecond: number;
  /** The same for a connection registered as an AgentApplication (and any connection before it registers): a desktop needs far fewer. */
  agentRequestsPerSecond: number;
  /** Bytes of frames per second per connection; the burst is this or one largest frame, whichever is more. */
  bytesPerSecond: number;
  /** The same for an AgentApplication, and before registration. */
  agentBytesPerSecond: number;
  /** A connection refused for rate this many times, with no second within its rate between the refusals, is closed (4029). */
  rateLimitCloseAfter: number;
  /** WebSocket connections at once; more are refused with HTTP 503 before the upgrade. */
  maxConnections: number;
  /** From one remote address; more are refused with HTTP 429. */
  maxConnectionsPerAddress: number;
  /** A connection that has not registered this long after it opened is closed (4008). */
  registrationTimeoutMs: number;
  /** A socket that has neither sent an HTTP request nor upgraded to a WebSocket this long after it was accepted is cut. */
  handshakeTimeoutMs: number;
  /** A connection with more than this waiting to be sent is closed (4090): its client is not reading. */
  maxBufferedBytes: number;
  /** A connection whose client has left what it was sent unread this long is closed (4090), however little it is. */
  drainTimeoutMs: number;
  /** A snapshot (RequestTakeSnapshot) holds at most this many interactions, whatever its `max` (the core checks it). */
  maxSnapshotInteractions: number;
  /** Snapshots one connection may hold at once; one more gets LimitExceeded (the core checks it). */
  maxSnapshotsPerConnection: number;
}

/**
 * Before RequestRegisterClient a connection may send frames of this size at most (a larger one is
 * closed with 1009 before it is read in full): a registration with the longest token fits, and an
 * anonymous socket cannot make the server hold more.
 */
export const unregisteredFrameLimitBytes = 64 * 1024;

/** Frames above the larger of this and twice limits.maxMessageBytes are closed with 1009, unread; up to it they get EventError LimitExceeded. */
export const hardFrameLimitBytesMax = 16 * 1024 * 1024;

/**
 * A desktop's frames are smaller than a server's: its largest request is a property change, whose
 * user data is bounded by maxUserDataBytes, and every other request it sends is small. A larger
 * frame gets LimitExceeded unparsed, so that no desktop can make the server spend a tenth of a
 * second parsing a megabyte of JSON.
 */
export const agentFrameHeadroomBytes = 64 * 1024;

export function agentFrameLimitBytes(limits: Pick<Limits, 'maxMessageBytes' | 'maxUserDataBytes'>): number {
  return Math.min(limits.maxMessageBytes, limits.maxUserDataBytes + agentFrameHeadroomBytes);
}

/** The frame size above which a registered connection is closed (1009) instead of answered. */
export function hardFrameLimitBytes(maxMessageBytes: number): number {
  return Math.min(hardFrameLimitBytesMax, 2 * maxMessageBytes);
}

/** WebSocket close codes the server uses; 4000–4999 are the application's own (RFC 6455 section 7.4.2). */
export const closeCodes = {
  goingAway: 1001,
  tooBig: 1009,
  internalError: 1011,
  /** RequestRegisterClient with a missing, bad or expired token (after EventError Unauthorized). */
  unauthorized: 4001,
  /** RequestRegisterClient with credentials for another client type or name (after EventError Forbidden). */
  forbidden: 4003,
  /** No RequestRegisterClient within limits.registrationTimeout. */
  registrationTimeout: 4008,
  /** Frames kept coming after limits.rateLimitCloseAfter rate refusals with no quiet second between them. */
  rateLimited: 4029,
  /** More than limits.maxBufferedBytes waiting to be sent: the client does not read its events. */
  sendBufferFull: 4090,
  /** This server is a standby (or has just lost its lease): the reason names the primary's URL when known. */
  notPrimary: 4503,
} as const;
