// The agent desktop's state: signals fed by one AgentClient (openixn/client), which keeps the
// connection, logs the agent in again after a drop or a restart, and hands back its work. The
// components read these signals and call the actions; nothing else talks to the server.

import { batch, computed, signal } from '@preact/signals';
import { AgentClient, OpenixnError, type Interaction } from '../../client/index.js';
import { api, deliveringTimeoutSeconds, token, webSocketUrl, type Layout } from '../shared/session.js';

export interface Invite {
  ticketId: number;
  interaction: Interaction;
  /** An invite from another agent (SPEC 9.1, 9.2): what for and from whom; absent for a router's. */
  operation?: 'Transfer' | 'Conference';
  fromAgentId?: string;
  /** When the invite ends unless answered (ms, this browser's clock). */
  deadline: number;
}

export interface Owned {
  interaction: Interaction;
  /** Since when this desktop has known the agent owns it (ms): the handling timer shown. */
  since: number;
}

export interface Readiness {
  ready: boolean;
  reason: string | null;
}

export const layout = signal<Layout | null>(null);
export const connection = signal<'connecting' | 'online' | 'offline'>('connecting');
export const login = signal<{ agentId: string; placeId: string } | null>(null);
export const readiness = signal<Record<string, Readiness>>({});
export const invites = signal<Invite[]>([]);
export const owned = signal<Owned[]>([]);
export const selectedId = signal<string | null>(null);
/**
 * Per owned interaction, this agent's transfer or conference invite: out (pending, with Cancel), or
 * how it ended when it failed (the reason EventTransferFailed gave). An accept removes it.
 */
export const handOffs = signal<Record<string, { operation: 'Transfer' | 'Conference'; agentId: string; state: 'pending' } | { operation: 'Transfer' | 'Conference'; agentId: string; state: 'failed'; reason: string }>>({});
/** The last thing that happened, read out by the live region; errors included. */
export const notice = signal('');
/** Why the desktop is signed out when it was not the agent's choice (a supervisor's forced logout). */
export const signedOutBy = signal<string | null>(null);
export const workbinContent = signal<{ workbin: string; interactions: Interaction[] } | null>(null);
export const queueContent = signal<{ queue: string; interactions: Interaction[] } | null>(null);

export const selected = computed(() => owned.value.find((entry) => entry.interaction.interactionId === selectedId.value) ?? null);

/** The media types a desktop shows: those the config names, or email and chat. */
export const mediaTypes = computed(() => {
  const named = layout.value?.mediaTypes.map((entry) => entry.mediaType) ?? [];
  return named.length > 0 ? named : ['email', 'chat'];
});

let client: AgentClient | null = null;

/** The longest wait between reconnection attempts of a page. */
export const reconnectWaitMaxMs = 3000;

function say(text: string): void {
  notice.value = text;
}

function failed(action: string, error: unknown): void {
  say(error instanceof OpenixnError ? `${action}: ${error.description}` : `${action} failed: ${(error as Error).message}`);
}

function keep(interaction: Interaction): void {
  const others = owned.value.filter((entry) => entry.interaction.interactionId !== interaction.interactionId);
  const existing = owned.value.find((entry) => entry.interaction.interactionId === interaction.interactionId);
  owned.value = [...others, { interaction, since: existing?.since ?? Date.now() }];
  if (selectedId.value === null) selectedId.value = interaction.interactionId;
}

type Parties = Interaction['parties'];

/** An owned interaction's parties changed (a conference's joins and leaves). */
function changeParties(interactionId: string, change: (parties: Parties) => Parties): void {
  const entry = owned.value.find((candidate) => candidate.interaction.interactionId === interactionId);
  if (entry !== undefined) keep({ ...entry.interaction, parties: change(entry.interaction.parties) });
}

function settleHandOff(interactionId: string): void {
  const { [interactionId]: _settled, ...rest } = handOffs.value;
  handOffs.value = rest;
}

function forget(interactionId: string): void {
  settleHandOff(interactionId);
  owned.value = owned.value.filter((entry) => entry.interaction.interactionId !== interactionId);
  if (selectedId.value === interactionId) selectedId.value = owned.value[0]?.interaction.interactionId ?? null;
}

/** Connects, logs in ready for the media types named, and wires every event to the signals. */
export async function signIn(agentId: string, placeId: string, ready: string[]): Promise<void> {
  const agent = new AgentClient({
    urls: [webSocketUrl()],
    clientName: `desktop-${agentId}`,
    // A person waits: after a drop, try again every few seconds at most, not every 30.
    backoffMaxMs: reconnectWaitMaxMs,
    ...(token.value !== null ? { token: () => token.value ?? '' } : {}),
  });
  client = agent;
  agent.on('connected', ({ reconnected }) => {
    connection.value = 'online';
    if (reconnected) say('Connected again.');
  });
  agent.on('disconnected', () => {
    batch(() => {
      connection.value = 'offline';
      // Invites die with the connection; owned work stays the agent's (SPEC section 5).
      invites.value = [];
    });
  });
  agent.on('loggedIn', ({ interactions, restored }) => {
    batch(() => {
      const since = new Map(owned.value.map((entry) => [entry.interaction.interactionId, entry.since]));
      owned.value = interactions.map((interaction) => ({ interaction, since: since.get(interaction.interactionId) ?? Date.now() }));
      if (!owned.value.some((entry) => entry.interaction.interactionId === selectedId.value)) selectedId.value = owned.value[0]?.interaction.interactionId ?? null;
    });
    if (restored) say(`Logged in again; you have ${interactions.length} interaction${interactions.length === 1 ? '' : 's'}.`);
  });
  agent.on('EventInvite', ({ ticketId, interaction, operation, fromAgentId }) => {
    const seconds = layout.value === null ? 30 : deliveringTimeoutSeconds(layout.value, interaction.mediaType);
    invites.value = [...invites.value, { ticketId, interaction, deadline: Date.now() + seconds * 1000, ...(operation !== undefined ? { operation } : {}), ...(fromAgentId !== undefined ? { fromAgentId } : {}) }];
    const from = operation !== undefined && fromAgentId !== undefined ? ` (${operation.toLowerCase()} from ${fromAgentId})` : '';
    say(`New ${interaction.mediaType}${from}: ${String(interaction.userData.subject ?? interaction.interactionId)}`);
  });
  agent.on('EventTransferFailed', ({ interactionId, agentId, operation, reason }) => {
    handOffs.value = { ...handOffs.value, [interactionId]: { operation, agentId, state: 'failed', reason } };
    say(`${operation} to ${agentId} failed (${reason}).`);
  });
  agent.on('EventPartyAdded', ({ interactionId, party, operation }) => {
    if (party.type !== 'Agent') return;
    // The other side of this agent's conference accepted: it is a party now (SPEC 9.2 step 1).
    if (operation === 'Conference') settleHandOff(interactionId);
    changeParties(interactionId, (parties) => [...parties.filter((other) => other.agentId !== party.agentId), { agentId: party.agentId, placeId: party.placeId, role: 'participant' }]);
    say(`${party.agentId} joined interaction ${interactionId}.`);
  });
  agent.on('EventPartyRemoved', ({ interactionId, party, ownerId }) => {
    if (party.type !== 'Agent' || party.agentId === login.value?.agentId) return;
    changeParties(interactionId, (parties) => parties.filter((other) => other.agentId !== party.agentId).map((other) => ({ ...other, role: other.agentId === ownerId ? 'owner' : other.role })));
    say(`${party.agentId} left interaction ${interactionId}.`);
  });
  agent.on('EventRevoked', ({ interactionId, ticketId, reason }) => {
    if (ticketId !== undefined) {
      invites.value = invites.value.filter((invite) => invite.ticketId !== ticketId);
      say(`The invite was withdrawn (${reason}).`);
      return;
    }
    forget(interactionId);
    say(reason === 'Transferred' ? `Interaction ${interactionId} was transferred.` : `Interaction ${interactionId} was taken back (${reason}).`);
  });
  agent.on('EventPropertiesChanged', ({ interactionId, changedProperties, deletedProperties }) => {
    const entry = owned.value.find((candidate) => candidate.interaction.interactionId === interactionId);
    if (entry === undefined) return;
    const userData = { ...entry.interaction.userData, ...changedProperties };
    for (const key of deletedProperties) delete userData[key];
    keep({ ...entry.interaction, userData });
  });
  // A supervisor's decision (SPEC 9.3): the SDK keeps it across reconnects; the page shows it.
  agent.on('EventForcedAgentStateChange', ({ operation, mediaType, reason, forcedBy }) => {
    const why = reason !== null && reason !== undefined ? ` (${reason})` : '';
    if (operation === 'Logout') {
      void agent.close();
      if (client === agent) client = null;
      batch(() => {
        login.value = null;
        owned.value = [];
        invites.value = [];
        selectedId.value = null;
        signedOutBy.value = `Supervisor ${forcedBy} logged you out${why}.`;
      });
      return;
    }
    if (mediaType === undefined) return;
    readiness.value = { ...readiness.value, [mediaType]: { ready: false, reason: reason ?? null } };
    say(`Supervisor ${forcedBy} made you not ready for ${mediaType}${why}.`);
  });
  agent.on('EventWorkbinContentChanged', ({ workbin, operation, interaction }) => {
    const shown = workbinContent.value;
    if (shown === null || shown.workbin !== workbin.name) return;
    const rest = shown.interactions.filter((candidate) => candidate.interactionId !== interaction.interactionId);
    workbinContent.value = { workbin: shown.workbin, interactions: operation === 'Add' ? [...rest, interaction] : rest };
  });
  connection.value = 'connecting';
  await agent.connect();
  const media = Object.fromEntries(mediaTypes.value.map((mediaType) => [mediaType, ready.includes(mediaType) ? 'ready' as const : 'notReady' as const]));
  await agent.agentLogin({ agentId, placeId, media });
  batch(() => {
    signedOutBy.value = null;
    login.value = { agentId, placeId };
    readiness.value = Object.fromEntries(mediaTypes.value.map((mediaType) => [mediaType, { ready: ready.includes(mediaType), reason: null }]));
  });
}

export async function signOut(): Promise<void> {
  try {
    await client?.agentLogout();
  } catch (error) {
    failed('Log out', error);
  }
  await client?.close();
  client = null;
  batch(() => {
    login.value = null;
    owned.value = [];
    invites.value = [];
    selectedId.value = null;
    handOffs.value = {};
  });
}

function agentClient(): AgentClient {
  if (client === null) throw new Error('not signed in');
  return client;
}

export async function setReady(mediaType: string, ready: boolean, reason: string): Promise<void> {
  try {
    if (ready) await agentClient().cancelNotReadyForMedia({ mediaType });
    else await agentClient().notReadyForMedia({ mediaType, ...(reason !== '' ? { reason } : {}) });
    readiness.value = { ...readiness.value, [mediaType]: { ready, reason: ready ? null : reason } };
    say(`${mediaType}: ${ready ? 'ready' : `not ready${reason !== '' ? ` (${reason})` : ''}`}`);
  } catch (error) {
    failed(ready ? 'Ready' : 'Not ready', error);
  }
}

export async function accept(invite: Invite): Promise<void> {
  try {
    await agentClient().accept({ ticketId: invite.ticketId, interactionId: invite.interaction.interactionId });
    invites.value = invites.value.filter((candidate) => candidate.ticketId !== invite.ticketId);
    const me = { agentId: login.value?.agentId ?? '', placeId: login.value?.placeId ?? '' };
    // A conference's invitee joins the parties; anyone else becomes the one owner.
    const parties: Parties = invite.operation === 'Conference' ? [...invite.interaction.parties, { ...me, role: 'participant' }] : [{ ...me, role: 'owner' }];
    keep({ ...invite.interaction, state: 'handling', queue: null, workbin: null, assignedTo: invite.operation === 'Conference' ? invite.interaction.assignedTo : me.agentId, parties });
    selectedId.value = invite.interaction.interactionId;
    say('Accepted.');
  } catch (error) {
    failed('Accept', error);
  }
}

export async function reject(invite: Invite): Promise<void> {
  try {
    await agentClient().reject({ ticketId: invite.ticketId, interactionId: invite.interaction.interactionId });
    invites.value = invites.value.filter((candidate) => candidate.ticketId !== invite.ticketId);
    say('Rejected.');
  } catch (error) {
    failed('Reject', error);
  }
}

export async function stop(interactionId: string): Promise<void> {
  try {
    await agentClient().stopProcessing({ interactionId, reason: 'Done' });
    forget(interactionId);
    say('Stopped.');
  } catch (error) {
    failed('Stop', error);
  }
}

export async function placeInQueue(interactionId: string, queue: string): Promise<void> {
  try {
    await agentClient().placeInQueue({ interactionId, queue });
    forget(interactionId);
    say(`Placed in queue ${queue}.`);
  } catch (error) {
    failed('Place in queue', error);
  }
}

export async function placeInWorkbin(interactionId: string, workbin: string): Promise<void> {
  try {
    await agentClient().placeInWorkbin({ interactionId, workbin: { name: workbin } });
    forget(interactionId);
    say(`Placed in workbin ${workbin}.`);
  } catch (error) {
    failed('Place in workbin', error);
  }
}

/** Invites another agent to take (Transfer) or join (Conference) an owned interaction; it stays this agent's until they accept. */
export async function handOff(operation: 'Transfer' | 'Conference', interactionId: string, agentId: string, placeId: string): Promise<void> {
  try {
    const body = { interactionId, agentId, ...(placeId !== '' ? { placeId } : {}) };
    if (operation === 'Transfer') await agentClient().transfer(body);
    else await agentClient().conference(body);
    // An accept may have come before this answer's turn: only a still-owned interaction is pending.
    if (owned.value.some((entry) => entry.interaction.interactionId === interactionId)) {
      handOffs.value = { ...handOffs.value, [interactionId]: { operation, agentId, state: 'pending' } };
    }
    say(`${operation} to ${agentId} pending.`);
  } catch (error) {
    failed(operation, error);
  }
}

export async function cancelTransfer(interactionId: string): Promise<void> {
  try {
    await agentClient().cancelTransfer({ interactionId });
    settleHandOff(interactionId);
    say('Invite cancelled.');
  } catch (error) {
    failed('Cancel transfer', error);
  }
}

export async function leave(interactionId: string): Promise<void> {
  try {
    await agentClient().leaveInteraction({ interactionId });
    forget(interactionId);
    say('Left the interaction.');
  } catch (error) {
    failed('Leave', error);
  }
}

export async function setDisposition(interactionId: string, disposition: string): Promise<void> {
  try {
    await agentClient().changeProperties({ interactionId, changedProperties: { disposition } });
    const entry = owned.value.find((candidate) => candidate.interaction.interactionId === interactionId);
    if (entry !== undefined) keep({ ...entry.interaction, userData: { ...entry.interaction.userData, disposition } });
    say(`Disposition saved: ${disposition}.`);
  } catch (error) {
    failed('Save disposition', error);
  }
}

export async function pull(source: { queue: string } | { workbin: string }, interactionIds?: string[]): Promise<void> {
  try {
    const body = 'queue' in source ? { queue: source.queue } : { workbin: { name: source.workbin } };
    const answer = await agentClient().pull({ ...body, ...(interactionIds !== undefined ? { interactionIds } : {}) });
    const pulled = answer.interactions as Interaction[];
    for (const interaction of pulled) keep(interaction);
    if (pulled[0] !== undefined) selectedId.value = pulled[0].interactionId;
    say(pulled.length === 0 ? 'Nothing to pull there.' : `Pulled ${pulled.length}.`);
    if ('queue' in source && queueContent.value?.queue === source.queue) await showQueue(source.queue);
  } catch (error) {
    failed('Pull', error);
  }
}

/** The waiting interactions of a queue the agent may pull from (a page of the REST API's). */
export async function showQueue(queue: string): Promise<void> {
  try {
    const page = await api<{ interactions: Interaction[] }>(`/queues/${encodeURIComponent(queue)}/interactions?limit=50`);
    queueContent.value = { queue, interactions: page.interactions };
  } catch (error) {
    failed('Show the queue', error);
  }
}

/** A workbin's content, kept current by its notifications. */
export async function showWorkbin(workbin: string): Promise<void> {
  try {
    const previous = workbinContent.value?.workbin;
    if (previous !== undefined && previous !== workbin) await agentClient().workbinNotifications({ workbin: { name: previous }, subscribe: false });
    await agentClient().workbinNotifications({ workbin: { name: workbin }, subscribe: true });
    const content = await agentClient().getWorkbinContent({ workbin: { name: workbin } });
    workbinContent.value = { workbin, interactions: content.interactions as Interaction[] };
  } catch (error) {
    failed('Show the workbin', error);
  }
}
