// Reconnect and resume across a server restart, clean (SIGTERM) and kill -9, under a running
// agent, media server, router and reporting consumer, each built on the SDK the way an
// application would be. The server is a child process restarted on the same port over the same
// store. Afterwards: the agent has its owned work again (in its login's EventAck), the router
// routes again, the reporting consumer has had every seq exactly once (compared with a fresh
// replay from seq 1), and no submit was doubled, though submits were in flight at the kill.

import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { AgentClient, MediaServerClient, OpenixnError, ReportingClient, RouterClient, type ReportingEvent } from '../../src/client/index.js';
import { oneToN } from '../support/durability-peer.js';
import { nextEvent, Progress, quick, useSdkClients, wholeLog } from '../support/sdk.js';
import { useChildServers } from '../support/server.js';

const config: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 600 },
  mediaTypes: { chat: { capacity: 100 } },
  queues: { routed: { routing: 'external' } },
  router: { builtin: false },
};

describe('a server restart under running SDK clients', () => {
  const children = useChildServers();
  const track = useSdkClients();

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${signal}: the agent gets its work back, the router routes again, reporting has every seq once, no submit is doubled`, async () => {
      let server = await children.start(config);
      const urls = [server.url];
      const progress = new Progress();

      // The reporting consumer: every event from seq 1, in a for-await loop.
      const reporting = track(new ReportingClient({ urls, clientName: 'wallboard', ...quick }));
      await reporting.connect();
      const consumed: ReportingEvent[] = [];
      const consuming = (async () => {
        for await (const event of reporting.events({ fromSeq: 1 })) {
          consumed.push(event);
          progress.changed();
        }
      })();

      // The agent accepts every invite and keeps what it owns; a restored login tells it anew.
      const agent = track(new AgentClient({ urls, clientName: 'desk-1', ...quick }));
      const owned = new Set<string>();
      const restoredLogins: string[][] = [];
      let agentLoggedIn = false;
      agent.on('loggedIn', ({ interactions, restored }) => {
        const ids = interactions.map((interaction) => interaction.interactionId);
        if (restored) restoredLogins.push(ids);
        for (const id of ids) owned.add(id);
        agentLoggedIn = true;
        retryWaitingRoutes();
        progress.changed();
      });
      agent.on('disconnected', () => {
        agentLoggedIn = false;
      });
      agent.on('EventInvite', ({ ticketId, interaction }) => {
        agent.accept({ ticketId, interactionId: interaction.interactionId }).then(() => {
          owned.add(interaction.interactionId);
          progress.changed();
        }, (error: OpenixnError) => {
          // Lost with its connection, or revoked by the restart: the restored login or a new invite settles it.
          expect(['ConnectionLost', 'InvalidState']).toContain(error.code);
        });
      });
      await agent.connect();
      await agent.agentLogin({ agentId: 'agent-1', placeId: 'place-1', media: { chat: 'ready' } });

      // The router sends everything to agent-1; while the agent is away it waits for its login.
      const router = track(new RouterClient({ urls, clientName: 'router-1', queues: ['routed'], ...quick }));
      const routeResults = new Map<string, string>();
      const waitingForAgent: string[] = [];
      const route = (interactionId: string) => {
        router.routeCall({ interactionId, agentId: 'agent-1' }).then((used) => {
          routeResults.set(interactionId, used.result);
          progress.changed();
        }, (error: OpenixnError) => {
          if (error.code !== 'AgentNotAvailable') return; // ConnectionLost: the server offers it again
          if (agentLoggedIn) route(interactionId);
          else waitingForAgent.push(interactionId);
        });
      };
      function retryWaitingRoutes() {
        for (const interactionId of waitingForAgent.splice(0)) route(interactionId);
      }
      router.on('EventRouteRequest', ({ interaction }) => route(interaction.interactionId));
      await router.connect();

      const media = track(new MediaServerClient({ urls, clientName: 'gateway', ...quick }));
      await media.connect();
      const submit = async (externalId: string) => (await media.submit({ queue: 'routed', mediaType: 'chat', externalId, userData: { externalId } })).interactionId!;

      const before = await Promise.all(['before-1', 'before-2', 'before-3'].map(submit));
      await progress.until(() => before.every((id) => owned.has(id)), 'the agent owns the first three');

      // Submits go out in a closed loop, four in flight, and the server dies under them after the
      // eighth answer: the four in flight may have been executed or not, and are repeated.
      const reconnected = Promise.all([agent, router, media, reporting].map((client) => nextEvent(client, 'connected', (event) => event.reconnected)));
      let stopped!: () => void;
      const stopping = new Promise<void>((resolve) => (stopped = resolve));
      const duringIds = submitInLoop(16, 4, submit, (answered) => {
        if (answered === 8) {
          server.process.kill(signal);
          stopped();
        }
      });
      await stopping;
      await server.exited;
      const ownedAtStop = [...owned];
      server = await children.start(config, server.port);

      await reconnected;
      const during = await duringIds;
      await progress.until(() => restoredLogins.length === 1, 'the agent logged in again');
      expect(restoredLogins[0]).toEqual(expect.arrayContaining(ownedAtStop));

      // The router routes again: an interaction submitted now reaches the agent through it.
      const after = await submit('after-1');
      await progress.until(() => routeResults.get(after) === 'Accepted' && owned.has(after), 'the router routed a new interaction');
      const all = [...before, ...during, after];
      await progress.until(() => all.every((id) => owned.has(id)), 'the agent owns every interaction');
      expect(new Set(all).size).toBe(20);

      // Reporting: every seq once, as a fresh replay from seq 1 has it.
      await media.changeProperties({ interactionId: after, changedProperties: { marker: signal } });
      const isMarker = (event: ReportingEvent) => event.message === 'EventPropertiesChanged' && event.changedProperties.marker === signal;
      await progress.until(() => consumed.some(isMarker), 'the consumer saw the marker');
      const markerSeq = consumed.find(isMarker)!.seq;
      const log = await wholeLog(server.url);
      const replayed = log.filter((event) => (event.seq as number) <= markerSeq);
      expect(consumed.filter((event) => event.seq <= markerSeq)).toEqual(replayed);
      expect(consumed.map((event) => event.seq)).toEqual(oneToN(consumed.length));
      expect(replayed.some((event) => event.message === 'EventAgentLogout' && event.reason === 'ServerRestart')).toBe(true);

      // No submit doubled: one interaction per externalId, the one each promise resolved with.
      const submitted = log.filter((event) => event.message === 'EventInteractionSubmitted');
      const byExternalId = new Map<string, string[]>();
      for (const event of submitted) {
        const externalId = (event.interaction as { userData: { externalId: string } }).userData.externalId;
        byExternalId.set(externalId, [...(byExternalId.get(externalId) ?? []), event.interactionId as string]);
      }
      expect(byExternalId.size).toBe(20);
      for (const [index, id] of all.entries()) {
        const externalId = index < 3 ? `before-${index + 1}` : index < 19 ? `during-${index - 2}` : 'after-1';
        expect(byExternalId.get(externalId), externalId).toEqual([id]);
      }

      await reporting.close();
      await consuming;
    }, 30_000);
  }
});

/** Submits `total` in a closed loop with `window` in flight; resolves with their ids in order. */
async function submitInLoop(total: number, window: number, submit: (externalId: string) => Promise<string>, onAnswer: (answered: number) => void): Promise<string[]> {
  const ids: Promise<string>[] = [];
  let answered = 0;
  return new Promise((resolve, reject) => {
    const next = () => {
      if (ids.length === total) {
        if (answered === total) Promise.all(ids).then(resolve, reject);
        return;
      }
      ids.push(submit(`during-${ids.length + 1}`).then((id) => {
        onAnswer(++answered);
        next();
        return id;
      }, (error: unknown) => {
        reject(error as Error);
        throw error;
      }));
    };
    for (let index = 0; index < window; index++) next();
  });
}
