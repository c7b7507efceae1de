// A stage for the pull and lifecycle black-box tests (SPEC 4.2 and section 5): a real server over
// a fresh SQLite file, a reporting client that listens from the start, and helpers to connect
// media servers, routers and agents and to read, in order, what each party heard.

import { expect } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from './client.js';
import { startTestServer, type TestServer } from './server.js';

export type Readiness = Record<string, 'ready' | 'notReady'>;

/** The wire form of an interaction (SPEC section 3), as far as these tests read it. */
export interface WireInteraction {
  interactionId: string;
  mediaType: string;
  type: string;
  subtype: string;
  state: string;
  queue: string | null;
  workbin: { name: string; ownerId: string } | null;
  priority: number;
  userData: Record<string, unknown>;
  submittedAt: string;
  placedInQueueAt: string;
  assignedTo: string | null;
}

/**
 * `backlog` and `other` are pull-only queues, `routed` is offered to external routers. `drafts`
 * belongs to an agent, `desk` to a place, `team` to an agent group (`tier2` holds agent-7 only).
 * Both timers are long, so nothing expires unless a test shortens them with `withTimeouts`.
 */
export const stageConfig: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 600 },
  mediaTypes: { email: { capacity: 1 }, chat: { capacity: 1 } },
  queues: { backlog: { routing: 'none' }, other: { routing: 'none' }, routed: { routing: 'external' } },
  workbins: { drafts: { owner: 'agent' }, desk: { owner: 'place' }, team: { owner: 'agentGroup' } },
  agentGroups: { tier2: ['agent-7'] },
  router: { builtin: false },
};

/** The stage with other timeouts (seconds) and media type settings. */
export function withTimeouts(timeouts: { handlingTimeout?: number; deliveringTimeout?: number }, mediaTypes: ConfigInput['mediaTypes'] = {}): ConfigInput {
  return {
    ...stageConfig,
    timeouts: { ...stageConfig.timeouts, ...timeouts },
    mediaTypes: { ...stageConfig.mediaTypes, ...mediaTypes },
  };
}

export class Stage {
  private readonly clients: TestClient[] = [];

  private constructor(
    public server: TestServer,
    public media: TestClient,
    public reporting: TestClient,
  ) {
    this.clients.push(media, reporting);
  }

  /** Starts a server with a media server (`gateway`) and a reporting client that is live from the start. */
  static async open(config: ConfigInput = stageConfig): Promise<Stage> {
    const server = await startTestServer(config);
    const { media, reporting } = await connectStandardClients(server.url);
    return new Stage(server, media, reporting);
  }

  get url(): string {
    return this.server.url;
  }

  /** Restarts the server over the same store; the media server and reporting client reconnect (live from now). */
  async restart(): Promise<void> {
    this.server = await this.server.restart();
    ({ media: this.media, reporting: this.reporting } = await connectStandardClients(this.url));
    this.clients.push(this.media, this.reporting);
  }

  async mediaServer(clientName = 'gateway'): Promise<TestClient> {
    return this.track(await TestClient.register(this.url, 'MediaServer', clientName));
  }

  /** Registers a RoutingEngine, serving every external queue or only `queues`. */
  async router(name = 'router-1', queues?: string[]): Promise<TestClient> {
    return this.track(await TestClient.register(this.url, 'RoutingEngine', name, queues === undefined ? {} : { queues }));
  }

  /** A reporting client; started live, or from `fromSeq`, once its EventAck arrived. */
  async reporter(fromSeq?: number): Promise<TestClient> {
    const reporter = this.track(await TestClient.register(this.url, 'ReportingEngine', 'stats-extra'));
    const started = await reporter.request({ message: 'RequestStartReporting', ...(fromSeq === undefined ? {} : { fromSeq }) });
    if (started.message !== 'EventAck') throw new Error(`reporting refused: ${JSON.stringify(started)}`);
    return reporter;
  }

  /** A Supervisor console (SPEC 9.3). */
  async supervisor(name = 'floor-lead'): Promise<TestClient> {
    return this.track(await TestClient.register(this.url, 'Supervisor', name));
  }

  /** A registered agent desktop that has not logged in yet. */
  async desktop(name = 'desktop'): Promise<TestClient> {
    return this.track(await TestClient.register(this.url, 'AgentApplication', name));
  }

  /** A new desktop connection logged in as agentId; media not named are not ready. */
  async agent(agentId: string, placeId = `place-${agentId}`, media: Readiness = { email: 'ready' }): Promise<TestClient> {
    const agent = await this.desktop(`desktop-${agentId}`);
    const answer = await agent.request({ message: 'RequestAgentLogin', agentId, placeId, media });
    if (answer.message !== 'EventAck') throw new Error(`login refused: ${JSON.stringify(answer)}`);
    return agent;
  }

  /** Submits through the media server (queue backlog, email unless told) and returns the new interaction id. */
  async submit(attributes: Record<string, unknown> = {}): Promise<string> {
    const answer = await this.media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email', ...attributes });
    if (answer.message !== 'EventAck' || typeof answer.interactionId !== 'string') throw new Error(`submit refused: ${JSON.stringify(answer)}`);
    return answer.interactionId;
  }

  /** The interaction as the media server reads it now. */
  async properties(interactionId: string): Promise<WireInteraction> {
    const answer = await this.media.request({ message: 'RequestGetInteractionProperties', interactionId });
    if (answer.message !== 'EventInteractionProperties') throw new Error(`properties refused: ${JSON.stringify(answer)}`);
    return answer.interaction as WireInteraction;
  }

  /** Pulls named interactions (or the first of the queue) for an agent; returns the pulled ids. */
  async pull(agent: TestClient, request: Record<string, unknown>): Promise<string[]> {
    const answer = await agent.request({ message: 'RequestPull', ...request });
    if (answer.message !== 'EventPulledInteractions') throw new Error(`pull refused: ${JSON.stringify(answer)}`);
    return idsOf(answer.interactions);
  }

  /**
   * Consumes the next `expected.length` reporting events about the interaction and checks each
   * against its expectation in order: an event missing, added in between or out of order fails.
   */
  async expectReports(interactionId: string, expected: Record<string, unknown>[]): Promise<Message[]> {
    return expectInOrder(this.reporting, (message) => message.interactionId === interactionId, expected, `reporting events about ${interactionId}`);
  }

  /** The same for reporting events about an agent rather than an interaction (login, logout, readiness). */
  async expectAgentReports(agentId: string, expected: Record<string, unknown>[]): Promise<Message[]> {
    return expectInOrder(this.reporting, (message) => message.agentId === agentId && message.interactionId === undefined, expected, `reporting events about ${agentId}`);
  }

  /** The same for the next reporting events whatever they are about. */
  async expectNextReports(expected: Record<string, unknown>[]): Promise<Message[]> {
    return expectInOrder(this.reporting, (message) => typeof message.seq === 'number', expected, 'reporting events');
  }

  /** The names of every reporting event about the interaction so far, in order, once the stream has caught up. */
  async reportedNames(interactionId: string): Promise<string[]> {
    await this.reporting.settle();
    return about(this.reporting, interactionId).map((message) => message.message);
  }

  /** Stops every client and the server, and deletes the store. */
  async dispose(): Promise<void> {
    for (const client of this.clients) client.socket.terminate();
    await this.server.dispose();
  }

  private track(client: TestClient): TestClient {
    this.clients.push(client);
    return client;
  }
}

async function connectStandardClients(url: string): Promise<{ media: TestClient; reporting: TestClient }> {
  const media = await TestClient.register(url, 'MediaServer', 'gateway');
  const reporting = await TestClient.register(url, 'ReportingEngine', 'stats');
  const started = await reporting.request({ message: 'RequestStartReporting' });
  if (started.message !== 'EventAck') throw new Error(`reporting refused: ${JSON.stringify(started)}`);
  return { media, reporting };
}

/** Consumes the next matching messages, one per expectation, and matches them in order. */
export async function expectInOrder(client: TestClient, match: (message: Message) => boolean, expected: Record<string, unknown>[], what: string): Promise<Message[]> {
  const received: Message[] = [];
  for (let index = 0; index < expected.length; index++) {
    try {
      received.push(await client.next(match));
    } catch {
      throw new Error(`${what}: expected ${JSON.stringify(expected.map((event) => event.message))}, received only ${JSON.stringify(received.map((event) => event.message))}`);
    }
  }
  expect(received).toMatchObject(expected);
  return received;
}

/** Matches the next message with this name about this interaction. */
export function named(name: string, interactionId: string): (message: Message) => boolean {
  return (message) =>
    message.message === name && (message.interactionId === interactionId || (message.interaction as WireInteraction | undefined)?.interactionId === interactionId);
}

/** Every message a client received about the interaction, consumed or not, in the order received. */
export function about(client: TestClient, interactionId: string): Message[] {
  return client.received.filter(
    (message) => message.interactionId === interactionId || (message.interaction as WireInteraction | undefined)?.interactionId === interactionId,
  );
}

export function idsOf(interactions: unknown): string[] {
  return (interactions as WireInteraction[]).map((interaction) => interaction.interactionId);
}

/** Sends a request and checks that it is refused with this error code. */
export async function expectError(client: TestClient, request: Record<string, unknown>, errorCode: string): Promise<Message> {
  const answer = await client.request(request);
  expect(answer).toMatchObject({ message: 'EventError', referenceId: expect.any(Number), errorCode, errorDescription: expect.any(String) });
  return answer;
}

/** Sends a request and checks that its answer is a bare EventAck. */
export async function expectAck(client: TestClient, request: Record<string, unknown>): Promise<Message> {
  const answer = await client.request(request);
  expect(answer).toMatchObject({ message: 'EventAck' });
  return answer;
}

/**
 * The messages a client has received and not consumed, once the server has answered a later
 * request of that client (so anything the server sent before that answer is among them).
 */
export async function unreadAfterSettling(client: TestClient): Promise<Message[]> {
  await client.settle();
  return client.takeUnread();
}

/** Sends a route call and waits for the agent's EventInvite; returns the ticket and the route call's referenceId. */
export async function invite(router: TestClient, agent: TestClient, interactionId: string, agentId: string): Promise<{ ticketId: number; referenceId: number }> {
  const referenceId = router.send({ message: 'RequestRouteCall', interactionId, agentId });
  const event = await agent.next(named('EventInvite', interactionId));
  return { ticketId: event.ticketId as number, referenceId };
}

/**
 * Paces an agent's own activity (a desktop that keeps working sends a request now and then).
 * It is never used to wait for the server: that is always an event.
 */
export function pace(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
