// The built-in router (src/router/router.ts) on virtual time. Most tests drive a real core and the
// router together, wired as server.ts wires them (test/support/router-harness.ts), and read what
// the core did: who was invited, when, and what the router asked. A few feed the router alone by
// hand, where the point is what it does before the core answers. The last is a property: random
// agents, work and answers never make the core refuse one of the router's route calls (it decides
// after hearing a whole delivery, so its view is the core's), never take an agent over capacity,
// and never leave work waiting while an agent who may take it is idle.

import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { resolveSettings, type ConfigInput } from '../../src/config/config.js';
import { mediaSettings } from '../../src/core/config.js';
import { interactionIdOf } from '../../src/core/interaction.js';
import type { WireInteraction } from '../../src/core/events.js';
import type { OutgoingMessage } from '../../src/core/types.js';

/** Events read loosely: a test looks at attributes of several kinds of event at once. */
type ReportingEvent = OutgoingMessage & { seq: number; eventTime: string };
import { Router } from '../../src/router/router.js';
import type { Strategy, StrategyContext } from '../../src/router/strategy.js';
import { RouterHarness, startTime } from '../support/router-harness.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The agent accepts its open invite and the media server stops the interaction: the agent is free again. Returns the interaction. */
function serve(h: RouterHarness, agentId: string): string {
  const [interactionId] = h.invitesOf(agentId);
  expect(interactionId, `${agentId} has an invite`).toBeDefined();
  expect(h.accept(agentId, interactionId).message).toBe('EventAck');
  expect(h.stop(interactionId!).message).toBe('EventAck');
  return interactionId!;
}

function expectNoRouterErrors(h: RouterHarness): void {
  expect(h.routerErrors, 'the router got no EventError').toEqual([]);
}

describe('longest idle (SPEC section 5)', () => {
  test('each interaction goes to the ready agent whose last invite, login or return to ready is oldest', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-2', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-3', { chat: 'ready' });
    h.advanceSeconds(1);

    const first = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(first)).toBe('agent-1');
    h.advanceSeconds(1);
    const second = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(second)).toBe('agent-2');
    h.advanceSeconds(1);
    // Agent 1 finishes, but its idle time runs from its invite (t+3 s), after agent 3's login (t+2 s).
    serve(h, 'agent-1');
    const third = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(third)).toBe('agent-3');
    const fourth = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(fourth)).toBe('agent-1');
    expectNoRouterErrors(h);
  });

  test('an agent that returns to ready goes to the back: its idle time restarts', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-2', { chat: 'ready' });
    h.advanceSeconds(1);
    h.notReady('agent-1', 'chat');
    h.ready('agent-1', 'chat');
    h.advanceSeconds(1);
    expect(h.invitedAgentOf(h.submit('inbound', 'chat'))).toBe('agent-2');
    expect(h.invitedAgentOf(h.submit('inbound', 'chat'))).toBe('agent-1');
  });

  test('a second login restarts the idle time', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-2', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-1', { chat: 'ready', email: 'ready' });
    h.advanceSeconds(1);
    expect(h.invitedAgentOf(h.submit('inbound', 'chat'))).toBe('agent-2');
  });

  test('an invite restarts the idle time even when the agent still has room', async () => {
    const h = await RouterHarness.open({ mediaTypes: { chat: { capacity: 3 } }, queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-2', { chat: 'ready' });
    h.advanceSeconds(1);
    const invited = [1, 2, 3, 4].map(() => {
      h.advanceSeconds(1);
      return h.invitedAgentOf(h.submit('inbound', 'chat'));
    });
    expect(invited).toEqual(['agent-1', 'agent-2', 'agent-1', 'agent-2']);
  });

  test('not ready for one media type leaves the agent ready for another', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready', email: 'ready' });
    h.notReady('agent-1', 'chat');
    const chat = h.submit('inbound', 'chat');
    const email = h.submit('inbound', 'email');
    expect(h.stateOf(chat)).toBe('routing');
    expect(h.invitedAgentOf(email)).toBe('agent-1');
    h.ready('agent-1', 'chat');
    expect(h.invitedAgentOf(chat)).toBe('agent-1');
  });
});

describe('capacity', () => {
  test('the router counts its own route calls before EventAgentInvited arrives, so it never asks twice for one place (router alone)', () => {
    const settings = resolveSettings({ mediaTypes: { chat: { capacity: 2 } }, queues: { inbound: {} } }).router;
    const router = new Router(settings, new Map());
    const now = startTime;
    router.onReport({ message: 'EventAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { chat: 'ready' }, skills: {}, handling: {} }, now);
    for (const number of [1, 2, 3]) router.onMessage({ message: 'EventRouteRequest', interaction: wireInteraction(number, 'inbound', 'chat', now) }, now);
    const requests = router.takeRequests();
    expect(requests).toEqual([
      { message: 'RequestRouteCall', referenceId: 1, interactionId: interactionIdOf(1), agentId: 'agent-1', placeId: 'place-1' },
      { message: 'RequestRouteCall', referenceId: 2, interactionId: interactionIdOf(2), agentId: 'agent-1', placeId: 'place-1' },
    ]);
    expect(router.waitingCount()).toBe(1);
    // The invites are reported: still full.
    for (const number of [1, 2]) router.onReport({ message: 'EventAgentInvited', interactionId: interactionIdOf(number), mediaType: 'chat', agentId: 'agent-1', placeId: 'place-1', ticketId: number }, now);
    expect(router.takeRequests()).toEqual([]);
    // A reject frees a place; the third interaction takes it.
    router.onReport({ message: 'EventRejected', interactionId: interactionIdOf(1), mediaType: 'chat', agentId: 'agent-1', placeId: 'place-1', ticketId: 1, reason: null }, now);
    expect(router.takeRequests()).toEqual([{ message: 'RequestRouteCall', referenceId: 3, interactionId: interactionIdOf(3), agentId: 'agent-1', placeId: 'place-1' }]);
  });

  test('a burst of work fills every agent to capacity and no further, and the rest waits', async () => {
    const h = await RouterHarness.open({ mediaTypes: { chat: { capacity: 3 } }, queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    h.login('agent-2', { chat: 'ready' });
    const ids = Array.from({ length: 10 }, () => h.submit('inbound', 'chat'));
    expect(h.invitesOf('agent-1')).toHaveLength(3);
    expect(h.invitesOf('agent-2')).toHaveLength(3);
    expect(ids.filter((id) => h.stateOf(id) === 'routing')).toEqual(ids.slice(6));
    expect(h.router.waitingCount()).toBe(4);
    // One accepted and one stopped frees one place: the oldest waiting interaction takes it.
    h.accept('agent-1', ids[0]);
    expect(h.router.waitingCount()).toBe(4);
    h.stop(ids[0]!);
    expect(h.invitedAgentOf(ids[6]!)).toBe('agent-1');
    expectNoRouterErrors(h);
  });

  test('capacity is per media type', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready', email: 'ready' });
    const chat = h.submit('inbound', 'chat');
    const email = h.submit('inbound', 'email');
    const secondChat = h.submit('inbound', 'chat');
    expect([h.invitedAgentOf(chat), h.invitedAgentOf(email), h.invitedAgentOf(secondChat)]).toEqual(['agent-1', 'agent-1', null]);
  });

  test('a pulled interaction counts towards capacity for routing', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {}, backlog: { routing: 'none' } } });
    h.login('agent-1', { chat: 'ready' });
    h.submit('backlog', 'chat');
    expect(h.pull('agent-1', 'backlog').message).toBe('EventPulledInteractions');
    const routed = h.submit('inbound', 'chat');
    expect(h.stateOf(routed)).toBe('routing');
    expectNoRouterErrors(h);
  });
});

describe('transfers and conferences (SPEC 9.1, 9.2) in the router\'s view of capacity', () => {
  test('an owner\'s invite, a conference\'s participant and a transfer\'s new owner count towards capacity; a leave frees the place', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {}, backlog: { routing: 'none' } } });
    h.login('agent-1', { chat: 'ready' });
    h.login('agent-2', { chat: 'ready' });
    const shared = h.submit('backlog', 'chat');
    expect(h.pull('agent-1', 'backlog').message).toBe('EventPulledInteractions');
    expect(h.send('agent-1', { message: 'RequestConference', interactionId: shared, agentId: 'agent-2' }).message).toBe('EventAck');
    // Agent 2's one chat place is taken by the conference invite: new work waits.
    const waiting = h.submit('inbound', 'chat');
    expect(h.stateOf(waiting)).toBe('routing');
    h.accept('agent-2', shared);
    expect(h.stateOf(waiting)).toBe('routing');
    // Agent 2 leaves the conference: its place is free, and the waiting chat goes to it.
    expect(h.send('agent-2', { message: 'RequestLeaveInteraction', interactionId: shared }).message).toBe('EventAck');
    expect(h.invitedAgentOf(waiting)).toBe('agent-2');
    h.accept('agent-2', waiting);
    // A transfer of agent 1's chat to agent 3 moves the load: agent 1 becomes free for the next chat.
    h.login('agent-3', { chat: 'ready' });
    expect(h.send('agent-1', { message: 'RequestTransfer', interactionId: shared, agentId: 'agent-3' }).message).toBe('EventAck');
    h.accept('agent-3', shared);
    const next = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(next)).toBe('agent-1');
    expectNoRouterErrors(h);
  });
});

describe('AgentNotAvailable from the core', () => {
  test('blocks the agent for that media type until its next change; the interaction goes to someone else (router alone)', () => {
    const settings = resolveSettings({ queues: { inbound: {} } }).router;
    const router = new Router(settings, new Map());
    const now = startTime;
    const login = (agentId: string) => ({ message: 'EventAgentLogin', agentId, placeId: `place-${agentId}`, media: { chat: 'ready' }, skills: {}, handling: {} } as const);
    router.onReport(login('agent-1'), now);
    router.onReport(login('agent-2'), now + 1);
    router.onMessage({ message: 'EventRouteRequest', interaction: wireInteraction(1, 'inbound', 'chat', now) }, now + 2);
    expect(router.takeRequests()).toMatchObject([{ message: 'RequestRouteCall', referenceId: 1, interactionId: interactionIdOf(1), agentId: 'agent-1' }]);

    router.onMessage({ message: 'EventError', referenceId: 1, errorCode: 'AgentNotAvailable', errorDescription: 'at capacity' }, now + 3);
    expect(router.takeRequests()).toMatchObject([{ message: 'RequestRouteCall', referenceId: 2, interactionId: interactionIdOf(1), agentId: 'agent-2' }]);
    router.onReport({ message: 'EventAgentInvited', interactionId: interactionIdOf(1), mediaType: 'chat', agentId: 'agent-2', placeId: 'place-agent-2', ticketId: 1 }, now + 3);

    // Agent 1 looks free in the router's view, but the server said otherwise: new work waits.
    router.onMessage({ message: 'EventRouteRequest', interaction: wireInteraction(2, 'inbound', 'chat', now + 4) }, now + 4);
    expect(router.takeRequests()).toEqual([]);
    expect(router.waitingCount()).toBe(1);
    // An email is another media type: agent 1 is not blocked for it (but is not ready for it either).
    router.onReport({ message: 'EventReadyForMedia', agentId: 'agent-1', placeId: 'place-agent-1', mediaType: 'email' }, now + 5);
    expect(router.takeRequests()).toEqual([]);
    // Its next change for chat (here, finishing something) lifts the block.
    router.onReport({ message: 'EventPartyAdded', interactionId: interactionIdOf(9), mediaType: 'chat', party: { type: 'Agent', agentId: 'agent-1', placeId: 'place-agent-1' } }, now + 6);
    router.onReport({ message: 'EventPartyRemoved', interactionId: interactionIdOf(9), mediaType: 'chat', party: { type: 'Agent', agentId: 'agent-1', placeId: 'place-agent-1' } }, now + 7);
    expect(router.takeRequests()).toMatchObject([{ message: 'RequestRouteCall', interactionId: interactionIdOf(2), agentId: 'agent-1' }]);
  });

  test('an agent that went not ready while the router decided is refused by the core, and the interaction goes to the next agent', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-2', { chat: 'ready' });
    let interactionId = '';
    h.lagged(() => (interactionId = h.submit('inbound', 'chat')), () => h.notReady('agent-1', 'chat'));
    expect(h.routeCalls.map((call) => [call.agentId, call.error ?? 'invited'])).toEqual([['agent-1', 'AgentNotAvailable'], ['agent-2', 'invited']]);
    expect(h.invitedAgentOf(interactionId)).toBe('agent-2');
    // Ready again: agent 1 takes the next one.
    h.ready('agent-1', 'chat');
    expect(h.invitedAgentOf(h.submit('inbound', 'chat'))).toBe('agent-1');
  });

  test('a refusal because the agent logged in again at another place does not strand the interaction: it is offered at the new place', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' }, { placeId: 'place-1' });
    let interactionId = '';
    h.lagged(() => (interactionId = h.submit('inbound', 'chat')), () => h.login('agent-1', { chat: 'ready' }, { placeId: 'place-9' }));
    expect(h.routeCalls[0]).toMatchObject({ agentId: 'agent-1', placeId: 'place-1', error: 'AgentNotAvailable' });
    // The router heard the new login (before the refusal): the agent is ready at place-9 with nothing to do.
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
  });
});

describe('reject cooldown (timeouts.rejectCooldown)', () => {
  test('a rejected interaction is not offered to the same agent again until the cooldown has passed', async () => {
    const h = await RouterHarness.open({ timeouts: { rejectCooldown: 60 }, queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    const interactionId = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
    h.advanceSeconds(5);
    expect(h.reject('agent-1').message).toBe('EventAck');
    expect(h.stateOf(interactionId)).toBe('routing');
    h.advance(59_999);
    expect(h.stateOf(interactionId)).toBe('routing');
    h.advance(1);
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
    expect(h.routeCalls.map((call) => call.at - startTime)).toEqual([0, 65_000]);
    expectNoRouterErrors(h);
  });

  test('another agent gets the rejected interaction at once, and the rejecting agent takes other work meanwhile', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    h.advanceSeconds(1);
    const rejected = h.submit('inbound', 'chat');
    h.reject('agent-1');
    expect(h.stateOf(rejected)).toBe('routing');
    const other = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(other)).toBe('agent-1');
    h.login('agent-2', { chat: 'ready' });
    expect(h.invitedAgentOf(rejected)).toBe('agent-2');
  });

  test('a delivering timeout is not a reject: with notReadyOnNoAnswer off the same agent is offered the interaction again at once', async () => {
    const h = await RouterHarness.open({ timeouts: { deliveringTimeout: 30 }, delivery: { notReadyOnNoAnswer: false }, queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    const interactionId = h.submit('inbound', 'chat');
    h.advanceSeconds(30);
    expect(h.messagesTo('agent-1').map((message) => message.message)).toEqual(['EventAck', 'EventAck', 'EventInvite', 'EventRevoked', 'EventInvite']);
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
    expectNoRouterErrors(h);
  });

  test('with notReadyOnNoAnswer on, the agent that let the invite time out gets it again when it returns to ready', async () => {
    const h = await RouterHarness.open({ timeouts: { deliveringTimeout: 30 }, queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    const interactionId = h.submit('inbound', 'chat');
    h.advanceSeconds(30);
    expect(h.stateOf(interactionId)).toBe('routing');
    expect(h.reported.filter((event) => event.message === 'EventNotReadyForMedia')).toMatchObject([{ agentId: 'agent-1', mediaType: 'chat', reason: 'NoAnswer' }]);
    h.advanceSeconds(1);
    h.ready('agent-1', 'chat');
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
  });
});

describe('what the router keeps per media type', () => {
  test('only media types in use: a desktop that logs in with new names time after time leaves nothing behind', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {}, skilled: { strategy: 'skills', skills: { english: 1 } } } });
    for (let round = 0; round < 20; round++) {
      const media = Object.fromEntries(Array.from({ length: 32 }, (_, index) => [`media-${round}-${index}`, 'ready' as const]));
      expect(h.login('agent-1', media, { skills: { [`skill-${round}`]: 1, english: 2 } }).message).toBe('EventAck');
      expect(h.logout('agent-1').message).toBe('EventAck');
    }
    // Work that waited and was taken leaves nothing behind either, with skills of its own or not.
    h.submit('inbound', 'rare-1');
    const skilled = h.submit('skilled', 'rare-2', { userData: { skills: { english: 2 } } });
    expect(h.router.mediaTypesKept()).toBe(2);
    h.login('agent-1', { 'rare-1': 'ready', 'rare-2': 'ready' }, { skills: { english: 2 } });
    expect(h.invitedAgentOf(skilled)).toBe('agent-1');
    serve(h, 'agent-1');
    serve(h, 'agent-1');
    h.logout('agent-1');
    expect(h.router.mediaTypesKept()).toBe(0);
    expectNoRouterErrors(h);
  });
});

describe('skills (strategy skills, relaxAfter)', () => {
  const agents = {
    'agent-1': { skills: { english: 3 } },
    'agent-2': { skills: { english: 5 } },
    'agent-3': { skills: { english: 5, billing: 2 } },
    'agent-4': { skills: { french: 5 } },
  };

  async function skilled(queues: ConfigInput['queues']): Promise<RouterHarness> {
    const h = await RouterHarness.open({ agents, queues });
    for (const agentId of Object.keys(agents)) {
      h.login(agentId, { chat: 'ready' });
      h.advanceSeconds(1);
    }
    return h;
  }

  test('the best match wins (highest sum of the required levels), the longest idle among equals; the unqualified never', async () => {
    const h = await skilled({ support: { strategy: 'skills', skills: { english: 2 } } });
    const invited = [1, 2, 3, 4].map(() => h.invitedAgentOf(h.submit('support', 'chat')));
    // Agents 2 and 3 both score 5 (billing is not asked for): 2 is idle longer.
    expect(invited).toEqual(['agent-2', 'agent-3', 'agent-1', null]);
    expectNoRouterErrors(h);
  });

  test('an interaction\'s user data `skills` adds to the queue\'s', async () => {
    const h = await skilled({ support: { strategy: 'skills', skills: { english: 2 } } });
    const billing = h.submit('support', 'chat', { userData: { skills: { billing: 1 } } });
    expect(h.invitedAgentOf(billing)).toBe('agent-3');
  });

  test('skills given at login add to those of the config', async () => {
    const h = await skilled({ support: { strategy: 'skills', skills: { english: 2 } } });
    h.login('agent-4', { chat: 'ready' }, { skills: { english: 9 } });
    expect(h.invitedAgentOf(h.submit('support', 'chat'))).toBe('agent-4');
  });

  test('an agent that frees up takes the first waiting interaction it qualifies for', async () => {
    const h = await skilled({ support: { strategy: 'skills', skills: { english: 2 } } });
    for (const agentId of ['agent-1', 'agent-2', 'agent-3']) h.notReady(agentId, 'chat');
    const needsBilling = h.submit('support', 'chat', { userData: { skills: { billing: 1 } } });
    const plain = h.submit('support', 'chat');
    h.ready('agent-1', 'chat');
    expect([h.invitedAgentOf(needsBilling), h.invitedAgentOf(plain)]).toEqual([null, 'agent-1']);
    h.ready('agent-3', 'chat');
    expect(h.invitedAgentOf(needsBilling)).toBe('agent-3');
  });

  test('after relaxAfter any level of a required skill will do, but not a missing skill', async () => {
    const h = await RouterHarness.open({ agents, queues: { billing: { strategy: 'skills', skills: { billing: 3 }, relaxAfter: 60 }, senior: { strategy: 'skills', skills: { german: 1 }, relaxAfter: 60 } } });
    h.login('agent-3', { chat: 'ready', email: 'ready' });
    const billing = h.submit('billing', 'chat');
    const german = h.submit('senior', 'email');
    h.advance(59_999);
    expect(h.stateOf(billing)).toBe('routing');
    h.advance(1);
    expect(h.invitedAgentOf(billing)).toBe('agent-3');
    expect(h.routeCalls.map((call) => call.at - startTime)).toEqual([60_000]);
    h.advanceSeconds(600);
    expect(h.stateOf(german)).toBe('routing');
  });

  test('relaxAfter counts from the entry into the queue: a timed-out invite does not start it again', async () => {
    const h = await RouterHarness.open({
      timeouts: { deliveringTimeout: 30 },
      agents: { ...agents, 'agent-5': { skills: { billing: 3 } } },
      queues: { billing: { strategy: 'skills', skills: { billing: 3 }, relaxAfter: 60 } },
    });
    h.login('agent-5', { chat: 'ready' });
    h.login('agent-3', { chat: 'ready' });
    const billing = h.submit('billing', 'chat');
    expect(h.invitedAgentOf(billing)).toBe('agent-5');
    // Agent 5 does not answer: revoked at 30 s and set not ready; agent 3 (billing 2) qualifies at 60 s, not 90 s.
    h.advanceSeconds(30);
    expect(h.stateOf(billing)).toBe('routing');
    h.advance(29_999);
    expect(h.stateOf(billing)).toBe('routing');
    h.advance(1);
    expect(h.invitedAgentOf(billing)).toBe('agent-3');
  });

  test('an agent that frees up after relaxAfter takes relaxed work', async () => {
    const h = await RouterHarness.open({ agents, queues: { billing: { strategy: 'skills', skills: { billing: 3 }, relaxAfter: 60 } } });
    const billing = h.submit('billing', 'chat');
    h.advanceSeconds(30);
    h.login('agent-3', { chat: 'ready' });
    expect(h.stateOf(billing)).toBe('routing');
    h.logout('agent-3');
    h.advanceSeconds(31);
    h.login('agent-3', { chat: 'ready' });
    expect(h.invitedAgentOf(billing)).toBe('agent-3');
  });
});

describe('skills: the indexed best match', () => {
  // The router finds the best match through per-skill lists of available agents and stops early;
  // this checks it against the plain definition: among the available agents that qualify, in
  // longest-idle order, the first with the highest sum of the required levels.
  const skillNames = ['s0', 's1', 's2', 's3'];
  const levels = fc.dictionary(fc.constantFrom(...skillNames), fc.integer({ min: 0, max: 4 }), { maxKeys: 4 });
  const scene = fc.record({
    agents: fc.array(fc.record({ skills: levels, ready: fc.boolean() }), { minLength: 1, maxLength: 12 }),
    queueSkills: levels,
    ownSkills: fc.option(levels, { nil: undefined }),
    relaxed: fc.boolean(),
  });

  test('a skill named like an Object property (constructor, __proto__) is a skill like any other', () => {
    const settings = resolveSettings({ queues: { q: { strategy: 'skills', skills: { constructor: 1 } } } }).router;
    const router = new Router(settings, new Map());
    router.onReport({ message: 'EventAgentLogin', agentId: 'agent-1', placeId: 'place-1', media: { chat: 'ready' }, skills: {}, handling: {} }, startTime);
    router.onMessage({ message: 'EventRouteRequest', interaction: wireInteraction(1, 'q', 'chat', startTime) }, startTime);
    expect(router.takeRequests()).toEqual([]);
    router.onReport({ message: 'EventAgentLogin', agentId: 'agent-2', placeId: 'place-2', media: { chat: 'ready' }, skills: JSON.parse('{"constructor": 2, "__proto__": 1}') as Record<string, number>, handling: {} }, startTime + 1);
    expect(router.takeRequests()).toMatchObject([{ message: 'RequestRouteCall', agentId: 'agent-2' }]);
    const own = { ...wireInteraction(2, 'q', 'chat', startTime), userData: JSON.parse('{"skills": {"__proto__": 1}}') as Record<string, unknown> };
    router.onReport({ message: 'EventAgentLogin', agentId: 'agent-3', placeId: 'place-3', media: { chat: 'ready' }, skills: { constructor: 1 }, handling: {} }, startTime + 2);
    router.onMessage({ message: 'EventRouteRequest', interaction: own }, startTime + 2);
    // Agent 3 has constructor but not __proto__; agent 2 is busy: it waits.
    expect(router.takeRequests()).toEqual([]);
  });

  test('equals a search of every available agent, for random agents, levels and requirements', () => {
    fc.assert(
      fc.property(scene, ({ agents, queueSkills, ownSkills, relaxed }) => {
        const settings = resolveSettings({ queues: { q: { strategy: 'skills', skills: queueSkills, relaxAfter: 10 } } }).router;
        const router = new Router(settings, new Map());
        agents.forEach((agent, index) => {
          router.onReport({ message: 'EventAgentLogin', agentId: `agent-${index}`, placeId: `place-${index}`, media: { chat: agent.ready ? 'ready' : 'notReady' }, skills: agent.skills, handling: {} }, startTime + index);
        });
        const now = startTime + 1000 + (relaxed ? 10_000 : 0);
        const interaction = { ...wireInteraction(1, 'q', 'chat', startTime + 1000), userData: ownSkills === undefined ? {} : { skills: ownSkills } };
        router.onMessage({ message: 'EventRouteRequest', interaction }, now);
        const chosen = router.takeRequests().find((request) => request.message === 'RequestRouteCall')?.agentId ?? null;

        const required: Record<string, number> = { ...queueSkills, ...ownSkills };
        let expected: string | null = null;
        let bestScore = -1;
        agents.forEach((agent, index) => {
          if (!agent.ready) return;
          const qualified = Object.entries(required).every(([skill, minimum]) => agent.skills[skill] !== undefined && (relaxed || agent.skills[skill]! >= minimum));
          if (!qualified) return;
          const score = Object.keys(required).reduce((sum, skill) => sum + agent.skills[skill]!, 0);
          if (score > bestScore) {
            expected = `agent-${index}`;
            bestScore = score;
          }
        });
        expect(chosen).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('overflow (overflowAfter, overflowTo)', () => {
  const queues = { first: { overflowAfter: 120, overflowTo: 'backup' }, backup: {} };

  test('an interaction that found no agent in time moves to the overflow queue, and is routed there', async () => {
    const h = await RouterHarness.open({ queues });
    const interactionId = h.submit('first', 'chat');
    h.advance(119_999);
    expect(h.core.interaction(interactionId)).toMatchObject({ state: 'routing', queue: 'first' });
    h.advance(1);
    expect(h.routerRequests).toEqual([{ at: startTime + 120_000, request: { message: 'RequestPlaceInQueue', referenceId: 1, interactionId, queue: 'backup' } }]);
    expect(h.core.interaction(interactionId)).toMatchObject({ state: 'routing', queue: 'backup' });
    const moves = h.reported.filter((event) => event.interactionId === interactionId).map((event) => [event.message, event.queue ?? (event.party as { type: string } | undefined)?.type]);
    expect(moves.slice(-4)).toEqual([['EventPartyRemoved', 'Strategy'], ['EventTakenFromQueue', 'first'], ['EventPlacedInQueue', 'backup'], ['EventPartyAdded', 'Strategy']]);
    h.login('agent-1', { chat: 'ready' });
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
    expectNoRouterErrors(h);
  });

  test('an interaction rejected after its overflow time overflows instead of waiting for another agent', async () => {
    const h = await RouterHarness.open({ queues });
    const interactionId = h.submit('first', 'chat');
    h.advanceSeconds(100);
    h.login('agent-1', { chat: 'ready' });
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
    h.advanceSeconds(25);
    h.reject('agent-1');
    expect(h.core.interaction(interactionId)).toMatchObject({ state: 'routing', queue: 'backup' });
    expect(h.routerRequests.map(({ request }) => request.message)).toEqual(['RequestRouteCall', 'RequestPlaceInQueue']);
  });

  test('overflowAfter counts from the entry into the queue: an invite that times out after it overflows at once', async () => {
    const h = await RouterHarness.open({ timeouts: { deliveringTimeout: 30 }, queues });
    const interactionId = h.submit('first', 'chat');
    h.advanceSeconds(100);
    h.login('agent-1', { chat: 'ready' });
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
    h.advanceSeconds(30);
    expect(h.core.interaction(interactionId)).toMatchObject({ state: 'routing', queue: 'backup' });
    expect(h.routerRequests.filter(({ request }) => request.message === 'RequestPlaceInQueue').map(({ at }) => at - startTime)).toEqual([130_000]);
  });

  test('an interaction that is delivered in time does not overflow', async () => {
    const h = await RouterHarness.open({ queues });
    h.login('agent-1', { chat: 'ready' });
    const interactionId = h.submit('first', 'chat');
    h.accept('agent-1');
    h.advanceSeconds(300);
    expect(h.core.interaction(interactionId)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
    expect(h.routerRequests.map(({ request }) => request.message)).toEqual(['RequestRouteCall']);
  });
});

describe('priorityAge and taking turns between queues', () => {
  test('an agent that frees up takes the highest priority, then oldest, interaction across all priorityAge queues', async () => {
    const h = await RouterHarness.open({ queues: { vip: { strategy: 'priorityAge' }, escalated: { strategy: 'priorityAge' } } });
    const submitted: Record<string, string> = {};
    for (const [name, queue, priority] of [['vip-low', 'vip', 1], ['escalated-high', 'escalated', 5], ['vip-high', 'vip', 5], ['escalated-low', 'escalated', 1]] as const) {
      submitted[name] = h.submit(queue, 'chat', { priority });
      h.advanceSeconds(1);
    }
    h.login('agent-1', { chat: 'ready' });
    const order = [1, 2, 3, 4].map(() => serve(h, 'agent-1'));
    const name = (id: string) => Object.entries(submitted).find(([, value]) => value === id)![0];
    expect(order.map(name)).toEqual(['escalated-high', 'vip-high', 'vip-low', 'escalated-low']);
  });

  test('longestIdle queues take turns when an agent frees up, each in its own order', async () => {
    const h = await RouterHarness.open({ queues: { a: {}, b: {}, c: {} } });
    const labels = new Map<string, string>();
    for (const queue of ['a', 'b', 'c']) {
      for (const number of [1, 2]) {
        labels.set(h.submit(queue, 'chat'), `${queue}${number}`);
        h.advanceSeconds(1);
      }
    }
    h.login('agent-1', { chat: 'ready' });
    const order = [1, 2, 3, 4, 5, 6].map(() => labels.get(serve(h, 'agent-1')));
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
  });

  test('an agent that frees up finds waiting work behind more than a thousand interactions it may not take', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } }, { checkInvariants: false });
    for (let count = 0; count < 1001; count++) h.submit('inbound', 'chat');
    const email = h.submit('inbound', 'email');
    h.login('agent-1', { email: 'ready' });
    expect(h.invitedAgentOf(email)).toBe('agent-1');
  });
});

describe('user strategies ({module: path})', () => {
  /** examples/strategies/preferred-agent.js, agent 1 ready, agent 2 not, and an interaction that prefers agent 2. */
  async function preferringAgent2(): Promise<{ h: RouterHarness; interactionId: string }> {
    const h = await RouterHarness.open(
      { queues: { 'follow-ups': { strategy: { module: './examples/strategies/preferred-agent.js' } } } },
      { baseDirectory: repositoryRoot },
    );
    h.login('agent-1', { chat: 'ready' });
    h.login('agent-2', { chat: 'notReady' });
    return { h, interactionId: h.submit('follow-ups', 'chat', { userData: { 'preferred-agent': 'agent-2' } }) };
  }

  test('the strategy sees the available agents longest idle first, with their skills, load and capacity', async () => {
    const contexts: StrategyContext[] = [];
    const lastCandidate: Strategy = (context) => {
      contexts.push(structuredClone(context));
      return context.candidates.at(-1)!.agentId;
    };
    const h = await RouterHarness.open(
      { mediaTypes: { chat: { capacity: 2 } }, agents: { 'agent-2': { skills: { english: 4 } } }, queues: { custom: { strategy: { module: './not-loaded.js' } } } },
      { modules: { custom: lastCandidate } },
    );
    h.login('agent-1', { chat: 'ready' });
    h.advanceSeconds(1);
    h.login('agent-2', { chat: 'ready' });
    h.advanceSeconds(1);
    const first = h.submit('custom', 'chat', { priority: 2, userData: { topic: 'refund' } });
    expect(h.invitedAgentOf(first)).toBe('agent-2');
    expect(contexts).toHaveLength(1);
    expect(contexts[0]!.interaction).toMatchObject({ interactionId: first, queue: 'custom', mediaType: 'chat', priority: 2, userData: { topic: 'refund' }, enteredAt: startTime + 2000, routingSince: startTime + 2000 });
    expect(contexts[0]!.candidates).toEqual([
      { agentId: 'agent-1', placeId: 'place-1', skills: {}, idleSince: startTime, load: 0, capacity: 2 },
      { agentId: 'agent-2', placeId: 'place-2', skills: { english: 4 }, idleSince: startTime + 1000, load: 0, capacity: 2 },
    ]);
    expect(contexts[0]!.now).toBe(startTime + 2000);
    h.advanceSeconds(1);
    h.submit('custom', 'chat');
    // Agent 2's invite made it the most recently idle, and its load shows it.
    expect(contexts[1]!.candidates.map((candidate) => [candidate.agentId, candidate.load])).toEqual([['agent-1', 0], ['agent-2', 1]]);
  });

  test('a strategy that returns null lets the interaction wait, and is asked again when an agent frees up (examples/strategies/preferred-agent.js)', async () => {
    const { h, interactionId } = await preferringAgent2();
    h.advanceSeconds(10);
    expect(h.stateOf(interactionId)).toBe('routing');
    h.ready('agent-2', 'chat');
    expect(h.invitedAgentOf(interactionId)).toBe('agent-2');
    expectNoRouterErrors(h);
  });

  test('a waiting strategy is asked again as time passes: the preferred agent\'s 30 seconds run out and the longest idle agent gets it', async () => {
    const { h, interactionId } = await preferringAgent2();
    h.advanceSeconds(29.5);
    expect(h.stateOf(interactionId)).toBe('routing');
    h.advanceSeconds(1);
    expect(h.invitedAgentOf(interactionId)).toBe('agent-1');
    expect(h.routeCalls[0]!.at - startTime).toBe(30_000);
  });

  test('a strategy that returns null for every agent keeps the interaction waiting, and others in the queue still move', async () => {
    const onlyVip: Strategy = ({ interaction, candidates }) => (interaction.userData.vip === true ? candidates[0]!.agentId : null);
    const h = await RouterHarness.open({ queues: { custom: { strategy: { module: './not-loaded.js' } } } }, { modules: { custom: onlyVip } });
    h.login('agent-1', { chat: 'ready' });
    const ordinary = h.submit('custom', 'chat');
    const vip = h.submit('custom', 'chat', { userData: { vip: true } });
    expect([h.stateOf(ordinary), h.invitedAgentOf(vip)]).toEqual(['routing', 'agent-1']);
    h.accept('agent-1');
    h.stop(vip);
    h.advanceSeconds(10);
    expect(h.stateOf(ordinary)).toBe('routing');
  });

  test('a strategy that throws lets the interaction wait; the error is reported and routing goes on', async () => {
    const fussy: Strategy = ({ interaction, candidates }) => {
      if (interaction.userData.broken === true) throw new Error('no idea');
      return candidates[0]!.agentId;
    };
    const h = await RouterHarness.open({ queues: { custom: { strategy: { module: './not-loaded.js' } }, inbound: {} } }, { modules: { custom: fussy } });
    h.login('agent-1', { chat: 'ready' });
    const broken = h.submit('custom', 'chat', { userData: { broken: true } });
    expect(h.stateOf(broken)).toBe('routing');
    expect(h.strategyErrors).toContainEqual({ message: 'no idea', interactionId: broken });
    const fine = h.submit('custom', 'chat');
    expect(h.invitedAgentOf(fine)).toBe('agent-1');
    serve(h, 'agent-1');
    const plain = h.submit('inbound', 'chat');
    expect(h.invitedAgentOf(plain)).toBe('agent-1');
  });
});

describe('what agents already handle (EventAgentLogin handling)', () => {
  test('after a restart an agent that still owns work is not offered more than its capacity allows', async () => {
    const h = await RouterHarness.open({ mediaTypes: { chat: { capacity: 2 } }, queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    const owned = h.submit('inbound', 'chat');
    h.accept('agent-1');
    h.restart(5000);
    expect(h.core.interaction(owned)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });

    expect(h.login('agent-1', { chat: 'ready' })).toMatchObject({ message: 'EventAck', interactions: [{ interactionId: owned }] });
    expect(h.reported.at(-1)).toMatchObject({ message: 'EventAgentLogin', agentId: 'agent-1', handling: { chat: 1 } });
    const second = h.submit('inbound', 'chat');
    const third = h.submit('inbound', 'chat');
    expect([h.invitedAgentOf(second), h.stateOf(third)]).toEqual(['agent-1', 'routing']);
    expectNoRouterErrors(h);
    h.stop(owned);
    expect(h.invitedAgentOf(third)).toBe('agent-1');
  });

  test('an agent that reconnects keeps its owned work, and the router counts it', async () => {
    const h = await RouterHarness.open({ queues: { inbound: {} } });
    h.login('agent-1', { chat: 'ready' });
    const owned = h.submit('inbound', 'chat');
    h.accept('agent-1');
    h.disconnect('agent-1');
    h.login('agent-1', { chat: 'ready' });
    const next = h.submit('inbound', 'chat');
    expect(h.stateOf(next)).toBe('routing');
    expectNoRouterErrors(h);
    h.stop(owned);
    expect(h.invitedAgentOf(next)).toBe('agent-1');
  });
});

// ---- The property ------------------------------------------------------------------------------

const propertyConfig: ConfigInput = {
  timeouts: { deliveringTimeout: 10, handlingTimeout: 40, rejectCooldown: 5 },
  mediaTypes: { chat: { capacity: 2 }, email: { capacity: 1 } },
  queues: {
    a: {},
    b: { overflowAfter: 20, overflowTo: 'a' },
    vip: { strategy: 'priorityAge' },
    urgent: { strategy: 'priorityAge' },
    pool: { routing: 'none' },
  },
};
const propertyAgents = ['agent-1', 'agent-2', 'agent-3', 'agent-4'];
const propertyQueues = ['a', 'b', 'vip', 'urgent', 'pool'];
const routedQueues = new Set(['a', 'b', 'vip', 'urgent']);
const propertyMedia = ['chat', 'email'];

type Command =
  | { kind: 'login'; agent: number; chat: boolean; email: boolean; place: number }
  | { kind: 'logout' | 'disconnect'; agent: number }
  | { kind: 'readiness'; agent: number; media: number; ready: boolean }
  | { kind: 'submit'; queue: number; media: number; priority: number }
  | { kind: 'accept' | 'reject'; agent: number; pick: number }
  | { kind: 'stop'; pick: number; byOwner: boolean }
  | { kind: 'pull'; agent: number; queue: number }
  | { kind: 'tick'; ms: number };

const agentIndex = fc.nat(propertyAgents.length - 1);
const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('login' as const), agent: agentIndex, chat: fc.nat(4).map((n) => n > 0), email: fc.nat(4).map((n) => n > 0), place: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('logout' as const, 'disconnect' as const), agent: agentIndex }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('readiness' as const), agent: agentIndex, media: fc.nat(1), ready: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('submit' as const), queue: fc.nat(propertyQueues.length - 1), media: fc.nat(1), priority: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom('accept' as const, 'reject' as const), agent: agentIndex, pick: fc.nat(10) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('stop' as const), pick: fc.nat(100), byOwner: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pull' as const), agent: agentIndex, queue: fc.constantFrom(0, 4) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 4_000, max: 25_000 })) }) },
);

/** What the core says of agents, read from the reporting stream alone: who is logged in and ready for what. */
class AgentModel {
  readonly ready = new Map<string, Set<string>>();
  /** When each agent rejected each interaction, for the cooldown. */
  readonly rejects = new Map<string, Map<string, number>>();

  apply(event: ReportingEvent): void {
    const agentId = event.agentId as string;
    switch (event.message) {
      case 'EventAgentLogin':
        this.ready.set(agentId, new Set(Object.entries(event.media as Record<string, string>).filter(([, state]) => state === 'ready').map(([media]) => media)));
        return;
      case 'EventAgentLogout':
        this.ready.delete(agentId);
        return;
      case 'EventReadyForMedia':
        this.ready.get(agentId)?.add(event.mediaType as string);
        return;
      case 'EventNotReadyForMedia':
        this.ready.get(agentId)?.delete(event.mediaType as string);
        return;
      case 'EventRejected': {
        let rejected = this.rejects.get(event.interactionId as string);
        if (rejected === undefined) this.rejects.set(event.interactionId as string, (rejected = new Map()));
        rejected.set(agentId, Date.parse(event.eventTime));
        return;
      }
    }
  }
}

class PropertyRun {
  private readonly model = new AgentModel();
  private seen = 0;
  private submitted: string[] = [];

  constructor(readonly h: RouterHarness) {}

  execute(command: Command): void {
    const h = this.h;
    switch (command.kind) {
      case 'login': {
        const agentId = propertyAgents[command.agent]!;
        h.login(agentId, { chat: command.chat ? 'ready' : 'notReady', email: command.email ? 'ready' : 'notReady' }, { placeId: `place-${command.place}-${agentId}` });
        break;
      }
      case 'logout': {
        const agentId = propertyAgents[command.agent]!;
        if (this.model.ready.has(agentId)) h.logout(agentId);
        break;
      }
      case 'disconnect': {
        const agentId = propertyAgents[command.agent]!;
        if (h.core.clientOf(agentId) !== undefined) h.disconnect(agentId);
        break;
      }
      case 'readiness': {
        const agentId = propertyAgents[command.agent]!;
        if (!this.model.ready.has(agentId)) break;
        const media = propertyMedia[command.media]!;
        if (command.ready) h.ready(agentId, media);
        else h.notReady(agentId, media);
        break;
      }
      case 'submit':
        this.submitted.push(h.submit(propertyQueues[command.queue]!, propertyMedia[command.media]!, { priority: command.priority }));
        break;
      case 'accept':
      case 'reject': {
        const agentId = propertyAgents[command.agent]!;
        const open = h.invitesOf(agentId);
        if (open.length === 0) break;
        const interactionId = open[command.pick % open.length]!;
        const answer = command.kind === 'accept' ? h.accept(agentId, interactionId) : h.reject(agentId, interactionId);
        expect(answer.message, `${command.kind} of an open invite`).toBe('EventAck');
        break;
      }
      case 'stop': {
        const live = this.submitted.filter((id) => h.core.interaction(id) !== undefined);
        if (live.length === 0) break;
        const interactionId = live[command.pick % live.length]!;
        const owner = h.core.interaction(interactionId)!.assignedTo;
        if (command.byOwner && owner !== null && h.core.clientOf(owner)?.agentId === owner) {
          expect(h.send(owner, { message: 'RequestStopProcessing', interactionId }).message).toBe('EventAck');
        } else {
          expect(h.stop(interactionId).message).toBe('EventAck');
        }
        break;
      }
      case 'pull': {
        const agentId = propertyAgents[command.agent]!;
        if (this.model.ready.has(agentId)) h.pull(agentId, propertyQueues[command.queue]!);
        break;
      }
      case 'tick':
        h.advance(command.ms);
        break;
    }
    for (; this.seen < h.reported.length; this.seen++) this.model.apply(h.reported[this.seen]!);
    this.audit(command);
  }

  private audit(command: Command): void {
    const h = this.h;
    const label = JSON.stringify(command);
    h.core.assertInvariants();
    expect(h.routerErrors, `${label}: the core refused none of the router's requests`).toEqual([]);
    // Capacity at each invite is the core's own assertion (a route call over it would throw an
    // AssertionFailure here, not answer); assertInvariants checks the open invites. The load per
    // agent and media type, from the core's state, is what the liveness check below needs.
    const load = new Map<string, number>();
    for (const id of this.submitted) {
      const interaction = h.core.interaction(id);
      const agentId = interaction?.ticket?.agentId ?? interaction?.assignedTo ?? null;
      if (interaction === undefined || agentId === null) continue;
      const key = `${agentId}\u0000${interaction.mediaType}`;
      load.set(key, (load.get(key) ?? 0) + 1);
    }
    // Liveness: nothing routed waits while an agent logged in, ready for its media, under capacity and not cooling down is idle.
    for (const id of this.submitted) {
      const interaction = h.core.interaction(id);
      if (interaction === undefined || interaction.queue === null || !routedQueues.has(interaction.queue)) continue;
      if (interaction.state !== 'routing' && interaction.state !== 'queued') continue;
      expect(interaction.state, `${label}: ${id} in a builtin queue is held by the router`).toBe('routing');
      for (const [agentId, ready] of this.model.ready) {
        if (!ready.has(interaction.mediaType)) continue;
        if ((load.get(`${agentId}\u0000${interaction.mediaType}`) ?? 0) >= mediaSettings(h.settings.core, interaction.mediaType).capacity) continue;
        const rejectedAt = this.model.rejects.get(id)?.get(agentId);
        if (rejectedAt !== undefined && rejectedAt + h.settings.core.rejectCooldownMs > h.now) continue;
        expect.fail(`${label}: ${id} (${interaction.mediaType}, queue ${interaction.queue}) waits while ${agentId} is available for it`);
      }
    }
  }
}

describe('property: the router and the core together', () => {
  test('random agents, work and answers: the core refuses no route call, capacity holds, and no work waits beside an idle agent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 60, size: 'max' }), async (commands) => {
        const run = new PropertyRun(await RouterHarness.open(propertyConfig));
        for (const command of commands) run.execute(command);
      }),
      { numRuns: 150 },
    );
  });
});

// ---- Messages the router hears, by hand ----------------------------------------------------------

function wireInteraction(number: number, queue: string, mediaType: string, at: number, priority = 0): WireInteraction {
  return {
    interactionId: interactionIdOf(number), mediaType, type: 'Inbound', subtype: 'InboundNew', state: 'routing', queue, workbin: null, priority,
    userData: {}, submittedAt: new Date(at).toISOString(), placedInQueueAt: new Date(at).toISOString(), assignedTo: null, placeId: null, parties: [],
  };
}


