// The supervisor dashboard's state: the server's own counts, polled from the REST API every two
// seconds (so the numbers are the server's, as /metrics has them), and what the reporting stream
// adds: service level and abandonment over the last 15 minutes, time in state, current work,
// arrivals and completions per second, and the live event feed. The stream starts a few thousand
// events back, so the 15-minute figures have their history after a reload. The dashboard is a
// Supervisor (SPEC 9.3): it moves and stops interactions and forces agents not ready or logged
// out; credentials that are not a supervisor's leave it read-only, reading as a ReportingEngine.

import { batch, signal } from '@preact/signals';
import { OpenixnError, ReportingClient, SupervisorClient, type Interaction, type ReportingEvent } from '../../client/index.js';
import { api, token, webSocketUrl, type Layout } from '../shared/session.js';

export interface QueueRow {
  queue: string;
  mode: string;
  pullable: boolean;
  waiting: number;
  queued: number;
  routing: number;
  invited: number;
  handling: number;
  oldestWaitingSeconds: number | null;
}

export interface AgentRow {
  agentId: string;
  placeId: string;
  media: Record<string, { ready: boolean; reason: string | null; load: number; capacity: number }>;
}

/** An interaction answered within this many seconds of entering its queue counts towards the service level. */
export const serviceLevelSeconds = 20;
/** The window of the service level and abandonment figures. */
export const windowSeconds = 15 * 60;
/** The feed keeps this many events; the charts this many seconds. */
const feedSize = 300;
export const chartSeconds = 300;
/** How many of a queue's waiting interactions the queue view lists. */
const waitingShown = 50;
/** How far back the stream starts, to fill the 15-minute window after a reload. */
const replayEvents = 20_000;

export const layout = signal<Layout | null>(null);
export const connection = signal<'connecting' | 'online' | 'offline'>('connecting');
export const queues = signal<QueueRow[]>([]);
export const agents = signal<AgentRow[] | 'forbidden'>([]);
export const feed = signal<ReportingEvent[]>([]);
export const notice = signal('');
/** Whether these credentials may act (a supervisor's); null until the connection says. */
export const canAct = signal<boolean | null>(null);
/** The result of the last supervisor action, as text: shown beside the controls and read out. */
export const actionResult = signal<{ ok: boolean; text: string } | null>(null);
/** The waiting interactions of the queue opened in the queue view, refreshed with the counts. */
export const queueContent = signal<{ queue: string; interactions: Interaction[] } | null>(null);

const clientNameKey = 'openixn.dashboard.clientName';
/** The clientName the dashboard registers with: an API key names the one it is for. */
export const clientName = signal(sessionStorage.getItem(clientNameKey) ?? 'dashboard');

export function setClientName(value: string): void {
  clientName.value = value;
  sessionStorage.setItem(clientNameKey, value);
}
/** Per queue: answered (with their wait) and abandoned, within the window. */
export const outcomes = signal<Record<string, { answered: { at: number; waitSeconds: number }[]; abandoned: number[] }>>({});
/** Per agent and media type, when its readiness last changed (ms). */
export const stateSince = signal<Record<string, Record<string, number>>>({});
/** Per agent, the interactions it holds now, as the stream tells. */
export const work = signal<Record<string, string[]>>({});
/** Per second over the chart window: [seconds, arrivals, completions]; and waiting over time. */
export const perSecond = signal<{ seconds: number[]; arrivals: number[]; completions: number[] }>({ seconds: [], arrivals: [], completions: [] });
export const waitingOverTime = signal<{ seconds: number[]; waiting: number[] }>({ seconds: [], waiting: [] });

/** Where each waiting interaction waits and since when, learned from the stream. */
const waiting = new Map<string, { queue: string; since: number }>();
let reporting: ReportingClient | null = null;
let supervisor: SupervisorClient | null = null;
let polling: ReturnType<typeof setInterval> | null = null;

export async function start(): Promise<void> {
  await poll();
  polling = setInterval(() => void poll(), 2000);
  const { lastSeq } = await api<{ lastSeq: number }>('/reporting/events?fromSeq=1&limit=1');
  const options = { urls: [webSocketUrl()], clientName: clientName.value, backoffMaxMs: 3000, ...(token.value !== null ? { token: () => token.value ?? '' } : {}) };
  const acting = new SupervisorClient(options);
  try {
    await acting.connect();
    supervisor = acting;
    canAct.value = true;
  } catch (error) {
    await acting.close();
    // Credentials for another client type (a wallboard's ReportingEngine key): watch, do not act.
    if (!(error instanceof OpenixnError) || error.code !== 'Forbidden') throw error;
    canAct.value = false;
  }
  const client = new ReportingClient({ ...options, clientType: canAct.value ? 'Supervisor' : 'ReportingEngine' });
  reporting = client;
  client.on('connected', () => (connection.value = 'online'));
  client.on('disconnected', () => (connection.value = 'offline'));
  await client.connect();
  void (async () => {
    for await (const event of client.events({ fromSeq: Math.max(1, lastSeq - replayEvents) })) onEvent(event);
  })();
}

export async function stop(): Promise<void> {
  if (polling !== null) clearInterval(polling);
  await reporting?.close();
  await supervisor?.close();
}

async function poll(): Promise<void> {
  try {
    const [queueAnswer, agentAnswer] = await Promise.all([
      api<{ queues: QueueRow[] }>('/queues'),
      api<{ agents: AgentRow[] }>('/agents').catch((error: { status?: number }) => {
        if (error.status === 403) return 'forbidden' as const;
        throw error;
      }),
    ]);
    const shown = queueContent.value?.queue;
    const content = shown === undefined ? null : await api<{ interactions: Interaction[] }>(`/queues/${encodeURIComponent(shown)}/interactions?limit=${waitingShown}`);
    const now = Date.now();
    batch(() => {
      if (content !== null && queueContent.value?.queue === shown) queueContent.value = { queue: shown!, interactions: content.interactions };
      queues.value = queueAnswer.queues;
      agents.value = agentAnswer === 'forbidden' ? 'forbidden' : agentAnswer.agents;
      const total = queueAnswer.queues.reduce((sum, row) => sum + row.waiting, 0);
      const seconds = [...waitingOverTime.value.seconds, now / 1000];
      const counts = [...waitingOverTime.value.waiting, total];
      const keep = seconds.findIndex((second) => second >= now / 1000 - chartSeconds);
      waitingOverTime.value = { seconds: seconds.slice(keep), waiting: counts.slice(keep) };
    });
  } catch (error) {
    notice.value = `Could not read the server's counts: ${(error as Error).message}`;
  }
}

function onEvent(event: ReportingEvent): void {
  const at = Date.parse(event.eventTime);
  const id = (event as { interactionId?: string }).interactionId;
  batch(() => {
    feed.value = [event, ...feed.value].slice(0, feedSize);
    switch (event.message) {
      case 'EventInteractionSubmitted': count('arrivals', at); break;
      case 'EventProcessingStopped': {
        count('completions', at);
        const entry = id === undefined ? undefined : waiting.get(id);
        if (entry !== undefined) record(entry.queue, (queue) => queue.abandoned.push(at));
        if (id !== undefined) waiting.delete(id);
        break;
      }
      case 'EventPlacedInQueue': {
        const queue = (event as { queue: string | null }).queue;
        if (id !== undefined && queue !== null) waiting.set(id, { queue, since: at });
        break;
      }
      case 'EventPartyAdded': {
        const party = (event as { party: { type: string; agentId?: string } }).party;
        if (party.type !== 'Agent' || id === undefined) break;
        const entry = waiting.get(id);
        if (entry !== undefined) record(entry.queue, (queue) => queue.answered.push({ at, waitSeconds: (at - entry.since) / 1000 }));
        waiting.delete(id);
        work.value = { ...work.value, [party.agentId!]: [...(work.value[party.agentId!] ?? []).filter((other) => other !== id), id] };
        break;
      }
      case 'EventPartyRemoved': {
        const party = (event as { party: { type: string; agentId?: string } }).party;
        if (party.type === 'Agent' && id !== undefined) work.value = { ...work.value, [party.agentId!]: (work.value[party.agentId!] ?? []).filter((other) => other !== id) };
        break;
      }
      case 'EventAgentLogin': {
        const login = event as { agentId: string; media: Record<string, string> };
        stateSince.value = { ...stateSince.value, [login.agentId]: Object.fromEntries(Object.keys(login.media).map((mediaType) => [mediaType, at])) };
        break;
      }
      case 'EventReadyForMedia':
      case 'EventNotReadyForMedia': {
        const change = event as { agentId: string; mediaType: string };
        stateSince.value = { ...stateSince.value, [change.agentId]: { ...stateSince.value[change.agentId], [change.mediaType]: at } };
        break;
      }
    }
  });
}

function record(queue: string, change: (entry: { answered: { at: number; waitSeconds: number }[]; abandoned: number[] }) => void): void {
  const since = Date.now() - windowSeconds * 1000;
  const previous = outcomes.value[queue] ?? { answered: [], abandoned: [] };
  const entry = { answered: previous.answered.filter((answer) => answer.at >= since), abandoned: previous.abandoned.filter((time) => time >= since) };
  change(entry);
  outcomes.value = { ...outcomes.value, [queue]: entry };
}

function count(series: 'arrivals' | 'completions', at: number): void {
  const second = Math.floor(at / 1000);
  const now = Math.floor(Date.now() / 1000);
  if (second < now - chartSeconds) return;
  const seconds: number[] = [];
  const arrivals: number[] = [];
  const completions: number[] = [];
  const previous = perSecond.value;
  const index = new Map(previous.seconds.map((value, position) => [value, position]));
  for (let moment = now - chartSeconds; moment <= now; moment++) {
    const position = index.get(moment);
    seconds.push(moment);
    arrivals.push(position === undefined ? 0 : previous.arrivals[position]!);
    completions.push(position === undefined ? 0 : previous.completions[position]!);
  }
  const at_ = seconds.indexOf(second);
  if (at_ >= 0) (series === 'arrivals' ? arrivals : completions)[at_]! += 1;
  perSecond.value = { seconds, arrivals, completions };
}

/** The service level and abandonment of a queue over the window: null when nothing ended in it. */
export function queueFigures(queue: string): { serviceLevel: number | null; abandonment: number | null } {
  const since = Date.now() - windowSeconds * 1000;
  const entry = outcomes.value[queue];
  if (entry === undefined) return { serviceLevel: null, abandonment: null };
  const answered = entry.answered.filter((answer) => answer.at >= since);
  const abandoned = entry.abandoned.filter((time) => time >= since).length;
  const ended = answered.length + abandoned;
  return {
    serviceLevel: answered.length === 0 ? null : answered.filter((answer) => answer.waitSeconds <= serviceLevelSeconds).length / answered.length,
    abandonment: ended === 0 ? null : abandoned / ended,
  };
}

export interface History {
  interactionId: string;
  events: ReportingEvent[];
  complete: boolean;
}

/** An interaction's history from the reporting log, by id, or by a media server's name and externalId. */
export async function findHistory(query: { interactionId: string } | { clientName: string; externalId: string }): Promise<History> {
  const interactionId = 'interactionId' in query
    ? query.interactionId
    : (await api<{ interactionId: string }>(`/interactions?clientName=${encodeURIComponent(query.clientName)}&externalId=${encodeURIComponent(query.externalId)}`)).interactionId;
  const events: ReportingEvent[] = [];
  let fromSeq: number | undefined;
  // Each page is one bounded scan of the log; a long life takes a few.
  for (let pages = 0; pages < 50; pages++) {
    const page = await api<{ events: ReportingEvent[]; nextSeq: number; complete: boolean }>(`/interactions/${encodeURIComponent(interactionId)}/history${fromSeq === undefined ? '' : `?fromSeq=${fromSeq}`}`);
    events.push(...page.events);
    if (page.complete) return { interactionId, events, complete: true };
    fromSeq = page.nextSeq;
  }
  return { interactionId, events, complete: false };
}

/** Lists a queue's waiting interactions (its first page), kept current with the counts. */
export async function showQueue(queue: string): Promise<void> {
  try {
    const page = await api<{ interactions: Interaction[] }>(`/queues/${encodeURIComponent(queue)}/interactions?limit=${waitingShown}`);
    queueContent.value = { queue, interactions: page.interactions };
  } catch (error) {
    actionResult.value = { ok: false, text: `Show the queue: ${(error as Error).message}` };
  }
}

/** Runs one supervisor action, says how it went, and reads the server's counts again at once. */
async function act(action: string, run: (client: SupervisorClient) => Promise<unknown>, done: string): Promise<boolean> {
  if (supervisor === null) {
    actionResult.value = { ok: false, text: `${action}: these credentials are not a supervisor's.` };
    return false;
  }
  try {
    await run(supervisor);
    actionResult.value = { ok: true, text: done };
    await poll();
    return true;
  } catch (error) {
    actionResult.value = { ok: false, text: `${action} failed: ${error instanceof OpenixnError ? `${error.description} (${error.code})` : (error as Error).message}` };
    return false;
  }
}

export function moveToQueue(interactionId: string, queue: string): Promise<boolean> {
  return act('Move to queue', (client) => client.placeInQueue({ interactionId, queue }), `Moved ${interactionId} to queue ${queue}.`);
}

export function stopInteraction(interactionId: string, reason: string): Promise<boolean> {
  return act('Stop', (client) => client.stopProcessing({ interactionId, ...(reason !== '' ? { reason } : {}) }), `Stopped ${interactionId}${reason !== '' ? ` (${reason})` : ''}.`);
}

export function forceNotReady(agentId: string, mediaType: string, reason: string): Promise<boolean> {
  return act('Force not ready', (client) => client.forceNotReady({ agentId, mediaType, ...(reason !== '' ? { reason } : {}) }), `${agentId} is not ready for ${mediaType}${reason !== '' ? ` (${reason})` : ''}.`);
}

export function forceLogout(agentId: string, reason: string): Promise<boolean> {
  return act('Force logout', (client) => client.forceAgentLogout({ agentId, ...(reason !== '' ? { reason } : {}) }), `${agentId} was logged out${reason !== '' ? ` (${reason})` : ''}.`);
}
