// The bounds of the fields a client sends, in a module of their own that imports no schema
// library: the pages show them (a reason's length) without bundling TypeBox.

import { conditionBounds } from '../core/snapshot-condition.js';
import { maxAgentMediaTypes } from '../core/types.js';

/**
 * The bound of every field a client sends, by name (docs/protocol.md lists them, and a test keeps
 * the two in step). A frame is also bounded as a whole (limits.maxMessageBytes) and user data by
 * limits.maxUserDataBytes; these keep each part small, since much of a request is kept in memory
 * and written to the permanent reporting log.
 */
export const fieldBounds = {
  /** Names and ids: queues, media types, clients, agents, places, workbins, owners, externalIds, skills. */
  maxNameLength: 256,
  /** A reason given with a reject, a not-ready, a stop. */
  maxReasonLength: 1024,
  /** A token or API key in RequestRegisterClient. */
  maxTokenLength: 16384,
  /** The queues a RoutingEngine names at registration. */
  maxRouterQueues: 1000,
  /** Media types in one RequestAgentLogin, and that an agent holds a state for at once (the core refuses a further one). */
  maxLoginMediaTypes: maxAgentMediaTypes,
  /** Skills in one RequestAgentLogin. */
  maxLoginSkills: 100,
  /** Interactions named, or counted, in one RequestPull. */
  maxPullCount: 1000,
  /** A user-data property's name (a top-level key of userData, or one named in deletedProperties). */
  maxPropertyNameLength: 1024,
  /** Keys in one RequestChangeProperties's deletedProperties (its whole change is also bounded by limits.maxUserDataBytes). */
  maxDeletedProperties: 1000,
  /** Priority, either way. */
  maxPriority: 1_000_000,
  /** Fields one snapshot condition tests (RequestTakeSnapshot). */
  maxConditionTests: conditionBounds.maxConditionTests,
  /** Values one `in` test of a condition lists. */
  maxConditionInValues: conditionBounds.maxConditionInValues,
  /** A string a condition compares with, and a user-data key it names. */
  maxConditionValueLength: conditionBounds.maxConditionValueLength,
  /** Interactions one RequestGetSnapshotInteractions returns. */
  maxSnapshotPage: 1000,
  /** An ISO 8601 time (expiresAt, scheduledAt). */
  maxTimeLength: 64,
  /**
   * Every other integer a client sends: referenceId (either way), ticketId, snapshotId, fromSeq, a
   * snapshot's max and from. The largest integer a JSON number carries exactly: above it a client's
   * 2^53 + 1 would be read as 2^53, and 1e23 would pass as an integer and come back as "1e+23".
   */
  maxInteger: Number.MAX_SAFE_INTEGER,
} as const;
