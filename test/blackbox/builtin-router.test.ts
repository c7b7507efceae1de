// The built-in router over real WebSockets (SPEC section 5 and issue 3): each test starts its own
// server with a config of routed queues, logs agents in over real connections and watches who
// gets what through the agents' EventInvites and the reporting stream. Longest idle with fairness,
// capacity and immediate delivery; reject cooldown; not ready on no answer; skills, relaxAfter,
// priority and age, overflow, pullable; a user's strategy module; and `router: {builtin: false}`.

import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const strategyModule = resolve(import.meta.dirname, '../fixtures/largest-agent-strategy.mjs');

/** The delivering and handling timers are long unless a test shortens them: nothing expires by accident. */
const longTimers = { deliveringTimeout: 30, handlingTimeout: 600 };

interface Invite {
  ticketId: number;
  interactionId: string;
  interaction: Message;
}

class Stage {
  private readonly clients: TestClient[] = [];

  private constructor(
    readonly server: TestServer,
    readonly media: TestClient,
    readonly reporting: TestClient,
  ) {}

  /** A server with a media server and a reporting client that is live from before anything happens. */
  static async open(config: ConfigInput): Promise<Stage> {
    const server = await startTestServer(config);
    const media = await TestClient.register(server.url, 'MediaServer', 'gateway');
    const reporting = await TestClient.register(server.url, 'ReportingEngine', 'wallboard');
    await acknowledged(reporting, { message: 'RequestStartReporting' });
    const stage = new Stage(server, media, reporting);
    stage.clients.push(media, reporting);
    return stage;
  }

  /** A desktop logged in as agentId at place-<agentId>; media not named are not ready. */
  async agent(agentId: string, media: Record<string, string> = { email: 'ready' }, extra: Record<string, unknown> = {}): Promise<TestClient> {
    const desktop = await TestClient.register(this.server.url, 'AgentApplication', `desktop-${agentId}`);
    this.clients.push(desktop);
    await acknowledged(desktop, { message: 'RequestAgentLogin', agentId, placeId: `place-${agentId}`, media, ...extra });
    return desktop;
  }

  async router(name: string, queues?: string[]): Promise<TestClient> {
    const router = await TestClient.register(this.server.url, 'RoutingEngine', name, queues === undefined ? {} : { queues });
    this.clients.push(router);
    return router;
  }

  async submit(queue: string, attributes: Record<string, unknown> = {}): Promise<string> {
    const answer = await acknowledged(this.media, { message: 'RequestSubmit', queue, mediaType: 'email', ...attributes });
    return answer.interactionId as string;
  }

  /** Waits for the reporting EventAgentInvited about the interaction and returns the invited agent. */
  async invitedAgent(interactionId: string, timeoutMs = 5000): Promise<string> {
    const invited = await this.reporting.next((event) => event.message === 'EventAgentInvited' && event.interactionId === interactionId, timeoutMs);
    return invited.agentId as string;
  }

  /** Every reporting event so far with this name (about this interaction), consumed or not. */
  reported(name: string, interactionId?: string): Message[] {
    return this.reporting.received.filter((event) => event.message === name && (interactionId === undefined || event.interactionId === interactionId));
  }

  /**
   * Resolves once the reporting stream has caught up with everything the server did so far. The
   * built-in router decides on the delivery that informs it and sends its route calls before the
   * server reads the next frame, so an invite it would make is reported before this returns.
   */
  async caughtUp(): Promise<void> {
    await this.reporting.settle();
  }

  async properties(interactionId: string): Promise<Message> {
    return (await acknowledged(this.media, { message: 'RequestGetInteractionProperties', interactionId })).interaction as Message;
  }

  async dispose(): Promise<void> {
    for (const client of this.clients) client.socket.terminate();
    await this.server.dispose();
  }
}

let stage: Stage | undefined;

afterEach(async () => {
  await stage?.dispose();
  stage = undefined;
  delete (globalThis as { openixnStrategyCalls?: unknown }).openixnStrategyCalls;
});

async function open(config: ConfigInput): Promise<Stage> {
  stage = await Stage.open(config);
  return stage;
}

async function acknowledged(client: TestClient, request: Record<string, unknown>): Promise<Message> {
  const answer = await client.request(request);
  if (answer.message === 'EventError') throw new Error(`request refused: ${JSON.stringify(request)} -> ${JSON.stringify(answer)}`);
  return answer;
}

/** The agent's next EventInvite (for this interaction, when named). */
async function nextInvite(agent: TestClient, interactionId?: string, timeoutMs = 5000): Promise<Invite> {
  const event = await agent.next(
    (message) => message.message === 'EventInvite' && (interactionId === undefined || (message.interaction as Message).interactionId === interactionId),
    timeoutMs,
  );
  const interaction = event.interaction as Message;
  return { ticketId: event.ticketId as number, interactionId: interaction.interactionId as string, interaction };
}

async function accept(agent: TestClient, invite: Invite): Promise<void> {
  await acknowledged(agent, { message: 'RequestAccept', ticketId: invite.ticketId, interactionId: invite.interactionId });
}

async function reject(agent: TestClient, invite: Invite): Promise<void> {
  await acknowledged(agent, { message: 'RequestReject', ticketId: invite.ticketId, interactionId: invite.interactionId });
}

async function stop(agent: TestClient, interactionId: string): Promise<void> {
  await acknowledged(agent, { message: 'RequestStopProcessing', interactionId });
}

/**
 * The router compares idle times in milliseconds, so two moves in one millisecond tie (broken by
 * the order the agents first logged in). Where a test needs one move to be strictly later than the
 * previous, it lets the clock tick first; this waits for no outcome.
 */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setImmediate(resolve));
}

function timeOf(event: Message): number {
  return Date.parse(event.eventTime as string);
}

/** Accepts every invite the agent gets and stops the interaction as soon as the accept is acknowledged. */
function workEveryInvite(agent: TestClient): void {
  const accepting = new Map<number, string>();
  agent.socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Message;
    if (message.message === 'EventInvite') {
      const interactionId = (message.interaction as Message).interactionId as string;
      accepting.set(agent.send({ message: 'RequestAccept', ticketId: message.ticketId, interactionId }), interactionId);
      return;
    }
    const interactionId = message.referenceId === undefined ? undefined : accepting.get(message.referenceId);
    if (interactionId === undefined) return;
    accepting.delete(message.referenceId!);
    if (message.message === 'EventAck') agent.send({ message: 'RequestStopProcessing', interactionId });
  });
}

/**
 * Replays reporting events and tracks each agent's load (open invites plus owned interactions);
 * returns the highest load each agent reached.
 */
function highestLoads(events: readonly Message[]): Map<string, number> {
  const invited = new Map<string, Set<string>>();
  const handling = new Map<string, Set<string>>();
  const highest = new Map<string, number>();
  const of = (sets: Map<string, Set<string>>, agentId: string) => {
    let set = sets.get(agentId);
    if (set === undefined) sets.set(agentId, (set = new Set()));
    return set;
  };
  for (const event of events) {
    const id = event.interactionId as string;
    const party = event.party as { type: string; agentId?: string } | undefined;
    let agentId: string | undefined;
    if (event.message === 'EventAgentInvited') of(invited, (agentId = event.agentId as string)).add(id);
    else if (event.message === 'EventRejected' || event.message === 'EventRevoked') of(invited, (agentId = event.agentId as string)).delete(id);
    else if (event.message === 'EventPartyAdded' && party?.type === 'Agent') {
      of(invited, (agentId = party.agentId!)).delete(id);
      of(handling, agentId).add(id);
    } else if (event.message === 'EventPartyRemoved' && party?.type === 'Agent') of(handling, (agentId = party.agentId!)).delete(id);
    if (agentId === undefined) continue;
    const load = of(invited, agentId).size + of(handling, agentId).size;
    highest.set(agentId, Math.max(highest.get(agentId) ?? 0, load));
  }
  return highest;
}

describe('longest idle, the default strategy', () => {
  it('invites the agent whose last invite, login or return to ready is oldest', async () => {
    // Capacity 3, so every agent stays available and only idle time decides.
    const s = await open({ timeouts: longTimers, mediaTypes: { email: { capacity: 3 } }, queues: { q: {} } });
    const one = await s.agent('agent-1');
    await nextMillisecond();
    await s.agent('agent-2');
    await nextMillisecond();
    await s.agent('agent-3');
    await nextMillisecond();
    // agent-1 logged in first but has just returned to ready: it is now the least idle.
    await acknowledged(one, { message: 'RequestNotReadyForMedia', mediaType: 'email' });
    await acknowledged(one, { message: 'RequestCancelNotReadyForMedia', mediaType: 'email' });

    const invited: string[] = [];
    for (let index = 0; index < 6; index++) {
      await nextMillisecond();
      invited.push(await s.invitedAgent(await s.submit('q')));
    }
    // Login (2, 3), return to ready (1), then each one's last invite.
    expect(invited).toEqual(['agent-2', 'agent-3', 'agent-1', 'agent-2', 'agent-3', 'agent-1']);
  });

  it('shares the work of equally idle agents evenly, in rotation: 4 agents, 40 interactions, 10 each', async () => {
    const s = await open({ timeouts: longTimers, queues: { q: {} } });
    const agentIds = ['agent-1', 'agent-2', 'agent-3', 'agent-4'];
    const desktops = new Map<string, TestClient>();
    for (const agentId of agentIds) {
      desktops.set(agentId, await s.agent(agentId));
      await nextMillisecond();
    }
    const order: string[] = [];
    for (let index = 0; index < 40; index++) {
      const interactionId = await s.submit('q');
      const agentId = await s.invitedAgent(interactionId);
      order.push(agentId);
      const desktop = desktops.get(agentId)!;
      await accept(desktop, await nextInvite(desktop, interactionId));
      await stop(desktop, interactionId);
      await nextMillisecond();
    }
    expect(order).toEqual(Array.from({ length: 40 }, (_, index) => agentIds[index % 4]));
    for (const agentId of agentIds) expect(order.filter((invited) => invited === agentId)).toHaveLength(10);
  });

  it('never takes an agent over its capacity (2): invited plus handling, as the reporting stream shows', async () => {
    const s = await open({ timeouts: longTimers, mediaTypes: { email: { capacity: 2 } }, queues: { q: {} } });
    const agentIds = ['agent-1', 'agent-2', 'agent-3'];
    for (const agentId of agentIds) workEveryInvite(await s.agent(agentId));
    const count = 30;
    // A burst: every submit is sent before any answer comes back, so invites pile up to capacity.
    const answers = Array.from({ length: count }, () => s.media.request({ message: 'RequestSubmit', queue: 'q', mediaType: 'email' }));
    const ids = (await Promise.all(answers)).map((answer) => answer.interactionId as string);
    expect(new Set(ids).size).toBe(count);
    for (let stopped = 0; stopped < count; stopped++) await s.reporting.next('EventProcessingStopped', 10_000);
    await s.caughtUp();

    const loads = highestLoads(s.reporting.received);
    expect([...loads.keys()].toSorted()).toEqual(agentIds);
    for (const agentId of agentIds) expect(loads.get(agentId), agentId).toBeLessThanOrEqual(2);
    // The check has teeth: the burst did fill agents to capacity.
    expect(Math.max(...loads.values())).toBe(2);
    // Every reporting event about an interaction names its media type: the router counts load per media from them.
    const aboutInteractions = s.reporting.received.filter((event) => typeof event.interactionId === 'string');
    expect(aboutInteractions.length).toBeGreaterThan(count * 5);
    for (const event of aboutInteractions) expect(event.mediaType, event.message).toBe('email');
    // Each interaction was invited and accepted exactly once.
    for (const id of ids) {
      expect(s.reported('EventAgentInvited', id)).toHaveLength(1);
      expect(s.reported('EventPartyAdded', id).filter((event) => (event.party as Message).type === 'Agent')).toHaveLength(1);
    }
  });

  describe('delivers waiting work at once, with no other trigger', () => {
    it('when an agent logs in', async () => {
      const s = await open({ timeouts: longTimers, queues: { q: {} } });
      const interactionId = await s.submit('q');
      await s.caughtUp();
      expect(s.reported('EventPartyAdded', interactionId).map((event) => event.party)).toEqual([{ type: 'Strategy', name: 'builtin-router' }]);
      expect(await s.properties(interactionId)).toMatchObject({ state: 'routing' });

      const agent = await s.agent('agent-1');
      const invite = await nextInvite(agent, interactionId);
      expect(invite.interaction).toMatchObject({ interactionId, state: 'invited', queue: 'q' });
    });

    it('when an agent returns to ready (RequestCancelNotReadyForMedia)', async () => {
      const s = await open({ timeouts: longTimers, queues: { q: {} } });
      const agent = await s.agent('agent-1', { email: 'notReady' });
      const interactionId = await s.submit('q');
      await s.caughtUp();
      expect(s.reported('EventAgentInvited', interactionId)).toEqual([]);

      await acknowledged(agent, { message: 'RequestCancelNotReadyForMedia', mediaType: 'email' });
      await nextInvite(agent, interactionId);
    });

    it('when an agent at capacity stops an interaction', async () => {
      const s = await open({ timeouts: longTimers, queues: { q: {} } });
      const agent = await s.agent('agent-1');
      const first = await s.submit('q');
      await accept(agent, await nextInvite(agent, first));
      const second = await s.submit('q');
      await s.caughtUp();
      expect(s.reported('EventAgentInvited', second)).toEqual([]);

      await stop(agent, first);
      await nextInvite(agent, second);
    });
  });

  it('a freed agent takes the waiting interactions in queue order: higher priority first, then the oldest', async () => {
    const s = await open({ timeouts: longTimers, queues: { q: {} } });
    const agent = await s.agent('agent-1');
    const busy = await s.submit('q');
    await accept(agent, await nextInvite(agent, busy));
    const waiting: string[] = [];
    for (const priority of [0, 5, 0, 5, 1]) waiting.push(await s.submit('q', { priority }));
    const [low1, high1, low2, high2, middle] = waiting as [string, string, string, string, string];

    let current = busy;
    const order: string[] = [];
    for (let index = 0; index < waiting.length; index++) {
      await stop(agent, current);
      const invite = await nextInvite(agent);
      await accept(agent, invite);
      order.push((current = invite.interactionId));
    }
    expect(order).toEqual([high1, high2, middle, low1, low2]);
  });
});

describe('reject cooldown', () => {
  it('a rejected interaction goes to another agent, and not back to the one that rejected it within rejectCooldown', async () => {
    const s = await open({ timeouts: { ...longTimers, rejectCooldown: 60 }, queues: { q: {} } });
    const one = await s.agent('agent-1');
    await nextMillisecond();
    const two = await s.agent('agent-2');
    const interactionId = await s.submit('q');
    await reject(one, await nextInvite(one, interactionId));
    await reject(two, await nextInvite(two, interactionId));
    await s.caughtUp();
    // Both agents rejected it within the cooldown: it waits, although both are free.
    expect(s.reported('EventAgentInvited', interactionId).map((event) => event.agentId)).toEqual(['agent-1', 'agent-2']);
    expect(await s.properties(interactionId)).toMatchObject({ state: 'routing' });

    // The cooldown is for that interaction only: other work still reaches them.
    const other = await s.submit('q');
    expect(await s.invitedAgent(other)).toBe('agent-1');
    await s.caughtUp();
    expect(s.reported('EventAgentInvited', interactionId)).toHaveLength(2);
  });

  it('with one agent, the rejected interaction comes back to it only after rejectCooldown (0.5 s), while other work goes to it at once', async () => {
    const s = await open({ timeouts: { ...longTimers, rejectCooldown: 0.5 }, queues: { q: {} } });
    const agent = await s.agent('agent-1');
    const interactionId = await s.submit('q');
    const first = await nextInvite(agent, interactionId);
    await reject(agent, first);
    const other = await s.submit('q');
    const otherInvite = await nextInvite(agent, other);
    await accept(agent, otherInvite);
    await stop(agent, other);

    const again = await nextInvite(agent, interactionId, 5000);
    expect(again.ticketId).toBeGreaterThan(otherInvite.ticketId);
    const rejected = s.reported('EventRejected', interactionId)[0]!;
    const invites = s.reported('EventAgentInvited', interactionId);
    expect(invites).toHaveLength(2);
    expect(timeOf(invites[1]!) - timeOf(rejected)).toBeGreaterThanOrEqual(500);
    expect(timeOf(s.reported('EventAgentInvited', other)[0]!) - timeOf(rejected)).toBeLessThan(500);
  });
});

describe('not ready on no answer', () => {
  it('an agent that lets an invite time out is set not ready (NoAnswer), the interaction goes to another agent, and the first gets nothing until it is ready again', async () => {
    const s = await open({ timeouts: { ...longTimers, deliveringTimeout: 0.3 }, queues: { q: {} } });
    const silent = await s.agent('agent-1');
    await nextMillisecond();
    const other = await s.agent('agent-2');
    const first = await s.submit('q');
    await nextInvite(silent, first);

    const revoked = await silent.next('EventRevoked', 5000);
    expect(revoked).toMatchObject({ interactionId: first, reason: 'DeliveringTimeout' });
    const notReady = await s.reporting.next('EventNotReadyForMedia', 5000);
    expect(notReady).toMatchObject({ agentId: 'agent-1', placeId: 'place-agent-1', mediaType: 'email', reason: 'NoAnswer' });
    await accept(other, await nextInvite(other, first));

    // agent-2 is busy and agent-1 not ready: new work waits and agent-1 is not invited.
    const second = await s.submit('q');
    await s.caughtUp();
    expect(s.reported('EventAgentInvited', second)).toEqual([]);
    expect(silent.received.filter((message) => message.message === 'EventInvite')).toHaveLength(1);

    await acknowledged(silent, { message: 'RequestCancelNotReadyForMedia', mediaType: 'email' });
    await nextInvite(silent, second);
    expect(s.reported('EventAgentInvited', first).map((event) => event.agentId)).toEqual(['agent-1', 'agent-2']);
  });

  it('with delivery.notReadyOnNoAnswer false the agent stays ready and is invited again', async () => {
    const s = await open({ timeouts: { ...longTimers, deliveringTimeout: 0.3 }, delivery: { notReadyOnNoAnswer: false }, queues: { q: {} } });
    const agent = await s.agent('agent-1');
    const interactionId = await s.submit('q');
    const first = await nextInvite(agent, interactionId);
    expect(await agent.next('EventRevoked', 5000)).toMatchObject({ interactionId, ticketId: first.ticketId, reason: 'DeliveringTimeout' });
    const second = await nextInvite(agent, interactionId, 5000);
    expect(second.ticketId).toBeGreaterThan(first.ticketId);
    await accept(agent, second);
    await s.caughtUp();
    expect(s.reported('EventNotReadyForMedia')).toEqual([]);
  });
});

describe('skills', () => {
  const skillsConfig: ConfigInput = {
    timeouts: longTimers,
    agents: {
      'agent-2': { skills: { english: 2 } },
      'agent-3': { skills: { english: 3 } },
      'agent-5': { skills: { english: 5 } },
      'agent-x': { skills: { english: 1 } },
    },
    queues: {
      english: { strategy: 'skills', skills: { english: 3 } },
      relaxed: { strategy: 'skills', skills: { english: 3 }, relaxAfter: 0.5 },
      idle: { strategy: 'longestIdle', skills: { english: 3 } },
    },
  };

  it('only agents with every required skill at its minimum level get the work; skills come from the config and from the login', async () => {
    const s = await open(skillsConfig);
    await s.agent('agent-2');
    const first = await s.submit('english');
    await s.caughtUp();
    expect(s.reported('EventAgentInvited', first)).toEqual([]);

    // The login's skills override the config's english 1.
    const x = await s.agent('agent-x', { email: 'ready' }, { skills: { english: 4 } });
    const login = await s.reporting.next((event) => event.message === 'EventAgentLogin' && event.agentId === 'agent-x');
    expect(login).toMatchObject({ skills: { english: 4 } });
    await accept(x, await nextInvite(x, first));

    // agent-2 is the longest idle and free, but not skilled enough: the next goes to agent-3.
    await s.agent('agent-3');
    const second = await s.submit('english');
    expect(await s.invitedAgent(second)).toBe('agent-3');
    expect(s.reported('EventAgentInvited').map((event) => event.agentId)).not.toContain('agent-2');
  });

  it('the best match (highest level) wins among idle agents, then the next best', async () => {
    const s = await open(skillsConfig);
    for (const agentId of ['agent-2', 'agent-3']) {
      await s.agent(agentId);
      await nextMillisecond();
    }
    await s.agent('agent-x', { email: 'ready' }, { skills: { english: 4 } });
    await nextMillisecond();
    await s.agent('agent-5');
    const invited: string[] = [];
    for (let index = 0; index < 3; index++) invited.push(await s.invitedAgent(await s.submit('english')));
    expect(invited).toEqual(['agent-5', 'agent-x', 'agent-3']);
    const fourth = await s.submit('english');
    await s.caughtUp();
    expect(s.reported('EventAgentInvited', fourth)).toEqual([]);
  });

  it("an interaction's user data skills add a requirement", async () => {
    const s = await open(skillsConfig);
    await s.agent('agent-5');
    await nextMillisecond();
    await s.agent('agent-3', { email: 'ready' }, { skills: { french: 1 } });
    await nextMillisecond();
    await s.agent('agent-x', { email: 'ready' }, { skills: { english: 4, french: 2 } });
    const interactionId = await s.submit('english', { userData: { skills: { french: 2 } } });
    expect(await s.invitedAgent(interactionId)).toBe('agent-x');
  });

  it('relaxAfter (0.5 s) lets a lower-level agent take it after the wait, never an agent without the skill', async () => {
    const s = await open(skillsConfig);
    await s.agent('agent-none');
    await nextMillisecond();
    await s.agent('agent-2');
    const interactionId = await s.submit('relaxed');
    expect(await s.invitedAgent(interactionId, 5000)).toBe('agent-2');
    const placed = s.reported('EventPlacedInQueue', interactionId)[0]!;
    const invited = s.reported('EventAgentInvited', interactionId)[0]!;
    expect(timeOf(invited) - timeOf(placed)).toBeGreaterThanOrEqual(500);
  });

  it('strategy longestIdle with skills takes the longest idle agent among the skilled ones, not the best match', async () => {
    const s = await open(skillsConfig);
    for (const agentId of ['agent-2', 'agent-3', 'agent-5']) {
      await s.agent(agentId);
      await nextMillisecond();
    }
    const invited: string[] = [];
    for (let index = 0; index < 2; index++) invited.push(await s.invitedAgent(await s.submit('idle')));
    expect(invited).toEqual(['agent-3', 'agent-5']);
  });
});

describe('priority and age', () => {
  it('an agent that frees up takes the highest priority across both priorityAge queues, then the oldest', async () => {
    const s = await open({ timeouts: longTimers, queues: { vip: { strategy: 'priorityAge' }, escalated: { strategy: 'priorityAge' } } });
    const a = await s.submit('vip', { priority: 1 });
    const b = await s.submit('escalated', { priority: 5 });
    const c = await s.submit('vip', { priority: 5 });
    const d = await s.submit('escalated', { priority: 1 });
    const e = await s.submit('escalated', { priority: 0 });
    const f = await s.submit('vip', { priority: 5 });

    const agent = await s.agent('agent-1');
    const order: string[] = [];
    for (let index = 0; index < 6; index++) {
      const invite = await nextInvite(agent);
      order.push(invite.interactionId);
      await accept(agent, invite);
      await stop(agent, invite.interactionId);
    }
    expect(order).toEqual([b, c, f, a, d, e]);
  });

  it('other queues take turns, each in its own order', async () => {
    const s = await open({ timeouts: longTimers, queues: { first: {}, second: {} } });
    const agent = await s.agent('agent-1');
    const busy = await s.submit('first');
    await accept(agent, await nextInvite(agent, busy));
    const low = await s.submit('first', { priority: 0 });
    const high = await s.submit('first', { priority: 5 });
    const older = await s.submit('second', { priority: 0 });
    const newer = await s.submit('second', { priority: 0 });
    const urgent = await s.submit('second', { priority: 9 });
    const queueOf = new Map([[low, 'first'], [high, 'first'], [older, 'second'], [newer, 'second'], [urgent, 'second']]);

    let current = busy;
    const order: string[] = [];
    for (let index = 0; index < 5; index++) {
      await stop(agent, current);
      const invite = await nextInvite(agent);
      await accept(agent, invite);
      order.push((current = invite.interactionId));
    }
    expect(order.filter((id) => queueOf.get(id) === 'first')).toEqual([high, low]);
    expect(order.filter((id) => queueOf.get(id) === 'second')).toEqual([urgent, older, newer]);
    // While both queues have work they alternate, whatever the priorities across them.
    const queues = order.slice(0, 4).map((id) => queueOf.get(id));
    for (let index = 1; index < queues.length; index++) expect(queues[index]).not.toBe(queues[index - 1]);
  });
});

describe('overflow', () => {
  it('overflowAfter (0.5 s) moves an interaction that found no agent to overflowTo, where another agent takes it', async () => {
    const s = await open({
      timeouts: longTimers,
      agents: { 'agent-2': { skills: { english: 2 } } },
      queues: { expert: { skills: { english: 5 }, overflowAfter: 0.5, overflowTo: 'general' }, general: {} },
    });
    const agent = await s.agent('agent-2');
    const interactionId = await s.submit('expert');
    const invite = await nextInvite(agent, interactionId, 5000);
    expect(invite.interaction).toMatchObject({ queue: 'general' });

    const placed = s.reported('EventPlacedInQueue', interactionId);
    expect(placed.map((event) => event.queue)).toEqual(['expert', 'general']);
    expect(timeOf(placed[1]!) - timeOf(placed[0]!)).toBeGreaterThanOrEqual(500);
    expect(s.reported('EventTakenFromQueue', interactionId)).toMatchObject([{ queue: 'expert' }]);
    expect(s.reported('EventAgentInvited', interactionId)).toMatchObject([{ agentId: 'agent-2' }]);
  });
});

describe('pullable', () => {
  it('pullable: false refuses RequestPull with Forbidden and leaves the work routing; a pullable builtin queue can be pulled from', async () => {
    const s = await open({ timeouts: longTimers, queues: { routedOnly: { pullable: false }, open: {} } });
    const agent = await s.agent('agent-1', { email: 'notReady' });
    const guarded = await s.submit('routedOnly');
    const free = await s.submit('open');

    const refused = await agent.request({ message: 'RequestPull', queue: 'routedOnly' });
    expect(refused).toMatchObject({ message: 'EventError', errorCode: 'Forbidden' });
    const named = await agent.request({ message: 'RequestPull', queue: 'routedOnly', interactionIds: [guarded] });
    expect(named).toMatchObject({ message: 'EventError', errorCode: 'Forbidden' });
    expect(await s.properties(guarded)).toMatchObject({ state: 'routing', queue: 'routedOnly' });

    const pulled = await acknowledged(agent, { message: 'RequestPull', queue: 'open' });
    expect((pulled.interactions as Message[]).map((interaction) => interaction.interactionId)).toEqual([free]);
    await s.caughtUp();
    expect(s.reported('EventPartyRemoved', free)).toMatchObject([{ party: { type: 'Strategy', name: 'builtin-router' }, reason: 'Pulled' }]);

    // The router forgot what was pulled: once free and ready, the agent is offered the routed one only.
    await stop(agent, free);
    await acknowledged(agent, { message: 'RequestCancelNotReadyForMedia', mediaType: 'email' });
    await nextInvite(agent, guarded);
    await s.caughtUp();
    expect(s.reported('EventAgentInvited', free)).toEqual([]);
  });
});

describe('a strategy module of the user', () => {
  const moduleConfig: ConfigInput = { timeouts: longTimers, queues: { custom: { strategy: { module: strategyModule } } } };

  interface StrategyCall {
    interaction: { interactionId: string; queue: string; mediaType: string; userData: Record<string, unknown> };
    candidates: { agentId: string; placeId: string; skills: Record<string, number>; idleSince: number; load: number; capacity: number }[];
    now: number;
  }

  function recordStrategyCalls(): StrategyCall[] {
    const calls: StrategyCall[] = [];
    (globalThis as { openixnStrategyCalls?: unknown }).openixnStrategyCalls = calls;
    return calls;
  }

  it('decides who gets what: the largest agentId, not the longest idle; it sees the available agents longest idle first', async () => {
    const calls = recordStrategyCalls();
    const s = await open(moduleConfig);
    for (const agentId of ['agent-a', 'agent-c', 'agent-b']) {
      await s.agent(agentId, { email: 'ready' }, agentId === 'agent-b' ? { skills: { english: 2 } } : {});
      await nextMillisecond();
    }
    const invited: string[] = [];
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      ids.push(await s.submit('custom'));
      invited.push(await s.invitedAgent(ids[index]!));
    }
    expect(invited).toEqual(['agent-c', 'agent-b', 'agent-a']);

    const first = calls.find((call) => call.interaction.interactionId === ids[0])!;
    expect(first.interaction).toMatchObject({ interactionId: ids[0], queue: 'custom', mediaType: 'email' });
    expect(first.candidates.map((candidate) => candidate.agentId)).toEqual(['agent-a', 'agent-c', 'agent-b']);
    expect(first.candidates[2]).toMatchObject({ agentId: 'agent-b', placeId: 'place-agent-b', skills: { english: 2 }, load: 0, capacity: 1 });
    const idleTimes = first.candidates.map((candidate) => candidate.idleSince);
    expect(idleTimes).toEqual(idleTimes.toSorted((x, y) => x - y));
    // Agents at capacity are not candidates.
    const third = calls.find((call) => call.interaction.interactionId === ids[2])!;
    expect(third.candidates.map((candidate) => candidate.agentId)).toEqual(['agent-a']);
  });

  it('null lets the interaction wait; it goes at once to the first agent the strategy accepts when that agent logs in', async () => {
    const calls = recordStrategyCalls();
    const s = await open(moduleConfig);
    await s.agent('agent-b');
    const interactionId = await s.submit('custom', { userData: { agentPrefix: 'vip-' } });
    await s.caughtUp();
    expect(s.reported('EventAgentInvited', interactionId)).toEqual([]);
    expect(calls.some((call) => call.interaction.interactionId === interactionId)).toBe(true);

    const vip = await s.agent('vip-1');
    await nextInvite(vip, interactionId);
    // The strategy that chose vip-1 was shown every available agent, agent-b included.
    const deciding = calls.filter((call) => call.interaction.interactionId === interactionId).at(-1)!;
    expect(deciding.candidates.map((candidate) => candidate.agentId)).toEqual(['agent-b', 'vip-1']);
  });
});

describe('a strategy module that throws', () => {
  const moduleConfig: ConfigInput = { timeouts: longTimers, queues: { custom: { strategy: { module: strategyModule } } } };

  it('lets that interaction wait and keeps routing the others: a user bug never stops the server', async () => {
    const s = await open(moduleConfig);
    await s.agent('agent-a');
    const doomed = await s.submit('custom', { userData: { explode: true } });
    const fine = await s.submit('custom');
    expect(await s.invitedAgent(fine)).toBe('agent-a');
    await s.caughtUp();
    expect(s.reported('EventAgentInvited', doomed)).toEqual([]);
  });
});

describe('router: {builtin: false}', () => {
  it('leaves builtin queues waiting queued until an external RoutingEngine registers naming them', async () => {
    const s = await open({ timeouts: longTimers, queues: { q: {} }, router: { builtin: false } });
    const agent = await s.agent('agent-1');
    const interactionId = await s.submit('q');
    const general = await s.router('general');
    await general.settle();
    await s.caughtUp();
    expect(await s.properties(interactionId)).toMatchObject({ state: 'queued', queue: 'q' });
    expect(s.reported('EventPartyAdded', interactionId)).toEqual([]);
    expect(general.received.filter((message) => message.message === 'EventRouteRequest')).toEqual([]);

    const external = await s.router('external-router', ['q']);
    const offered = await external.next('EventRouteRequest');
    expect(offered.interaction).toMatchObject({ interactionId, state: 'routing', queue: 'q' });
    await s.caughtUp();
    expect(s.reported('EventPartyAdded', interactionId).map((event) => event.party)).toEqual([{ type: 'Strategy', name: 'external-router' }]);
    external.send({ message: 'RequestRouteCall', interactionId, agentId: 'agent-1' });
    await nextInvite(agent, interactionId);
  });
});
