// How both stores hand their interactions to a load: each database writes every row as a JSON
// array of the columns below (user data and participants as JSON values inside it), a batch of
// rows is joined into one JSON text, and one JSON.parse a batch makes every object. That is far
// cheaper than the driver making a value per column and the user data being parsed row by row,
// and on SQLite the text is written in the worker thread and crosses to the main thread as one
// copy, where a structured clone of the objects would cost more than reading them.

import type { InteractionRecord, InteractionState, Participant } from '../core/types.js';

/**
 * The interactions table's columns in the order both stores keep them: each with its
 * InteractionRecord field and its PostgreSQL type (SQLite's are in its migrations). A loaded row is
 * a JSON array of these columns in this order (LoadedRow).
 */
export const interactionColumns = [
  ['interaction_id', 'interactionId', 'text'], ['number', 'number', 'bigint'], ['media_type', 'mediaType', 'text'],
  ['type', 'type', 'text'], ['subtype', 'subtype', 'text'], ['priority', 'priority', 'bigint'], ['user_data', 'userData', 'json'],
  ['submitted_at', 'submittedAt', 'bigint'], ['submitted_by', 'submittedBy', 'text'], ['external_id', 'externalId', 'text'],
  ['state', 'state', 'text'], ['queue', 'queue', 'text'], ['workbin_name', 'workbinName', 'text'], ['workbin_owner', 'workbinOwner', 'text'],
  ['entered_at', 'enteredAt', 'bigint'], ['entry_order', 'entryOrder', 'bigint'], ['assigned_to', 'assignedTo', 'text'],
  ['place_id', 'placeId', 'text'], ['ticket_id', 'ticketId', 'bigint'], ['ticket_agent_id', 'ticketAgentId', 'text'],
  ['ticket_place_id', 'ticketPlaceId', 'text'], ['expires_at', 'expiresAt', 'bigint'], ['scheduled_at', 'scheduledAt', 'bigint'],
  ['participants', 'participants', 'json'],
] as const;

/** The columns' names alone, in that order. */
export const loadedColumns = interactionColumns.map(([column]) => column);

type LoadedRow = [
  string, number, string, string, string, number, Record<string, unknown>, number, string,
  string | null, string, string | null, string | null, string | null, number, number, string | null, string | null,
  number | null, string | null, string | null, number | null, number | null, Participant[],
];

/** One batch's text from the JSON text of each of its rows. */
export function batchOfRows(rows: readonly string[]): string {
  return `[${rows.join(',')}]`;
}

/**
 * Turns batches into records during one load. A database hands every row its own copy of each
 * text, so the few values that repeat on most rows (media type, queue, state, who submitted it, …)
 * are kept once each here: after a restart a waiting interaction holds no more than it did before.
 */
export class RowReader {
  private readonly texts = new Map<string, string>();

  /** The records of one batch (batchOfRows). */
  records(batch: string): InteractionRecord[] {
    return (JSON.parse(batch) as LoadedRow[]).map((row) => this.record(row));
  }

  private record(row: LoadedRow): InteractionRecord {
    return {
      interactionId: row[0],
      number: row[1],
      mediaType: this.shared(row[2]),
      type: this.shared(row[3]),
      subtype: this.shared(row[4]),
      priority: row[5],
      userData: row[6],
      submittedAt: row[7],
      submittedBy: this.shared(row[8]),
      externalId: row[9],
      state: this.shared(row[10]) as InteractionState,
      queue: this.sharedOrNull(row[11]),
      workbinName: this.sharedOrNull(row[12]),
      workbinOwner: this.sharedOrNull(row[13]),
      enteredAt: row[14],
      entryOrder: row[15],
      assignedTo: this.sharedOrNull(row[16]),
      placeId: this.sharedOrNull(row[17]),
      ticketId: row[18],
      ticketAgentId: this.sharedOrNull(row[19]),
      ticketPlaceId: this.sharedOrNull(row[20]),
      expiresAt: row[21],
      scheduledAt: row[22],
      participants: row[23],
    };
  }

  /** The one copy of a text that repeats from row to row. */
  private shared(text: string): string {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    // Values seen once each (ids of agents by the thousand) must not make the table grow without end.
    if (this.texts.size < maxSharedTexts) this.texts.set(text, text);
    return text;
  }

  private sharedOrNull(text: string | null): string | null {
    return text === null ? null : this.shared(text);
  }
}

const maxSharedTexts = 100_000;
