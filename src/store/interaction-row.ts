// The interactions table's row, as both stores read it back: the same columns, with user_data as
// each database returns it (JSON text from SQLite, an object parsed by postgres.js).

import type { InteractionRecord, InteractionState, Participant } from '../core/types.js';

export interface InteractionRow<UserData> {
  interaction_id: string;
  number: number;
  media_type: string;
  type: string;
  subtype: string;
  priority: number;
  user_data: UserData;
  submitted_at: number;
  submitted_by: string;
  external_id: string | null;
  state: string;
  queue: string | null;
  workbin_name: string | null;
  workbin_owner: string | null;
  entered_at: number;
  entry_order: number;
  assigned_to: string | null;
  place_id: string | null;
  ticket_id: number | null;
  ticket_agent_id: string | null;
  ticket_place_id: string | null;
  expires_at: number | null;
  scheduled_at: number | null;
  /** JSON text from SQLite, parsed by postgres.js. */
  participants: unknown;
}

/**
 * Turns rows into records during one load. A database hands every row its own copy of each text,
 * so the few values that repeat on most rows (media type, queue, state, who submitted it, …) are
 * kept once each here: after a restart a waiting interaction holds no more than it did before.
 */
export class RowReader {
  private readonly texts = new Map<string, string>();

  /** The record a row holds, with its user data already decoded. */
  record(row: InteractionRow<unknown>, userData: Record<string, unknown>, participants: Participant[]): InteractionRecord {
    return {
      interactionId: row.interaction_id,
      number: row.number,
      mediaType: this.shared(row.media_type),
      type: this.shared(row.type),
      subtype: this.shared(row.subtype),
      priority: row.priority,
      userData,
      submittedAt: row.submitted_at,
      submittedBy: this.shared(row.submitted_by),
      externalId: row.external_id,
      state: this.shared(row.state) as InteractionState,
      queue: this.sharedOrNull(row.queue),
      workbinName: this.sharedOrNull(row.workbin_name),
      workbinOwner: this.sharedOrNull(row.workbin_owner),
      enteredAt: row.entered_at,
      entryOrder: row.entry_order,
      assignedTo: this.sharedOrNull(row.assigned_to),
      placeId: this.sharedOrNull(row.place_id),
      ticketId: row.ticket_id,
      ticketAgentId: this.sharedOrNull(row.ticket_agent_id),
      ticketPlaceId: this.sharedOrNull(row.ticket_place_id),
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
      scheduledAt: row.scheduled_at === null ? null : Number(row.scheduled_at),
      participants,
    };
  }

  /** The one copy of a text that repeats from row to row. */
  shared(text: string): string {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    // Values seen once each (ids of agents by the thousand) must not make the table grow without end.
    if (this.texts.size < maxSharedTexts) this.texts.set(text, text);
    return text;
  }

  sharedOrNull(text: string | null): string | null {
    return text === null ? null : this.shared(text);
  }
}

const maxSharedTexts = 100_000;
