// A stage for the delivery and router black-box tests (SPEC 4.1): a real server with a routed
// queue, a media server that submits, a reporting client that listens from the start, and helpers
// to log agents in, register routers and read everything a party heard about one interaction.

import type { ConfigInput } from '../../src/config/config.js';
import { TestClient, type Message } from './client.js';
import { startTestServer, type TestServer } from './server.js';

/** The wire form of an interaction (SPEC section 3), as far as these tests read it. */
export interface WireInteraction {
  interactionId: string;
  mediaType: string;
  state: string;
  queue: string | null;
  workbin: unknown;
  priority: number;
  submittedAt: string;
  placedInQueueAt: string;
  assignedTo: string | null;
}

/**
 * `q` and `q2` are offered to external routers, `bq` only to a router that names it, `backlog`
 * never. The delivering timer is long so no invite expires unless a test asks for it; `sms` has a
 * capacity of 2 to show that the media type's capacity comes from the config.
 */
export const sceneConfig: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 600 },
  mediaTypes: { email: { capacity: 1 }, chat: { capacity: 1 }, sms: { capacity: 2 } },
  queues: { q: { routing: 'external' }, q2: { routing: 'external' }, bq: { routing: 'builtin' }, backlog: { routing: 'none' } },
  router: { builtin: false },
};

/** The same stage with a delivering timer short enough to watch it fire. */
export function withDeliveringTimeout(seconds: number): ConfigInput {
  return { ...sceneConfig, timeouts: { ...sceneConfig.timeouts, deliveringTimeout: seconds } };
}

export class Scene {
  private readonly clients: TestClient[] = [];

  private constructor(
    readonly server: TestServer,
    readonly media: TestClient,
    readonly reporting: TestClient,
  ) {}

  /** Starts a server, registers a media server and a reporting client that is live from the start. */
  static async open(config: ConfigInput = sceneConfig): Promise<Scene> {
    const server = await startTestServer(config);
    const media = await TestClient.register(server.url, 'MediaServer', 'gateway');
    const reporting = await TestClient.register(server.url, 'ReportingEngine', 'stats');
    const started = await reporting.request({ message: 'RequestStartReporting' });
    if (started.message !== 'EventAck') throw new Error(`reporting refused: ${JSON.stringify(started)}`);
    const scene = new Scene(server, media, reporting);
    scene.clients.push(media, reporting);
    return scene;
  }

  get url(): string {
    return this.server.url;
  }

  /** Registers a RoutingEngine, serving every external queue or only `queues`. */
  async router(name: string, queues?: string[]): Promise<TestClient> {
    const router = await TestClient.register(this.url, 'RoutingEngine', name, queues === undefined ? {} : { queues });
    this.clients.push(router);
    return router;
  }

  /** A new agent desktop connection logged in as agentId at placeId; media not named are not ready. */
  async agent(agentId: string, placeId: string, media: Record<string, 'ready' | 'notReady'> = { email: 'ready' }): Promise<TestClient> {
    const agent = await TestClient.register(this.url, 'AgentApplication', `desktop-${agentId}`);
    this.clients.push(agent);
    const answer = await agent.request({ message: 'RequestAgentLogin', agentId, placeId, media });
    if (answer.message !== 'EventAck') throw new Error(`login refused: ${JSON.stringify(answer)}`);
    return agent;
  }

  /** Submits through the media server (queue q, email unless told) and returns the new interaction id. */
  async submit(attributes: Record<string, unknown> = {}): Promise<string> {
    const answer = await this.media.request({ message: 'RequestSubmit', queue: 'q', mediaType: 'email', ...attributes });
    if (answer.message !== 'EventAck' || typeof answer.interactionId !== 'string') throw new Error(`submit refused: ${JSON.stringify(answer)}`);
    return answer.interactionId;
  }

  /** The interaction as the media server reads it now. */
  async properties(interactionId: string): Promise<WireInteraction> {
    const answer = await this.media.request({ message: 'RequestGetInteractionProperties', interactionId });
    if (answer.message !== 'EventInteractionProperties') throw new Error(`properties refused: ${JSON.stringify(answer)}`);
    return answer.interaction as WireInteraction;
  }

  /** Waits for the next reporting event with this name about this interaction. */
  reported(name: string, interactionId: string): Promise<Message> {
    return this.reporting.next((message) => message.message === name && message.interactionId === interactionId);
  }

  /** The names of every reporting event about the interaction so far, in order, once the stream has caught up. */
  async reportedNames(interactionId: string): Promise<string[]> {
    await this.reporting.settle();
    return namesOf(about(this.reporting, interactionId));
  }

  async dispose(): Promise<void> {
    await this.server.dispose();
  }
}

/** Every message a client received about the interaction, consumed or not, in the order received. */
export function about(client: TestClient, interactionId: string): Message[] {
  return client.received.filter(
    (message) => message.interactionId === interactionId || (message.interaction as WireInteraction | undefined)?.interactionId === interactionId,
  );
}

export function namesOf(messages: readonly Message[]): string[] {
  return messages.map((message) => message.message);
}

/** Every message a client received that answers the request with this referenceId. */
export function answersTo(client: TestClient, referenceId: number): Message[] {
  return client.received.filter((message) => message.referenceId === referenceId);
}

/** Matches the next message with this name about this interaction. */
export function named(name: string, interactionId: string): (message: Message) => boolean {
  return (message) =>
    message.message === name && (message.interactionId === interactionId || (message.interaction as WireInteraction | undefined)?.interactionId === interactionId);
}

export function interactionOf(message: Message): WireInteraction {
  return message.interaction as WireInteraction;
}

/** Sends RequestRouteCall without waiting: a successful one has no immediate answer (SPEC 4.1 step 1). */
export function sendRouteCall(router: TestClient, interactionId: string, agentId: string, placeId?: string): number {
  return router.send({ message: 'RequestRouteCall', interactionId, agentId, ...(placeId === undefined ? {} : { placeId }) });
}

/** Sends a route call and waits for the agent's EventInvite; returns the ticket and the route call's referenceId. */
export async function invite(router: TestClient, agent: TestClient, interactionId: string, agentId: string): Promise<{ ticketId: number; referenceId: number; invite: Message }> {
  const referenceId = sendRouteCall(router, interactionId, agentId);
  const event = await agent.next(named('EventInvite', interactionId));
  return { ticketId: event.ticketId as number, referenceId, invite: event };
}
