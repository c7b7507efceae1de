// The interactions table's row, as both stores read it back: the same columns, with user_data as
// each database returns it (JSON text from SQLite, an object parsed by postgres.js).

import type { InteractionRecord, InteractionState } from '../core/types.js';

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
}

/** The record a row holds, with its user data already decoded. */
export function fromInteractionRow(row: InteractionRow<unknown>, userData: Record<string, unknown>): InteractionRecord {
  return {
    interactionId: row.interaction_id,
    number: row.number,
    mediaType: row.media_type,
    type: row.type,
    subtype: row.subtype,
    priority: row.priority,
    userData,
    submittedAt: row.submitted_at,
    submittedBy: row.submitted_by,
    externalId: row.external_id,
    state: row.state as InteractionState,
    queue: row.queue,
    workbinName: row.workbin_name,
    workbinOwner: row.workbin_owner,
    enteredAt: row.entered_at,
    entryOrder: row.entry_order,
    assignedTo: row.assigned_to,
    placeId: row.place_id,
    ticketId: row.ticket_id,
    ticketAgentId: row.ticket_agent_id,
    ticketPlaceId: row.ticket_place_id,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    scheduledAt: row.scheduled_at === null ? null : Number(row.scheduled_at),
  };
}
