// Interaction ids, the wire form of an interaction, and its stored record.

import type { WireInteraction, WireParty } from './events.js';
import type { Interaction, InteractionRecord, WorkbinRef } from './types.js';

const idLength = 16;
/** What an interaction id looks like; the REST API checks ids in paths against it. */
export const interactionIdPattern = '^[0-9a-z]{16}$';
const idPattern = new RegExp(interactionIdPattern);

/** Ids are a server-wide counter in base 36, so the core can tell a stopped id from one never issued. */
export function interactionIdOf(number: number): string {
  return number.toString(36).padStart(idLength, '0');
}

export function numberOfInteractionId(interactionId: string): number | null {
  if (!idPattern.test(interactionId)) return null;
  return Number.parseInt(interactionId, 36);
}

let lastTime = Number.NaN;
let lastIso = '';

/** ISO 8601 of a time in ms. Many events share a millisecond, and toISOString is not cheap. */
export function iso(time: number): string {
  if (time !== lastTime) {
    lastTime = time;
    lastIso = new Date(time).toISOString();
  }
  return lastIso;
}

/** Milliseconds of an ISO 8601 time a client sent (a date with a time: "2026-12-04T09:00:00Z"); null when it is not one. */
export function parseIso(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time;
}

export function workbinKey(workbin: WorkbinRef): string {
  return `${workbin.name}\u0000${workbin.ownerId}`;
}

/** The interaction as clients see it (SPEC section 3): queue and workbin are null while an agent handles it. */
export function toWire(interaction: Interaction): WireInteraction {
  const waiting = interaction.state !== 'handling' && interaction.state !== 'stopped';
  return {
    interactionId: interaction.interactionId,
    mediaType: interaction.mediaType,
    type: interaction.type,
    subtype: interaction.subtype,
    state: interaction.state,
    queue: waiting ? interaction.queue : null,
    workbin: waiting && interaction.workbin ? { ...interaction.workbin } : null,
    priority: interaction.priority,
    userData: { ...interaction.userData },
    submittedAt: iso(interaction.submittedAt),
    placedInQueueAt: iso(interaction.key.enteredAt),
    assignedTo: interaction.assignedTo,
    placeId: interaction.placeId,
    ...(interaction.scheduledAt !== null ? { scheduledAt: iso(interaction.scheduledAt) } : {}),
    ...(interaction.expiresAt !== null ? { expiresAt: iso(interaction.expiresAt) } : {}),
    parties: partiesOf(interaction),
  };
}

/** The owner first, then the participants in join order; nobody unless an agent handles it. */
export function partiesOf(interaction: Interaction): WireParty[] {
  if (interaction.assignedTo === null) return [];
  const parties: WireParty[] = [{ agentId: interaction.assignedTo, placeId: interaction.placeId ?? '', role: 'owner' }];
  for (const participant of interaction.participants) parties.push({ agentId: participant.agentId, placeId: participant.placeId, role: 'participant' });
  return parties;
}

export function toRecord(interaction: Interaction): InteractionRecord {
  return {
    interactionId: interaction.interactionId,
    number: numberOfInteractionId(interaction.interactionId) ?? 0,
    mediaType: interaction.mediaType,
    type: interaction.type,
    subtype: interaction.subtype,
    priority: interaction.priority,
    userData: interaction.userData,
    submittedAt: interaction.submittedAt,
    submittedBy: interaction.submittedBy,
    externalId: interaction.externalId,
    state: interaction.state,
    queue: interaction.queue,
    workbinName: interaction.workbin?.name ?? null,
    workbinOwner: interaction.workbin?.ownerId ?? null,
    enteredAt: interaction.key.enteredAt,
    entryOrder: interaction.key.entryOrder,
    assignedTo: interaction.assignedTo,
    placeId: interaction.placeId,
    ticketId: (interaction.ticket ?? interaction.consultation)?.ticketId ?? null,
    ticketAgentId: (interaction.ticket ?? interaction.consultation)?.agentId ?? null,
    ticketPlaceId: (interaction.ticket ?? interaction.consultation)?.placeId ?? null,
    participants: interaction.participants.map((participant) => ({ ...participant })),
    expiresAt: interaction.expiresAt,
    scheduledAt: interaction.scheduledAt,
  };
}

/** A stored record back as an interaction; the caller decides what recovery does with its state. */
export function fromRecord(record: InteractionRecord): Interaction {
  return {
    interactionId: record.interactionId,
    mediaType: record.mediaType,
    type: record.type,
    subtype: record.subtype,
    priority: record.priority,
    userData: record.userData,
    submittedAt: record.submittedAt,
    submittedBy: record.submittedBy,
    externalId: record.externalId,
    state: record.state,
    queue: record.queue,
    workbin: record.workbinName !== null && record.workbinOwner !== null ? { name: record.workbinName, ownerId: record.workbinOwner } : null,
    key: { priority: record.priority, enteredAt: record.enteredAt, entryOrder: record.entryOrder },
    assignedTo: record.assignedTo,
    placeId: record.placeId,
    ownedSince: 0,
    routerId: null,
    ticket: null,
    expiresAt: record.expiresAt,
    scheduledAt: record.scheduledAt,
    lockedBy: null,
    // Its own array (a conference pushes to it); the participants themselves never change.
    participants: [...record.participants],
    consultation: null,
  };
}
