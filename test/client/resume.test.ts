// What an agent's session is after its connection is cut (the network, not the server): the SDK
// logs the agent in again with the same place, skills and media readiness, a not-ready reason
// included, finds its owned work in the login's answer, and subscribes its workbins again. The
// server is the same throughout, so this is the resume alone; restart.test.ts has the restarts.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AgentClient, MediaServerClient, OpenixnError, type WebSocketConstructor } from '../../src/client/index.js';
import { nextEvent, quick, useSdkClients, wholeLog } from '../support/sdk.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const track = useSdkClients();

beforeEach(async () => {
  server = await startTestServer({ queues: { backlog: { routing: 'none' } }, workbins: { drafts: { owner: 'agent' } }, router: { builtin: false } });
});

afterEach(async () => {
  await server.dispose();
});

/** ws, remembering every socket it makes, so that a test can cut one as a network would. */
function cuttableWebSocket(): { WebSocket: WebSocketConstructor; sockets: WebSocket[] } {
  const sockets: WebSocket[] = [];
  class Cuttable extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { WebSocket: Cuttable, sockets };
}

describe('an agent whose connection is cut', () => {
  it('is logged in again as it was, finds its owned work, and is subscribed to its workbins again', async () => {
    const media = track(new MediaServerClient({ urls: [server.url], clientName: 'gateway', ...quick }));
    await media.connect();
    const first = (await media.submit({ queue: 'backlog', mediaType: 'email' })).interactionId!;
    const second = (await media.submit({ queue: 'backlog', mediaType: 'email' })).interactionId!;

    const cuttable = cuttableWebSocket();
    const agent = track(new AgentClient({ urls: [server.url], clientName: 'desk-7', ...quick, WebSocket: cuttable.WebSocket }));
    await agent.connect();
    await agent.agentLogin({ agentId: 'agent-7', placeId: 'place-7', media: { email: 'ready', chat: 'ready' }, skills: { german: 3 } });
    await agent.notReadyForMedia({ mediaType: 'chat', reason: 'Break' });
    await agent.workbinNotifications({ workbin: { name: 'drafts' }, subscribe: true });
    await agent.pull({ queue: 'backlog', count: 2 });

    const restored = nextEvent(agent, 'loggedIn', (event) => event.restored);
    const reconnected = nextEvent(agent, 'connected', (event) => event.reconnected);
    cuttable.sockets[0]!.terminate();
    const login = await restored;
    await reconnected;
    expect(cuttable.sockets).toHaveLength(2);
    expect(login).toMatchObject({ agentId: 'agent-7', placeId: 'place-7', restored: true });
    expect(login.interactions.map((interaction) => interaction.interactionId).sort()).toEqual([first, second].sort());

    // The subscription is back: filing one into the workbin is announced on the new connection.
    const added = nextEvent(agent, 'EventWorkbinContentChanged');
    await agent.placeInWorkbin({ interactionId: first, workbin: { name: 'drafts' } });
    expect(await added).toMatchObject({ operation: 'Add', interaction: { interactionId: first } });

    // The server's log shows the agent as it was: the same media, skills and not-ready reason.
    const log = await wholeLog(server.url);
    const about = log.filter((event) => event.agentId === 'agent-7' && event.message !== 'EventPartyAdded' && event.message !== 'EventPartyRemoved');
    expect(about.map((event) => [event.message, event.reason ?? null])).toEqual([
      ['EventAgentLogin', null],
      ['EventNotReadyForMedia', 'Break'],
      ['EventAgentLogout', 'AgentDisconnected'],
      ['EventAgentLogin', null],
      ['EventNotReadyForMedia', 'Break'],
    ]);
    expect(about[3]).toMatchObject({ placeId: 'place-7', media: { email: 'ready', chat: 'notReady' }, skills: { german: 3 }, handling: { email: 2 } });
  });

  it('is not logged in again after a logout, even one whose answer was lost', async () => {
    const cuttable = cuttableWebSocket();
    const agent = track(new AgentClient({ urls: [server.url], clientName: 'desk-7', ...quick, WebSocket: cuttable.WebSocket }));
    await agent.connect();
    await agent.agentLogin({ agentId: 'agent-7', placeId: 'place-7' });
    const reconnected = nextEvent(agent, 'connected', (event) => event.reconnected);
    let restoredLogins = 0;
    agent.on('loggedIn', (event) => {
      if (event.restored) restoredLogins++;
    });
    const logout = agent.agentLogout().then(() => 'answered', (error: { code: string }) => error.code);
    cuttable.sockets[0]!.terminate();
    expect(await logout).toBe('ConnectionLost');
    await reconnected;
    expect(restoredLogins).toBe(0);
    await expect(agent.pull({ queue: 'backlog' })).rejects.toEqual(expect.objectContaining({ code: 'AgentNotLoggedIn' }));
    await expect(agent.pull({ queue: 'backlog' })).rejects.toBeInstanceOf(OpenixnError);
  });
});
