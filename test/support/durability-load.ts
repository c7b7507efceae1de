// The mixed load and the audit of the durability tests (SPEC section 6): media servers submit and
// stop, an external router routes, agents accept, reject, pull from a queue and from a workbin,
// file into a workbin, return to a queue and stop, transfer to a colleague and bring one into a
// conference (SPEC 9.1–9.2), which joins and leaves. A World keeps what every client was
// acknowledged; after a restart the audit checks the server against it and against the whole
// reporting log, replayed from seq 1. The kill -9 harness (test/blackbox/crash.test.ts, `npm run
// soak`) and the database fault tests drive the same load.

import { expect } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from './client.js';
import { oneToN, Peer, readReportingLog, seededRandom, seqsOf } from './durability-peer.js';
import type { ChildServer } from './server.js';

export const agentIds = ['agent-1', 'agent-2', 'agent-3', 'agent-4'];
export const mediaNames = ['media-1', 'media-2', 'media-3'];

export const durabilityConfig: ConfigInput = {
  // A short delivering timer, so some invites also end by timing out; handling never times out here.
  timeouts: { deliveringTimeout: 0.4, handlingTimeout: 3600 },
  mediaTypes: { chat: { capacity: 3 }, email: { capacity: 4 } },
  queues: { q: { routing: 'external' }, backlog: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
  router: { builtin: false },
};

/** What the clients were told about one interaction, as far as it matters after a crash. */
interface Known {
  interactionId: string;
  /** Set when the submit was acknowledged: the media server and externalId to re-submit with. */
  submittedBy: string | null;
  externalId: string | null;
  queue: string | null;
  stopped: boolean;
  /** The agent that owns it by an acknowledged accept or pull. */
  owner: string | null;
  /** The agent whose drafts workbin holds it by an acknowledged RequestPlaceInWorkbin. */
  filedBy: string | null;
  /** Waiting in backlog by an acknowledged submit or RequestPlaceInQueue. */
  inBacklog: boolean;
  /** A request about it was unanswered at the kill: either outcome is allowed. */
  uncertain: boolean;
}

/** The answer to a request refused while the database is away (src/server.ts). */
export const databaseUnavailable = 'The database is unavailable, so nothing was changed; retry shortly.';

/** The acknowledged facts, updated only from answers. A stop is final: acks that arrive after it describe earlier moves. */
export class World {
  readonly known = new Map<string, Known>();
  readonly surprises: string[] = [];
  acknowledged = 0;
  onAcknowledged: () => void = () => undefined;
  /** Whether the load runs through database faults, where a refusal for an unavailable database is expected. */
  databaseFaults = false;
  /** Requests refused because the database was unavailable. */
  refusedUnavailable = 0;
  /** Transfer and conference invites acknowledged and accepted (SPEC 9.1–9.2), to show the load did them. */
  peersInvited = 0;
  readonly peersAccepted = { Transfer: 0, Conference: 0 };

  entry(interactionId: string): Known {
    let known = this.known.get(interactionId);
    if (known === undefined) {
      known = { interactionId, submittedBy: null, externalId: null, queue: null, stopped: false, owner: null, filedBy: null, inBacklog: false, uncertain: false };
      this.known.set(interactionId, known);
    }
    return known;
  }

  private counted(): void {
    this.acknowledged++;
    this.onAcknowledged();
  }

  submitted(interactionId: string, submittedBy: string, externalId: string, queue: string): void {
    const known = this.entry(interactionId);
    Object.assign(known, { submittedBy, externalId, queue });
    if (!known.stopped && known.owner === null && known.filedBy === null) known.inBacklog = queue === 'backlog';
    this.counted();
  }

  owned(interactionId: string, agentId: string): void {
    const known = this.entry(interactionId);
    if (!known.stopped) Object.assign(known, { owner: agentId, filedBy: null, inBacklog: false });
    this.counted();
  }

  filed(interactionId: string, agentId: string): void {
    const known = this.entry(interactionId);
    if (!known.stopped) Object.assign(known, { owner: null, filedBy: agentId, inBacklog: false });
    this.counted();
  }

  returnedToBacklog(interactionId: string): void {
    const known = this.entry(interactionId);
    if (!known.stopped) Object.assign(known, { owner: null, filedBy: null, inBacklog: true });
    this.counted();
  }

  stoppedBy(interactionId: string): void {
    Object.assign(this.entry(interactionId), { stopped: true, owner: null, filedBy: null, inBacklog: false });
    this.counted();
  }

  unanswered(interactionId: string): void {
    this.entry(interactionId).uncertain = true;
  }

  /**
   * An answer that is not an acknowledgement: a surprise unless it is one of the refusals this load
   * provokes on purpose. Returns true for a refusal because the database was away, after which the
   * request changed nothing and the actor may try again.
   */
  expectRefusal(context: string, answer: Message, allowed: readonly string[]): boolean {
    if (this.databaseFaults && answer.message === 'EventError' && answer.errorCode === 'Internal' && answer.errorDescription === databaseUnavailable) {
      this.refusedUnavailable++;
      return true;
    }
    if (answer.message !== 'EventError' || !allowed.includes(answer.errorCode as string)) {
      this.surprises.push(`${context}: ${JSON.stringify(answer)}`);
    }
    return false;
  }

  pick(random: () => number, match: (known: Known) => boolean): string | undefined {
    const candidates = [...this.known.values()].filter((known) => !known.stopped && !known.uncertain && match(known));
    return candidates.length === 0 ? undefined : candidates[Math.floor(random() * candidates.length)]!.interactionId;
  }
}

/** Load pacing between one actor's moves; it spreads the load, it waits for nothing. */
function pace(random: () => number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(random() * 6)));
}

async function runMediaServer(peer: Peer, name: string, cycle: number, world: World, random: () => number): Promise<void> {
  let count = 0;
  let inFlight = 0;
  const submit = async () => {
    const externalId = `${name}-c${cycle}-${count++}`;
    const queue = random() < 0.7 ? 'q' : 'backlog';
    // The backlog holds emails: the router keeps every agent's chats full, so transfers and conferences find room in email.
    const answer = await peer.request({ message: 'RequestSubmit', queue, mediaType: queue === 'backlog' ? 'email' : 'chat', priority: Math.floor(random() * 3), externalId });
    if (answer === null) return;
    if (answer.message === 'EventAck') world.submitted(answer.interactionId as string, name, externalId, queue);
    else world.expectRefusal(`submit ${externalId}`, answer, []);
  };
  const stop = async () => {
    const interactionId = world.pick(random, (known) => known.submittedBy === name);
    if (interactionId === undefined) return;
    const answer = await peer.request({ message: 'RequestStopProcessing', interactionId, reason: 'customer left' });
    if (answer === null) world.unanswered(interactionId);
    else if (answer.message === 'EventAck') world.stoppedBy(interactionId);
    else world.expectRefusal(`media stop ${interactionId}`, answer, ['InvalidState']);
  };
  while (peer.isOpen()) {
    if (inFlight < 3) {
      inFlight++;
      void (random() < 0.1 ? stop() : submit()).finally(() => inFlight--);
    }
    await pace(random);
  }
}

async function runRouter(peer: Peer, world: World, random: () => number): Promise<void> {
  /** Interactions this router holds with no invite out. */
  const holding = new Set<string>();
  peer.onEvent = (event) => {
    if (event.message === 'EventRouteRequest') holding.add((event.interaction as Message).interactionId as string);
    if (event.message === 'EventRevoked') holding.delete(event.interactionId as string);
  };
  let turn = 0;
  const route = async (interactionId: string) => {
    const agentId = agentIds[turn++ % agentIds.length]!;
    const answer = await peer.request({ message: 'RequestRouteCall', interactionId, agentId });
    if (answer === null) return;
    if (answer.message === 'EventRouteUsed') {
      // After a reject the router still holds it; after a revoke the server offers it again.
      if (answer.result === 'Rejected') holding.add(interactionId);
      return;
    }
    if (answer.message === 'EventError' && answer.errorCode === 'AgentNotAvailable') holding.add(interactionId);
    else if (world.expectRefusal(`route call ${interactionId}`, answer, ['InvalidState'])) holding.add(interactionId);
  };
  while (peer.isOpen()) {
    for (const interactionId of [...holding]) {
      holding.delete(interactionId);
      void route(interactionId);
    }
    await pace(random);
  }
}

async function runAgent(peer: Peer, agentId: string, world: World, random: () => number): Promise<void> {
  /** What this agent owns, and the conferences it takes part in without owning them. */
  const held = new Set<string>();
  const joined = new Set<string>();
  const answerInvite = async (invite: Message) => {
    const interactionId = (invite.interaction as Message).interactionId as string;
    const choice = random();
    if (choice < 0.05) return; // Let the delivering timer fire.
    const message = choice < 0.25 ? 'RequestReject' : 'RequestAccept';
    const answer = await peer.request({ message, ticketId: invite.ticketId, interactionId });
    if (answer === null) {
      world.unanswered(interactionId);
    } else if (answer.message === 'EventAck') {
      if (message === 'RequestAccept' && (invite.operation === 'Transfer' || invite.operation === 'Conference')) world.peersAccepted[invite.operation]++;
      if (message === 'RequestAccept' && invite.operation === 'Conference') {
        joined.add(interactionId);
      } else if (message === 'RequestAccept') {
        // A router's invite or a transfer: this agent owns it now.
        world.owned(interactionId, agentId);
        held.add(interactionId);
      }
    } else {
      world.expectRefusal(`${message} ${interactionId}`, answer, ['InvalidState']);
    }
  };
  peer.onEvent = (event) => {
    if (event.message === 'EventInvite') void answerInvite(event);
    // An interaction taken away (stopped, transferred, moved by its owner); revoked invites carry a ticketId.
    if (event.message === 'EventRevoked' && event.ticketId === undefined) {
      held.delete(event.interactionId as string);
      joined.delete(event.interactionId as string);
    }
  };
  const login = await peer.request({ message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}`, media: { chat: 'ready', email: 'ready' } });
  if (login?.message !== 'EventAck') return;
  for (const interaction of login.interactions as Message[]) (interaction.assignedTo === agentId ? held : joined).add(interaction.interactionId as string);

  const release = async (interactionId: string) => {
    const choice = random();
    if (choice < 0.15) return; // Keep working on it.
    if (choice < 0.4) return inviteColleague(interactionId, choice < 0.28 ? 'RequestTransfer' : 'RequestConference');
    held.delete(interactionId);
    const request =
      choice < 0.55 ? { message: 'RequestStopProcessing', interactionId }
      : choice < 0.8 ? { message: 'RequestPlaceInWorkbin', interactionId, workbin: { name: 'drafts' } }
      : { message: 'RequestPlaceInQueue', interactionId, queue: 'backlog' };
    const answer = await peer.request(request);
    if (answer === null) world.unanswered(interactionId);
    else if (answer.message !== 'EventAck') {
      // Forbidden: a colleague accepted a transfer of it meanwhile.
      if (world.expectRefusal(`${request.message} ${interactionId}`, answer, ['InvalidState', 'Forbidden'])) held.add(interactionId);
    }
    else if (request.message === 'RequestStopProcessing') world.stoppedBy(interactionId);
    else if (request.message === 'RequestPlaceInWorkbin') world.filed(interactionId, agentId);
    else world.returnedToBacklog(interactionId);
  };
  /** SPEC 9.1–9.2: the owner keeps the interaction until the colleague accepts, so nothing is acknowledged yet. */
  const inviteColleague = async (interactionId: string, message: 'RequestTransfer' | 'RequestConference') => {
    const others = agentIds.filter((other) => other !== agentId);
    const answer = await peer.request({ message, interactionId, agentId: others[Math.floor(random() * others.length)]! });
    if (answer?.message === 'EventAck') world.peersInvited++;
    if (answer !== null && answer.message !== 'EventAck') world.expectRefusal(`${message} ${interactionId}`, answer, ['InvalidState', 'AgentNotAvailable']);
  };
  /** A participant stops the conference for all, or leaves it to its owner. */
  const participate = async (interactionId: string) => {
    joined.delete(interactionId);
    const stop = random() < 0.3;
    const answer = await peer.request(stop ? { message: 'RequestStopProcessing', interactionId } : { message: 'RequestLeaveInteraction', interactionId });
    if (answer === null) world.unanswered(interactionId);
    else if (answer.message !== 'EventAck') world.expectRefusal(`participant ${interactionId}`, answer, ['InvalidState', 'Forbidden']);
    else if (stop) world.stoppedBy(interactionId);
  };
  const pull = async (fromWorkbin: boolean) => {
    const interactionId = world.pick(random, (known) => (fromWorkbin ? known.filedBy === agentId : known.inBacklog));
    if (interactionId === undefined) return;
    const source = fromWorkbin ? { workbin: { name: 'drafts' } } : { queue: 'backlog' };
    const answer = await peer.request({ message: 'RequestPull', ...source, interactionIds: [interactionId] });
    if (answer === null) {
      world.unanswered(interactionId);
    } else if (answer.message === 'EventPulledInteractions') {
      for (const interaction of answer.interactions as Message[]) {
        world.owned(interaction.interactionId as string, agentId);
        held.add(interaction.interactionId as string);
      }
    } else {
      world.expectRefusal(`pull ${interactionId}`, answer, ['InvalidState']);
    }
  };
  while (peer.isOpen()) {
    await pace(random);
    const choice = random();
    if (joined.size > 0 && choice < 0.1) await participate([...joined][Math.floor(random() * joined.size)]!);
    else if (held.size > 0 && choice < 0.5) await release([...held][Math.floor(random() * held.size)]!);
    else if (choice < 0.75) await pull(true);
    else await pull(false);
  }
}

/**
 * Connects every actor, then runs them until the server dies or close() is called; `finished`
 * resolves when all have stopped. A request unanswered when its connection closes is uncertain.
 */
export async function startLoad(url: string, cycle: number, world: World, random: () => number): Promise<{ finished: Promise<unknown>; close(): Promise<void>; terminate(): Promise<void> }> {
  const agents = await Promise.all(agentIds.map((agentId) => Peer.open(url, 'AgentApplication', `desk-${agentId}`)));
  const router = await Peer.open(url, 'RoutingEngine', 'router');
  const media = await Promise.all(mediaNames.map((name) => Peer.open(url, 'MediaServer', name)));
  const runs = [
    ...agents.map((peer, index) => runAgent(peer, agentIds[index]!, world, random)),
    runRouter(router, world, random),
    ...media.map((peer, index) => runMediaServer(peer, mediaNames[index]!, cycle, world, random)),
  ];
  const finished = Promise.all(runs);
  return {
    finished,
    async close() {
      await Promise.all([...agents, router, ...media].map((peer) => peer.close()));
      await finished;
    },
    async terminate() {
      await Promise.all([...agents, router, ...media].map((peer) => peer.terminate()));
      await finished;
    },
  };
}

/** An interaction's parties as the reporting log tells them, enough to know what a restart must revoke. */
interface Reported {
  strategy: boolean;
  ticketId: number | null;
  /** The open invite is an owner's transfer or conference invite: a restart revokes it, and there is no router to remove. */
  peer: boolean;
  stopped: boolean;
}

/** The recovery events a restart owes, per interaction, after the given log. */
function owedRecovery(events: readonly Message[]): Map<string, string[]> {
  const reported = new Map<string, Reported>();
  for (const event of events) {
    const interactionId = event.interactionId as string | undefined;
    if (interactionId === undefined) continue;
    let state = reported.get(interactionId);
    if (state === undefined) reported.set(interactionId, (state = { strategy: false, ticketId: null, peer: false, stopped: false }));
    const partyType = (event.party as { type?: string } | undefined)?.type;
    switch (event.message) {
      case 'EventAgentInvited':
        state.ticketId = event.ticketId as number;
        state.peer = event.operation !== undefined;
        break;
      case 'EventRevoked':
      case 'EventRejected': state.ticketId = null; break;
      case 'EventPartyAdded':
        if (partyType === 'Strategy') state.strategy = true;
        else state.ticketId = null;
        break;
      case 'EventPartyRemoved': if (partyType === 'Strategy') state.strategy = false; break;
      case 'EventProcessingStopped': state.stopped = true; break;
    }
  }
  const owed = new Map<string, string[]>();
  for (const [interactionId, state] of reported) {
    if (state.stopped) continue;
    if (state.ticketId !== null && state.peer) owed.set(interactionId, [`EventRevoked ${state.ticketId}`]);
    else if (state.ticketId !== null) owed.set(interactionId, [`EventRevoked ${state.ticketId}`, 'EventPartyRemoved Strategy']);
    else if (state.strategy) owed.set(interactionId, ['EventPartyRemoved Strategy']);
  }
  return owed;
}

/**
 * Where the reporting log puts each interaction after its last event (`owned by A`, `queued in Q`,
 * `in drafts of A`, `stopped`), replayed event by event, and every moment it put one in two places
 * at once (owned and still waiting in a queue or workbin).
 */
function locationsFromLog(events: readonly Message[]): { where: Map<string, string>; conflicts: string[] } {
  const owner = new Map<string, string | null>();
  const waiting = new Map<string, string | null>();
  const stopped = new Set<string>();
  const conflicts: string[] = [];
  for (const event of events) {
    const interactionId = event.interactionId as string | undefined;
    if (interactionId === undefined) continue;
    const party = event.party as { type?: string; agentId?: string } | undefined;
    switch (event.message) {
      case 'EventPlacedInQueue': {
        const workbin = event.workbin as { name: string; ownerId: string } | null | undefined;
        waiting.set(interactionId, workbin ? `in ${workbin.name} of ${workbin.ownerId}` : `queued in ${event.queue as string}`);
        break;
      }
      case 'EventTakenFromQueue': waiting.set(interactionId, null); break;
      // A conference's participant is not its owner; a transfer names the new owner before it removes the old one.
      case 'EventPartyAdded': if (party?.type === 'Agent' && event.operation !== 'Conference') owner.set(interactionId, party.agentId!); break;
      case 'EventPartyRemoved': if (party?.type === 'Agent' && owner.get(interactionId) === party.agentId) owner.set(interactionId, null); break;
      case 'EventProcessingStopped':
        stopped.add(interactionId);
        owner.set(interactionId, null);
        waiting.set(interactionId, null);
        break;
    }
    const owned = owner.get(interactionId) ?? null;
    const waitingIn = waiting.get(interactionId) ?? null;
    if (owned !== null && waitingIn !== null) conflicts.push(`seq ${event.seq as number}: ${interactionId} is owned by ${owned} and ${waitingIn}`);
  }
  const where = new Map<string, string>();
  for (const interactionId of new Set([...owner.keys(), ...waiting.keys(), ...stopped])) {
    const owned = owner.get(interactionId) ?? null;
    where.set(interactionId, stopped.has(interactionId) ? 'stopped' : owned !== null ? `owned by ${owned}` : waiting.get(interactionId) ?? 'nowhere');
  }
  return { where, conflicts };
}

function sortedEntries(map: Map<string, string[]>): [string, string[]][] {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Sends requests in slices, so a few thousand of them do not all wait at once. */
async function inSlices<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += 200) results.push(...(await Promise.all(items.slice(start, start + 200).map(run))));
  return results;
}

/**
 * Checks the restarted server against everything the clients were told, then makes the world
 * agree with what the server says (which settles the uncertain interactions).
 */
export async function audit(url: string, cycle: number, world: World, seed: number): Promise<void> {
  const where = `seed ${seed} (OPENIXN_CRASH_SEED), cycle ${cycle}`;
  const opened: TestClient[] = [];
  const markerAgent = `auditor-${cycle}`;
  const log = await readReportingLog(
    url,
    async () => {
      const marker = await TestClient.register(url, 'AgentApplication', 'audit-marker');
      opened.push(marker);
      await marker.request({ message: 'RequestAgentLogin', agentId: markerAgent, placeId: 'audit' });
    },
    (event) => event.message === 'EventAgentLogin' && event.agentId === markerAgent,
  );
  opened.push(log.reporter);

  // The log: 1..N without a gap, every acknowledged submit in it, and the recovery events at its end.
  expect(seqsOf([...log.before, log.marker]), where).toEqual(oneToN(log.before.length + 1));
  const reportedSubmits = new Set(log.before.filter((event) => event.message === 'EventInteractionSubmitted').map((event) => event.interactionId));
  const unreported = [...world.known.values()].filter((known) => known.submittedBy !== null && !reportedSubmits.has(known.interactionId));
  expect(unreported.map((known) => known.interactionId), `${where}: acknowledged submits missing from the reporting log`).toEqual([]);
  let tail = log.before.length;
  while (tail > 0 && log.before[tail - 1]!.reason === 'ServerRestart') tail--;
  const recovery = log.before.slice(tail);
  const recovered = new Map<string, string[]>();
  // Agents logged in at the kill are reported logged out by the restart.
  const loggedIn = new Set<string>();
  for (const event of log.before.slice(0, tail)) {
    if (event.message === 'EventAgentLogin') loggedIn.add(event.agentId as string);
    if (event.message === 'EventAgentLogout') loggedIn.delete(event.agentId as string);
  }
  const loggedOut = recovery.filter((event) => event.message === 'EventAgentLogout').map((event) => event.agentId as string);
  expect(loggedOut.sort(), `${where}: the agents logged out by the restart`).toEqual([...loggedIn].sort());
  for (const event of recovery) {
    if (event.message === 'EventAgentLogout') continue;
    const description = event.message === 'EventRevoked' ? `EventRevoked ${event.ticketId as number}` : `${event.message} ${(event.party as { type?: string } | undefined)?.type}`;
    recovered.set(event.interactionId as string, [...(recovered.get(event.interactionId as string) ?? []), description]);
  }
  const owed = owedRecovery(log.before.slice(0, tail));
  expect(sortedEntries(recovered), `${where}: the recovery events at the end of the log`).toEqual(sortedEntries(owed));
  // Replayed event by event, the log never has an interaction owned and waiting at once; below,
  // where it leaves each one must be where the server has it.
  const logged = locationsFromLog(log.before);
  expect(logged.conflicts, `${where}: the reporting log puts interactions in two places`).toEqual([]);
  // Interactions whose submit was never acknowledged (the kill came first) are audited too.
  for (const interactionId of reportedSubmits) world.entry(interactionId as string);

  // Every interaction as a media server reads it.
  const checker = await TestClient.register(url, 'MediaServer', 'auditor');
  opened.push(checker);
  const owners = new Map<string, string[]>();
  for (const agentId of agentIds) {
    const desk = await TestClient.register(url, 'AgentApplication', `audit-${agentId}`);
    opened.push(desk);
    const login = await desk.request({ message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}` });
    expect(login.message, where).toBe('EventAck');
    // The login lists the conferences the agent takes part in too: owned are those it is assignedTo.
    owners.set(agentId, (login.interactions as Message[]).filter((interaction) => interaction.assignedTo === agentId).map((interaction) => interaction.interactionId as string));
  }
  const filed = new Map<string, string[]>();
  for (const agentId of agentIds) {
    const content = await checker.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'drafts', ownerId: agentId } });
    expect(content.message, where).toBe('EventWorkbinContent');
    filed.set(agentId, (content.interactions as Message[]).map((interaction) => interaction.interactionId as string));
  }
  for (const ids of [...owners.values(), ...filed.values()]) for (const interactionId of ids) world.entry(interactionId);
  const ids = [...world.known.keys()];
  const answers = new Map(await inSlices(ids, async (interactionId) => [interactionId, await checker.request({ message: 'RequestGetInteractionProperties', interactionId })] as const));

  const problems: string[] = [];
  const appearances = (interactionId: string) => [
    ...[...owners].filter(([, owned]) => owned.includes(interactionId)).map(([agentId]) => `owned by ${agentId}`),
    ...[...filed].filter(([, content]) => content.includes(interactionId)).map(([agentId]) => `in drafts of ${agentId}`),
  ];
  for (const known of world.known.values()) {
    const id = known.interactionId;
    const answer = answers.get(id)!;
    const seen = appearances(id);
    if (answer.message === 'EventError') {
      const stopped = answer.errorCode === 'InvalidState';
      if (!stopped || (!known.stopped && !known.uncertain)) problems.push(`${id} (${JSON.stringify(known)}) is gone: ${answer.errorCode as string}`);
      if (seen.length > 0) problems.push(`${id} has stopped but is ${seen.join(', ')}`);
      if (logged.where.get(id) !== 'stopped') problems.push(`${id} has stopped, but the reporting log leaves it ${logged.where.get(id) ?? 'unreported'}`);
      continue;
    }
    const interaction = answer.interaction as Message;
    if (known.stopped) problems.push(`${id}: its stop was acknowledged, yet it reads as ${interaction.state as string}`);
    const expectedPlace =
      interaction.state === 'handling' ? `owned by ${interaction.assignedTo as string}`
      : interaction.workbin !== null ? `in drafts of ${(interaction.workbin as { ownerId: string }).ownerId}`
      : null;
    // Exactly once: in the one owned list or workbin its properties name, or in a queue and in neither.
    if (JSON.stringify(seen) !== JSON.stringify(expectedPlace === null ? [] : [expectedPlace])) {
      problems.push(`${id} reads as ${interaction.state as string} in ${JSON.stringify({ queue: interaction.queue, workbin: interaction.workbin, assignedTo: interaction.assignedTo })} but is ${JSON.stringify(seen)}`);
    }
    if (interaction.state !== 'handling' && interaction.state !== 'queued') problems.push(`${id} is ${interaction.state as string} after a restart with no router`);
    if (interaction.state === 'queued' && interaction.workbin === null && interaction.queue === null) problems.push(`${id} is queued nowhere`);
    const actual = expectedPlace ?? `queued in ${interaction.queue as string}`;
    if (logged.where.get(id) !== actual) problems.push(`${id} is ${actual}, but the reporting log leaves it ${logged.where.get(id) ?? 'unreported'}`);
    if (known.uncertain || known.stopped) continue;
    const expected =
      known.owner !== null ? `owned by ${known.owner}`
      : known.filedBy !== null ? `in drafts of ${known.filedBy}`
      : known.submittedBy !== null || known.inBacklog ? `queued in ${known.inBacklog ? 'backlog' : known.queue}`
      : null;
    if (expected !== null && actual !== expected) problems.push(`${id}: acknowledged as ${expected}, found ${actual}`);
  }
  expect(problems, `${where}: the acknowledged state after the restart`).toEqual([]);

  // A repeated externalId returns the same interaction, stopped ones included, and creates nothing.
  const resubmitters = new Map<string, TestClient>();
  for (const name of mediaNames) {
    const media = await TestClient.register(url, 'MediaServer', name);
    opened.push(media);
    resubmitters.set(name, media);
  }
  const acknowledgedSubmits = [...world.known.values()].filter((known) => known.submittedBy !== null);
  const mismatches = (await inSlices(acknowledgedSubmits, async (known) => {
    const answer = await resubmitters.get(known.submittedBy!)!.request({ message: 'RequestSubmit', queue: known.queue, mediaType: 'chat', externalId: known.externalId });
    return answer.message === 'EventAck' && answer.interactionId === known.interactionId ? null : `${known.externalId as string} -> ${JSON.stringify(answer)}`;
  })).filter((mismatch) => mismatch !== null);
  expect(mismatches, `${where}: re-submitted externalIds`).toEqual([]);
  await log.reporter.settle();
  const later = [...log.after, ...log.reporter.takeUnread()];
  expect(later.filter((event) => event.message === 'EventInteractionSubmitted' || event.message === 'EventPlacedInQueue'), `${where}: re-submits created something`).toEqual([]);

  // From here on the world is what the server says.
  for (const known of world.known.values()) {
    const answer = answers.get(known.interactionId)!;
    known.uncertain = false;
    if (answer.message === 'EventError') {
      Object.assign(known, { stopped: true, owner: null, filedBy: null, inBacklog: false });
      continue;
    }
    const interaction = answer.interaction as Message;
    Object.assign(known, {
      owner: interaction.state === 'handling' ? interaction.assignedTo : null,
      filedBy: interaction.workbin !== null ? (interaction.workbin as { ownerId: string }).ownerId : null,
      inBacklog: interaction.state === 'queued' && interaction.workbin === null && interaction.queue === 'backlog',
    });
  }
  for (const client of opened) await client.close();
}


export interface KillCycleResult {
  world: World;
  /** Kills made, and how many came after a number of acknowledged moves rather than after a time. */
  kills: number;
  killsByAcknowledgements: number;
}

/** How a run of cycles finds its server and ends its life: a restart after kill -9, or a failover. */
export interface Failures {
  /** The server that serves this cycle (started, or the one that took over); its WebSocket URL. */
  serving(cycle: number): Promise<string>;
  /** Ends the serving server's life under load (kill -9, a pause, its database cut off). */
  fail(cycle: number): Promise<void>;
  /** After the last audit: stops every server cleanly and checks that they did. */
  finish(): Promise<void>;
}

/**
 * Finds the serving server, audits it, runs the load, fails the server at a random moment, and
 * again, `cycles` times on the same store; then one more audit and a clean stop. Half the failures
 * come after a random number of acknowledged moves, half after a random time (20 to 300 ms) from
 * the moment the load is connected, so they land inside commits, between them and inside the
 * burst of answers that follows one.
 */
export async function runFailureCycles(failures: Failures, cycles: number, seed: number, world = new World()): Promise<KillCycleResult> {
  const random = seededRandom(seed);
  let killsByAcknowledgements = 0;
  for (let cycle = 0; cycle <= cycles; cycle++) {
    const url = await failures.serving(cycle);
    await audit(url, cycle, world, seed);
    if (cycle === cycles) {
      await failures.finish();
      break;
    }
    let failed!: Promise<void>;
    const fail = () => {
      world.onAcknowledged = () => undefined;
      failed = failures.fail(cycle);
    };
    const load = await startLoad(url, cycle, world, random);
    let triggered: Promise<void>;
    if (random() < 0.5) {
      killsByAcknowledgements++;
      const target = world.acknowledged + 30 + Math.floor(random() * 270);
      triggered = new Promise((resolve) => {
        world.onAcknowledged = () => {
          if (world.acknowledged < target) return;
          fail();
          resolve();
        };
      });
    } else {
      const afterMs = 20 + Math.floor(random() * 280);
      triggered = new Promise((resolve) => setTimeout(() => {
        fail();
        resolve();
      }, afterMs));
    }
    await triggered;
    await failed;
    // A paused server keeps its sockets open: the clients give up on it, as they would.
    await load.terminate();
    expect(world.surprises, `seed ${seed}: unexpected answers under load`).toEqual([]);
  }
  return { world, kills: cycles, killsByAcknowledgements };
}

/** The kill -9 harness: each cycle a child server is started on the store, and killed with SIGKILL. */
export async function runKillCycles(start: () => Promise<ChildServer>, cycles: number, seed: number): Promise<KillCycleResult> {
  let child: ChildServer | null = null;
  return runFailureCycles({
    async serving() {
      child = await start();
      return child.url;
    },
    async fail() {
      child!.process.kill('SIGKILL');
      expect(await child!.exited, `seed ${seed}`).toEqual({ code: null, signal: 'SIGKILL' });
    },
    async finish() {
      child!.process.kill('SIGTERM');
      expect(await child!.exited, `seed ${seed}: the last start stops cleanly`).toEqual({ code: 0, signal: null });
    },
  }, cycles, seed);
}
