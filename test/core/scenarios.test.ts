// The seed scenarios of SPEC section 4 and the lifecycle of section 5, run on the pure core with
// virtual time. Each table line is one request (or a tick of the clock, or a connection event)
// with, beside it, every message each recipient gets, in order: 'rep' is the reporting stream,
// other keys are connection ids. A recipient not named gets nothing.

import { describe, expect, test } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { interactionIdOf } from '../../src/core/interaction.js';
import { CoreHarness, placeOf, type AgentHandle, type ClientHandle } from '../support/core-harness.js';

const layout: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: 60 },
  mediaTypes: { email: { capacity: 2, handlingTimeout: 120 } },
  queues: { routed: { routing: 'external' }, pool: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' }, team: { owner: 'agentGroup' } },
  agentGroups: { tier2: ['agent-1', 'agent-2'] },
};

const [I1, I2, I3, I4, I5, I6] = [1, 2, 3, 4, 5, 6].map(interactionIdOf) as [string, string, string, string, string, string];
const neverIssued = interactionIdOf(999);

const strategy = (name: string) => ({ type: 'Strategy', name });
const agentParty = (agentId: string) => ({ type: 'Agent', agentId, placeId: placeOf(agentId) });
const drafts1 = { name: 'drafts', ownerId: 'agent-1' };
const error = (errorCode: string, referenceId?: number) => ({ message: 'EventError', errorCode, ...(referenceId !== undefined ? { referenceId } : {}) });

interface World {
  t: CoreHarness;
  R: ClientHandle;
  M: ClientHandle;
  A1: AgentHandle;
  A2: AgentHandle;
}

/** A router R, a media server M and agents 1 and 2 connected; agent 1 logged in ready for chat and email. */
function world(options: { router?: boolean; agent2?: boolean } = {}): World {
  const t = new CoreHarness(layout);
  const R = t.router('R');
  const M = t.media('M');
  const A1 = t.agent('agent-1');
  const A2 = t.agent('agent-2');
  t.given(M.register(), A1.register(), A1.login({ chat: 'ready', email: 'ready' }));
  if (options.router !== false) t.given(R.register());
  if (options.agent2 === true) t.given(A2.register(), A2.login({ chat: 'ready', email: 'ready' }));
  return { t, R, M, A1, A2 };
}

describe('4.1 deliver interaction to agent', () => {
  test('a submit to a routed queue is offered to the connected router', () => {
    const { t, M } = world();
    t.step(M.submit({ queue: 'routed', mediaType: 'chat', priority: 3, userData: { subject: 'hello' } }), {
      M: [{ message: 'EventAck', interactionId: I1 }],
      rep: [
        { message: 'EventInteractionSubmitted', interactionId: I1, interaction: { interactionId: I1, mediaType: 'chat', type: 'Inbound', subtype: 'InboundNew', priority: 3, userData: { subject: 'hello' }, queue: 'routed', assignedTo: null } },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: 'routed', workbin: null },
        { message: 'EventPartyAdded', interactionId: I1, party: strategy('R') },
      ],
      R: [{ message: 'EventRouteRequest', interaction: { interactionId: I1, state: 'routing', queue: 'routed', workbin: null } }],
    });
  });

  test('with no router connected the interaction waits queued, and is offered when a router registers', () => {
    const { t, R, M } = world({ router: false });
    t.step(M.submit({ queue: 'routed', mediaType: 'chat' }), {
      M: [{ message: 'EventAck', interactionId: I1 }],
      rep: ['EventInteractionSubmitted', { message: 'EventPlacedInQueue', queue: 'routed' }],
    });
    expect(t.core.interaction(I1)?.state).toBe('queued');
    t.step(R.register(), {
      R: ['EventAck', { message: 'EventRouteRequest', interaction: { interactionId: I1, state: 'routing' } }],
      rep: [{ message: 'EventPartyAdded', interactionId: I1, party: strategy('R') }],
    });
  });

  test('a queue with routing none is never offered to a router', () => {
    const { t, M } = world();
    t.step(M.submit({ queue: 'pool', mediaType: 'chat' }), {
      M: ['EventAck'],
      rep: ['EventInteractionSubmitted', { message: 'EventPlacedInQueue', queue: 'pool' }],
    });
  });

  test('agent accepts: the interaction leaves the queue, the agent owns it and the router hears Accepted', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    const call = R.routeCall(I1, 'agent-1');
    t.step(call, {
      rep: [{ message: 'EventAgentInvited', interactionId: I1, agentId: 'agent-1', placeId: 'place-1', ticketId: 1 }],
      'agent-1': [{ message: 'EventInvite', ticketId: 1, interaction: { interactionId: I1, state: 'invited', queue: 'routed' } }],
    });
    const accept = A1.accept(1, I1);
    t.step(accept, {
      'agent-1': [{ message: 'EventAck', referenceId: accept.referenceId }],
      rep: [
        { message: 'EventTakenFromQueue', interactionId: I1, queue: 'routed' },
        { message: 'EventPartyRemoved', interactionId: I1, party: strategy('R') },
        { message: 'EventPartyAdded', interactionId: I1, party: agentParty('agent-1') },
      ],
      R: [{ message: 'EventRouteUsed', referenceId: call.referenceId, interactionId: I1, result: 'Accepted', agentId: 'agent-1', ticketId: 1 }],
    });
    t.step(A1.getProperties(I1), {
      'agent-1': [{ message: 'EventInteractionProperties', interaction: { interactionId: I1, state: 'handling', queue: null, workbin: null, assignedTo: 'agent-1' } }],
    });
  });

  test('the handling timer starts at accept', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I1, 'agent-1'), A1.accept(1, I1));
    t.step(t.tick(59.999), {});
    t.step(t.tick(0.001), {
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      rep: [
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1') },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: 'routed', workbin: null },
        { message: 'EventPartyAdded', interactionId: I1, party: strategy('R') },
      ],
      R: [{ message: 'EventRouteRequest', interaction: { interactionId: I1, state: 'routing' } }],
    });
  });

  test('a route call to an agent that is not available gets AgentNotAvailable and the interaction stays routing', () => {
    const { t, R, M, A2 } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.given(A2.register(), A2.login({ email: 'ready' }));
    const notLoggedIn = R.routeCall(I1, 'agent-3');
    t.step(notLoggedIn, { R: [error('AgentNotAvailable', notLoggedIn.referenceId)] });
    const notReady = R.routeCall(I1, 'agent-2');
    t.step(notReady, { R: [error('AgentNotAvailable', notReady.referenceId)] });
    const wrongPlace = R.routeCall(I1, 'agent-1', 'place-9');
    t.step(wrongPlace, { R: [error('AgentNotAvailable', wrongPlace.referenceId)] });
    expect(t.core.interaction(I1)?.state).toBe('routing');
    t.step(R.routeCall(I1, 'agent-1', 'place-1'), { rep: ['EventAgentInvited'], 'agent-1': ['EventInvite'] });
    // Chat capacity is 1: the open invite fills it.
    const atCapacity = R.routeCall(I2, 'agent-1');
    t.step(atCapacity, { R: [error('AgentNotAvailable', atCapacity.referenceId)] });
    expect(t.core.interaction(I2)?.state).toBe('routing');
  });

  test('a route call beyond capacity counts handling interactions too, and a pull is not limited by capacity', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(A1.pull({ queue: 'pool', count: 2 }), {
      rep: ['EventTakenFromQueue', 'EventPartyAdded', 'EventTakenFromQueue', 'EventPartyAdded'],
      'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I1 }, { interactionId: I2 }] }],
    });
    const call = R.routeCall(I3, 'agent-1');
    t.step(call, { R: [error('AgentNotAvailable', call.referenceId)] });
  });

  test('agent rejects: the router hears Rejected and keeps the interaction routing', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    const call = R.routeCall(I1, 'agent-1');
    t.given(call);
    t.step(A1.reject(1, I1, 'busy'), {
      'agent-1': ['EventAck'],
      rep: [{ message: 'EventRejected', interactionId: I1, agentId: 'agent-1', placeId: 'place-1', ticketId: 1, reason: 'busy' }],
      R: [{ message: 'EventRouteUsed', referenceId: call.referenceId, interactionId: I1, result: 'Rejected', agentId: 'agent-1' }],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'routing', queue: 'routed' });
    // R still holds it and picks another target (here the same agent; cooldown is the built-in router's).
    t.step(R.routeCall(I1, 'agent-1'), {
      rep: [{ message: 'EventAgentInvited', ticketId: 2 }],
      'agent-1': [{ message: 'EventInvite', ticketId: 2 }],
    });
  });

  test('delivering timeout on virtual time: nothing just before the deadline, a revoke when it comes', () => {
    const { t, R, M } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    const call = R.routeCall(I1, 'agent-1');
    t.given(call);
    expect(t.core.nextDeadline()).toBe(t.now + 30_000);
    t.step(t.tick(29.999), {});
    t.step(t.tick(0.001), {
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'DeliveringTimeout' }],
      R: [
        { message: 'EventRouteUsed', referenceId: call.referenceId, interactionId: I1, result: 'Revoked', reason: 'DeliveringTimeout' },
        { message: 'EventRouteRequest', interaction: { interactionId: I1, state: 'routing', queue: 'routed' } },
      ],
      rep: [
        { message: 'EventRevoked', interactionId: I1, agentId: 'agent-1', placeId: 'place-1', ticketId: 1, reason: 'DeliveringTimeout' },
        { message: 'EventPartyRemoved', interactionId: I1, party: strategy('R') },
        { message: 'EventPartyAdded', interactionId: I1, party: strategy('R') },
        // notReadyOnNoAnswer (on by default): no more work to the chair that did not answer.
        { message: 'EventNotReadyForMedia', agentId: 'agent-1', placeId: 'place-1', mediaType: 'chat', reason: 'NoAnswer' },
      ],
    });
  });

  test('after a delivering timeout the interaction is offered to the next router, round-robin', () => {
    const { t, R, M } = world();
    const R2 = t.router('R2');
    t.given(R2.register(), M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I1, 'agent-1'));
    t.step(t.tick(30), {
      'agent-1': ['EventRevoked'],
      R: [{ message: 'EventRouteUsed', result: 'Revoked' }],
      rep: ['EventRevoked', { message: 'EventPartyRemoved', party: strategy('R') }, { message: 'EventPartyAdded', party: strategy('R2') }, 'EventNotReadyForMedia'],
      R2: [{ message: 'EventRouteRequest', interaction: { interactionId: I1 } }],
    });
  });

  test('a ticket never issued gets UnknownTicket, one no longer open InvalidState, another agent\'s Forbidden; none changes anything', () => {
    const { t, R, M, A1, A2 } = world({ agent2: true });
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I1, 'agent-1'));
    const refusals = [
      t.step(A1.accept(7, I1), { 'agent-1': [error('UnknownTicket')] }),
      t.step(A2.accept(1, I1), { 'agent-2': [error('Forbidden')] }),
      t.step(A2.reject(1, I1), { 'agent-2': [error('Forbidden')] }),
    ];
    expect(refusals.map((result) => result.changed.size)).toEqual([0, 0, 0]);
    expect(t.core.interaction(I1)).toMatchObject({ state: 'invited', ticket: { ticketId: 1, agentId: 'agent-1' } });
    t.step(A1.accept(1, I1), { 'agent-1': ['EventAck'], rep: ['EventTakenFromQueue', 'EventPartyRemoved', 'EventPartyAdded'], R: ['EventRouteUsed'] });
    const late = [
      t.step(A1.accept(1, I1), { 'agent-1': [error('InvalidState')] }),
      t.step(A1.reject(1, I1), { 'agent-1': [error('InvalidState')] }),
    ];
    expect(late.map((result) => result.changed.size)).toEqual([0, 0]);
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
  });

  test('an invite is revoked when the agent logs out (AgentLoggedOut)', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    const call = R.routeCall(I1, 'agent-1');
    t.given(call);
    t.step(A1.logout(), {
      'agent-1': ['EventAck', { message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'AgentLoggedOut' }],
      R: [{ message: 'EventRouteUsed', referenceId: call.referenceId, result: 'Revoked', reason: 'AgentLoggedOut' }, 'EventRouteRequest'],
      rep: [
        { message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'AgentLoggedOut' },
        { message: 'EventPartyRemoved', party: strategy('R') },
        { message: 'EventPartyAdded', party: strategy('R') },
        { message: 'EventAgentLogout', agentId: 'agent-1', placeId: 'place-1', reason: 'AgentLoggedOut' },
      ],
    });
  });

  test('an invite is revoked at once when the agent\'s last connection closes (AgentDisconnected)', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    const call = R.routeCall(I1, 'agent-1');
    t.given(call);
    t.step(A1.disconnect(), {
      R: [{ message: 'EventRouteUsed', referenceId: call.referenceId, result: 'Revoked', reason: 'AgentDisconnected' }, 'EventRouteRequest'],
      rep: [
        { message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'AgentDisconnected' },
        'EventPartyRemoved',
        'EventPartyAdded',
        { message: 'EventAgentLogout', agentId: 'agent-1', reason: 'AgentDisconnected' },
      ],
    });
  });

  test('when a router disconnects its routing interactions go to another router, or wait queued', () => {
    const { t, R, M } = world();
    const R2 = t.router('R2', { queues: ['routed'] });
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.given(R2.register());
    t.step(R.disconnect(), {
      rep: [{ message: 'EventPartyRemoved', interactionId: I1, party: strategy('R') }, { message: 'EventPartyAdded', interactionId: I1, party: strategy('R2') }],
      R2: [{ message: 'EventRouteRequest', interaction: { interactionId: I1 } }],
    });
    t.step(R2.disconnect(), { rep: [{ message: 'EventPartyRemoved', interactionId: I1, party: strategy('R2') }] });
    expect(t.core.interaction(I1)?.state).toBe('queued');
  });

  test('an invite stays out when its router disconnects; ended without an accept, the interaction is offered again', () => {
    const { t, R, M, A1 } = world();
    const R2 = t.router('R2');
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I1, 'agent-1'));
    t.step(R.disconnect(), {});
    expect(t.core.interaction(I1)?.state).toBe('invited');
    t.given(R2.register());
    t.step(A1.reject(1, I1), {
      'agent-1': ['EventAck'],
      rep: [{ message: 'EventRejected', ticketId: 1 }, { message: 'EventPartyRemoved', party: { type: 'Strategy' } }, { message: 'EventPartyAdded', party: strategy('R2') }],
      R2: [{ message: 'EventRouteRequest', interaction: { interactionId: I1 } }],
    });
  });
});

describe('4.2 agent pulls interaction', () => {
  test('from a queue: up to count interactions in queue order, each handling and owned by the agent', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'email' }), M.submit({ queue: 'pool', mediaType: 'email', priority: 5 }), M.submit({ queue: 'pool', mediaType: 'email' }));
    const pull = A1.pull({ queue: 'pool', count: 2 });
    t.step(pull, {
      rep: [
        { message: 'EventTakenFromQueue', interactionId: I2, queue: 'pool', workbin: null },
        { message: 'EventPartyAdded', interactionId: I2, party: agentParty('agent-1') },
        { message: 'EventTakenFromQueue', interactionId: I1, queue: 'pool', workbin: null },
        { message: 'EventPartyAdded', interactionId: I1, party: agentParty('agent-1') },
      ],
      'agent-1': [{
        message: 'EventPulledInteractions',
        referenceId: pull.referenceId,
        interactions: [
          { interactionId: I2, state: 'handling', queue: null, workbin: null, assignedTo: 'agent-1' },
          { interactionId: I1, state: 'handling', queue: null, workbin: null, assignedTo: 'agent-1' },
        ],
      }],
    });
    expect(t.core.interaction(I3)?.state).toBe('queued');
  });

  test('count defaults to 1, and a pull that matches nothing answers an empty list', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'email' }), M.submit({ queue: 'pool', mediaType: 'email' }));
    t.step(A1.pull({ queue: 'pool' }), { rep: ['EventTakenFromQueue', 'EventPartyAdded'], 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I1 }] }] });
    t.step(A1.pull({ queue: 'pool' }), { rep: ['EventTakenFromQueue', 'EventPartyAdded'], 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I2 }] }] });
    t.step(A1.pull({ queue: 'pool' }), { 'agent-1': [{ message: 'EventPulledInteractions', interactions: [] }] });
  });

  test('a routing interaction is first taken from its router (Pulled); an invited one is never pulled', () => {
    const { t, R, M, A1, A2 } = world({ agent2: true });
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I1, 'agent-2'));
    t.step(A1.pull({ queue: 'routed' }), {
      R: [{ message: 'EventRevoked', interactionId: I2, reason: 'Pulled' }],
      rep: [
        { message: 'EventPartyRemoved', interactionId: I2, party: strategy('R') },
        { message: 'EventTakenFromQueue', interactionId: I2, queue: 'routed' },
        { message: 'EventPartyAdded', interactionId: I2, party: agentParty('agent-1') },
      ],
      'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I2, state: 'handling' }] }],
    });
    t.step(A1.pull({ queue: 'routed', count: 5 }), { 'agent-1': [{ message: 'EventPulledInteractions', interactions: [] }] });
    t.step(A1.pull({ queue: 'routed', interactionIds: [I1] }), { 'agent-1': [error('InvalidState')] });
    expect(t.core.interaction(I1)?.state).toBe('invited');
    t.step(A2.accept(1, I1), { 'agent-2': ['EventAck'], rep: ['EventTakenFromQueue', 'EventPartyRemoved', 'EventPartyAdded'], R: ['EventRouteUsed'] });
  });

  test('named interactions: an unknown id gets UnknownInteraction, one not waiting InvalidState, and nothing is pulled', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'email' }), M.submit({ queue: 'pool', mediaType: 'email' }), M.submit({ queue: 'routed', mediaType: 'email' }));
    t.step(A1.pull({ queue: 'pool', interactionIds: [I2, neverIssued] }), { 'agent-1': [error('UnknownInteraction')] });
    t.step(A1.pull({ queue: 'pool', interactionIds: [I2, I3] }), { 'agent-1': [error('InvalidState')] });
    expect(t.core.interaction(I2)?.state).toBe('queued');
    t.step(A1.pull({ queue: 'pool', interactionIds: [I2] }), {
      rep: [{ message: 'EventTakenFromQueue', interactionId: I2 }, 'EventPartyAdded'],
      'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I2 }] }],
    });
    t.step(A1.pull({ queue: 'nowhere' }), { 'agent-1': [error('UnknownQueue')] });
  });

  test('from a workbin: EventTakenFromWorkbin, and Remove to subscribers; a handling timeout puts it back', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }), M.subscribe(drafts1));
    t.step(A1.placeInWorkbin(I1, { name: 'drafts' }), {
      'agent-1': ['EventAck'],
      rep: [
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1') },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: null, workbin: drafts1 },
        { message: 'EventPlacedInWorkbin', interactionId: I1, workbin: drafts1 },
      ],
      M: [{ message: 'EventWorkbinContentChanged', workbin: drafts1, operation: 'Add', interaction: { interactionId: I1, state: 'queued', queue: null, workbin: drafts1 } }],
    });
    t.step(A1.workbinContent({ name: 'drafts' }), { 'agent-1': [{ message: 'EventWorkbinContent', workbin: drafts1, interactions: [{ interactionId: I1 }] }] });
    t.step(A1.pull({ workbin: { name: 'drafts' } }), {
      rep: [
        { message: 'EventTakenFromQueue', interactionId: I1, queue: null, workbin: drafts1 },
        { message: 'EventTakenFromWorkbin', interactionId: I1, workbin: drafts1 },
        { message: 'EventPartyAdded', interactionId: I1, party: agentParty('agent-1') },
      ],
      M: [{ message: 'EventWorkbinContentChanged', workbin: drafts1, operation: 'Remove', interaction: { interactionId: I1 } }],
      'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I1, state: 'handling', queue: null, workbin: null }] }],
    });
    t.step(t.tick(59.999), {});
    t.step(t.tick(0.001), {
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      rep: [
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1') },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: null, workbin: drafts1 },
        { message: 'EventPlacedInWorkbin', interactionId: I1, workbin: drafts1 },
      ],
      M: [{ message: 'EventWorkbinContentChanged', workbin: drafts1, operation: 'Add', interaction: { interactionId: I1 } }],
    });
  });

  test('workbins: an agent may use its own and its groups\' workbins; any other gets Forbidden', () => {
    const { t, M, A1 } = world();
    const A3 = t.agent('agent-3');
    t.given(A3.register(), A3.login({ email: 'ready' }), M.submit({ queue: 'pool', mediaType: 'email' }), A1.pull({ queue: 'pool' }));
    t.step(A1.placeInWorkbin(I1, { name: 'team', ownerId: 'tier2' }), { 'agent-1': ['EventAck'], rep: ['EventPartyRemoved', 'EventPlacedInQueue', 'EventPlacedInWorkbin'] });
    t.step(A3.pull({ workbin: { name: 'team', ownerId: 'tier2' } }), { 'agent-3': [error('Forbidden')] });
    t.step(A3.workbinContent({ name: 'drafts', ownerId: 'agent-1' }), { 'agent-3': [error('Forbidden')] });
    t.step(A1.workbinContent({ name: 'nowhere' }), { 'agent-1': [error('UnknownWorkbin')] });
    t.step(A1.pull({ workbin: { name: 'team', ownerId: 'tier2' } }), { rep: ['EventTakenFromQueue', 'EventTakenFromWorkbin', 'EventPartyAdded'], 'agent-1': ['EventPulledInteractions'] });
  });

  test('the handling timer is reset by every successful request of the agent, not by a refused one or another agent\'s', () => {
    const { t, M, A1, A2 } = world({ agent2: true });
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }));
    t.step(A1.pull({ queue: 'pool' }), { rep: ['EventTakenFromQueue', 'EventPartyAdded'], 'agent-1': ['EventPulledInteractions'] }); // t = 0, deadline 60
    t.step(t.tick(50), {});
    t.step(A1.notReady('email', 'lunch'), { 'agent-1': ['EventAck'], rep: [{ message: 'EventNotReadyForMedia', agentId: 'agent-1', mediaType: 'email', reason: 'lunch' }] }); // t = 50, deadline 110
    t.step(t.tick(10), {}); // t = 60: the first deadline has gone
    t.step(t.tick(45), {}); // t = 105
    t.step(A1.accept(99, I1), { 'agent-1': [error('UnknownTicket')] }); // refused: no reset
    t.step(A2.notReady('chat'), { 'agent-2': ['EventAck'], rep: ['EventNotReadyForMedia'] }); // another agent: no reset
    t.step(t.tick(4.999), {}); // t = 109.999
    t.step(t.tick(0.001), {
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      rep: [
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1'), reason: 'HandlingTimeout' },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: 'pool', workbin: null },
      ],
    });
  });

  test('a request from any of the agent\'s connections resets the handling timer, and the revoke goes to all of them', () => {
    const { t, M, A1 } = world();
    const A1b = t.agent('agent-1', { clientId: 'agent-1b' });
    t.given(A1b.register());
    t.step(A1b.login({ chat: 'ready' }), { 'agent-1b': [{ message: 'EventAck', interactions: [] }], rep: [{ message: 'EventAgentLogin', agentId: 'agent-1', placeId: 'place-1' }] });
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(t.tick(50), {});
    t.step(A1b.getProperties(I1), { 'agent-1b': [{ message: 'EventInteractionProperties', interaction: { interactionId: I1, assignedTo: 'agent-1' } }] });
    t.step(t.tick(59.999), {});
    t.step(t.tick(0.001), {
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      'agent-1b': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }],
      rep: ['EventPartyRemoved', 'EventPlacedInQueue'],
    });
  });

  test('due timers fire a slice at a time: a tick with a slice of 2 fires 2 of 3 and says more are due, the next fires the last', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'chat' }), M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool', count: 3 }));
    const returned = ['EventPartyRemoved', 'EventPlacedInQueue'];
    t.step(t.tick(60, 2), {
      'agent-1': [{ message: 'EventRevoked', reason: 'HandlingTimeout' }, { message: 'EventRevoked', reason: 'HandlingTimeout' }],
      rep: [...returned, ...returned],
    });
    expect(t.dueTimersLeft).toBe(true);
    t.step(t.tick(0, 2), { 'agent-1': [{ message: 'EventRevoked', reason: 'HandlingTimeout' }], rep: returned });
    expect(t.dueTimersLeft).toBe(false);
  });

  test('the handling timeout is overridden per media type and per interaction by user data handling-timeout', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'email' }), M.submit({ queue: 'pool', mediaType: 'chat', userData: { 'handling-timeout': 5 } }));
    t.given(A1.pull({ queue: 'pool', count: 2 }));
    t.step(t.tick(4.999), {});
    t.step(t.tick(0.001), { 'agent-1': [{ message: 'EventRevoked', interactionId: I2, reason: 'HandlingTimeout' }], rep: ['EventPartyRemoved', 'EventPlacedInQueue'] });
    t.step(t.tick(114.999), {});
    t.step(t.tick(0.001), { 'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'HandlingTimeout' }], rep: ['EventPartyRemoved', 'EventPlacedInQueue'] });
  });
});

describe('logout and disconnect', () => {
  /** I1 invited to agent 1 (ticket 1), I2 owned by agent 1 (pulled from pool). */
  function agentWithWork() {
    const w = world();
    const call = w.R.routeCall(I2, 'agent-1');
    w.t.given(w.M.submit({ queue: 'pool', mediaType: 'email' }), w.A1.pull({ queue: 'pool' }), w.M.submit({ queue: 'routed', mediaType: 'chat' }), call);
    return { ...w, call };
  }

  test('logout revokes invites and owned interactions (AgentLoggedOut) and returns them', () => {
    const { t, A1, call } = agentWithWork();
    t.step(A1.logout(), {
      'agent-1': [
        'EventAck',
        { message: 'EventRevoked', interactionId: I2, ticketId: 1, reason: 'AgentLoggedOut' },
        { message: 'EventRevoked', interactionId: I1, reason: 'AgentLoggedOut' },
      ],
      R: [{ message: 'EventRouteUsed', referenceId: call.referenceId, interactionId: I2, result: 'Revoked', reason: 'AgentLoggedOut' }, { message: 'EventRouteRequest', interaction: { interactionId: I2 } }],
      rep: [
        { message: 'EventRevoked', interactionId: I2, ticketId: 1, reason: 'AgentLoggedOut' },
        { message: 'EventPartyRemoved', interactionId: I2, party: strategy('R') },
        { message: 'EventPartyAdded', interactionId: I2, party: strategy('R') },
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1'), reason: 'AgentLoggedOut' },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: 'pool' },
        { message: 'EventAgentLogout', agentId: 'agent-1', placeId: 'place-1', reason: 'AgentLoggedOut' },
      ],
    });
    t.step(A1.pull({ queue: 'pool' }), { 'agent-1': [error('AgentNotLoggedIn')] });
    t.step(A1.logout(), { 'agent-1': [error('AgentNotLoggedIn')] });
  });

  test('a disconnect logs the agent out and revokes its invites; owned work stays owned and comes back at the next login', () => {
    const { t, A1, call } = agentWithWork();
    t.step(A1.disconnect(), {
      R: [{ message: 'EventRouteUsed', referenceId: call.referenceId, result: 'Revoked', reason: 'AgentDisconnected' }, 'EventRouteRequest'],
      rep: [
        { message: 'EventRevoked', interactionId: I2, reason: 'AgentDisconnected' },
        'EventPartyRemoved',
        'EventPartyAdded',
        { message: 'EventAgentLogout', agentId: 'agent-1', reason: 'AgentDisconnected' },
      ],
    });
    expect(t.core.interaction(I1)).toMatchObject({ state: 'handling', assignedTo: 'agent-1' });
    const again = t.agent('agent-1', { clientId: 'agent-1#2' });
    t.given(again.register());
    t.step(again.login({ chat: 'ready' }), {
      'agent-1#2': [{ message: 'EventAck', interactions: [{ interactionId: I1, state: 'handling', assignedTo: 'agent-1' }] }],
      rep: [{ message: 'EventAgentLogin', agentId: 'agent-1' }],
    });
  });

  test('owned work of a disconnected agent returns when its handling timer fires', () => {
    const { t, A1 } = agentWithWork();
    t.given(A1.disconnect());
    t.step(t.tick(119.999), {});
    t.step(t.tick(0.001), {
      rep: [
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1'), reason: 'HandlingTimeout' },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: 'pool' },
      ],
    });
  });

  test('closing one of two connections of an agent changes nothing', () => {
    const { t, A1 } = agentWithWork();
    const A1b = t.agent('agent-1', { clientId: 'agent-1b' });
    t.given(A1b.register(), A1b.login({ chat: 'ready', email: 'ready' }));
    t.step(A1.disconnect(), {});
    expect(t.core.interaction(I2)?.state).toBe('invited');
  });

  test('a second login on the same connection as the same agent replaces place and media; as another agent it is InvalidState', () => {
    const { t, A1 } = world();
    t.step(A1.login({ email: 'ready' }, 'place-7'), { 'agent-1': [{ message: 'EventAck', interactions: [] }], rep: [{ message: 'EventAgentLogin', agentId: 'agent-1', placeId: 'place-7', media: { email: 'ready' } }] });
    t.step(A1.send({ message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-2' }), { 'agent-1': [error('InvalidState')] });
  });
});

describe('stop processing', () => {
  test('a media server stops a handling interaction: the agent hears Stopped, and the id then answers InvalidState', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(M.stop(I1, 'Done'), {
      M: ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, reason: 'Stopped' }],
      rep: [
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1'), reason: 'Stopped' },
        { message: 'EventProcessingStopped', interactionId: I1, reason: 'Done' },
      ],
    });
    t.step(A1.getProperties(I1), { 'agent-1': [{ ...error('InvalidState'), errorDescription: expect.stringMatching(/stopped/) as unknown }] });
    t.step(M.stop(I1), { M: [error('InvalidState')] });
    t.step(M.stop(neverIssued), { M: [error('UnknownInteraction')] });
    expect(t.core.interaction(I1)).toBeUndefined();
    expect(t.records.get(I1)?.state).toBe('stopped');
  });

  test('stopping an invited interaction revokes the invite (agent EventRevoked, router EventRouteUsed Revoked Stopped)', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }));
    const call = R.routeCall(I1, 'agent-1');
    t.given(call);
    t.step(M.stop(I1), {
      M: ['EventAck'],
      'agent-1': [{ message: 'EventRevoked', interactionId: I1, ticketId: 1, reason: 'Stopped' }],
      R: [{ message: 'EventRouteUsed', referenceId: call.referenceId, interactionId: I1, result: 'Revoked', reason: 'Stopped' }],
      rep: [{ message: 'EventRevoked', ticketId: 1, reason: 'Stopped' }, { message: 'EventPartyRemoved', party: strategy('R') }, { message: 'EventProcessingStopped', interactionId: I1 }],
    });
    t.step(A1.accept(1, I1), { 'agent-1': [error('InvalidState')] });
  });

  test('stopping a routing interaction: the holding router hears Stopped unless it asked', () => {
    const { t, R, M } = world();
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), M.submit({ queue: 'routed', mediaType: 'chat' }));
    t.step(M.stop(I1), {
      M: ['EventAck'],
      R: [{ message: 'EventRevoked', interactionId: I1, reason: 'Stopped' }],
      rep: [{ message: 'EventPartyRemoved', interactionId: I1, party: strategy('R') }, { message: 'EventProcessingStopped', interactionId: I1 }],
    });
    t.step(R.stop(I2), { R: ['EventAck'], rep: [{ message: 'EventPartyRemoved', interactionId: I2 }, { message: 'EventProcessingStopped', interactionId: I2 }] });
  });

  test('the owner agent may stop its interaction; another agent may not', () => {
    const { t, M, A1, A2 } = world({ agent2: true });
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(A2.stop(I1), { 'agent-2': [error('Forbidden')] });
    t.step(A1.stop(I1), { 'agent-1': ['EventAck'], rep: [{ message: 'EventPartyRemoved', party: agentParty('agent-1') }, 'EventProcessingStopped'] });
  });

  test('stopping an interaction in a workbin tells the subscribers Remove', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }), A1.placeInWorkbin(I1, { name: 'drafts' }), M.subscribe(drafts1));
    t.step(M.stop(I1), {
      M: ['EventAck', { message: 'EventWorkbinContentChanged', operation: 'Remove', workbin: drafts1, interaction: { interactionId: I1 } }],
      rep: [{ message: 'EventProcessingStopped', interactionId: I1, workbin: drafts1 }],
    });
  });
});

describe('the rest of the lifecycle', () => {
  test('a repeated externalId from the same media server returns the existing interaction and creates nothing', () => {
    const { t, M } = world();
    const M2 = t.media('M2');
    t.given(M2.register());
    t.step(M.submit({ queue: 'pool', mediaType: 'email', externalId: 'mail-1' }), { M: [{ message: 'EventAck', interactionId: I1 }], rep: ['EventInteractionSubmitted', 'EventPlacedInQueue'] });
    t.step(M.submit({ queue: 'pool', mediaType: 'email', externalId: 'mail-1' }), { M: [{ message: 'EventAck', interactionId: I1 }] });
    t.step(M2.submit({ queue: 'pool', mediaType: 'email', externalId: 'mail-1' }), { M2: [{ message: 'EventAck', interactionId: I2 }], rep: ['EventInteractionSubmitted', 'EventPlacedInQueue'] });
    t.step(M.submit({ queue: 'nowhere', mediaType: 'email' }), { M: [error('UnknownQueue')] });
  });

  test('change properties: the owner hears it when it did not ask, and so does reporting', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat', userData: { a: 1, b: 2 } }), A1.pull({ queue: 'pool' }));
    t.step(M.changeProperties(I1, { c: 3 }, ['a']), {
      M: ['EventAck'],
      'agent-1': [{ message: 'EventPropertiesChanged', interactionId: I1, changedProperties: { c: 3 }, deletedProperties: ['a'] }],
      rep: [{ message: 'EventPropertiesChanged', interactionId: I1, changedProperties: { c: 3 }, deletedProperties: ['a'] }],
    });
    t.step(A1.changeProperties(I1, { d: 4 }), { 'agent-1': ['EventAck'], rep: ['EventPropertiesChanged'] });
    t.step(A1.getProperties(I1), { 'agent-1': [{ message: 'EventInteractionProperties', interaction: { userData: { b: 2, c: 3, d: 4 } } }] });
  });

  test('place in queue by the owner agent is a new entry: reporting sees the party removed and the placement', () => {
    const { t, R, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool' }));
    t.step(A1.placeInQueue(I1, 'routed'), {
      'agent-1': ['EventAck'],
      rep: [
        { message: 'EventPartyRemoved', interactionId: I1, party: agentParty('agent-1') },
        { message: 'EventPlacedInQueue', interactionId: I1, queue: 'routed', workbin: null },
        { message: 'EventPartyAdded', interactionId: I1, party: strategy('R') },
      ],
      R: [{ message: 'EventRouteRequest', interaction: { interactionId: I1, queue: 'routed' } }],
    });
    t.step(R.placeInQueue(I1, 'pool'), {
      R: ['EventAck'],
      rep: [{ message: 'EventPartyRemoved', party: strategy('R') }, { message: 'EventTakenFromQueue', queue: 'routed' }, { message: 'EventPlacedInQueue', queue: 'pool' }],
    });
    // No longer the agent's: it hears only that, not where the interaction is now.
    t.step(A1.placeInQueue(I1, 'routed'), { 'agent-1': [{ ...error('Forbidden'), errorDescription: `Interaction ${I1} is not yours, or not in a state that allows this.` }] });
  });

  test('a request before registration gets NotRegistered; a client type may only send its requests', () => {
    const { t, M, A1 } = world();
    const stranger = t.media('X');
    t.step(stranger.submit({ queue: 'pool', mediaType: 'chat' }), { X: [error('NotRegistered')] });
    t.step(A1.submit({ queue: 'pool', mediaType: 'chat' }), { 'agent-1': [error('Forbidden')] });
    t.step(M.send({ message: 'RequestPull', queue: 'pool' }), { M: [error('Forbidden')] });
    t.step(M.register(), { M: [error('InvalidState')] });
  });
});

describe('recovery after a restart', () => {
  /**
   * Before the restart: I1 invited to agent 1 (ticket 1), I2 handling by agent 1, I3 queued in
   * pool, I4 in agent 1's drafts workbin, I5 routing with R.
   */
  function beforeRestart() {
    const w = world();
    const { t, R, M, A1 } = w;
    t.given(
      M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I1, 'agent-1'),
      M.submit({ queue: 'pool', mediaType: 'email' }), A1.pull({ queue: 'pool' }),
      M.submit({ queue: 'pool', mediaType: 'email', priority: 2 }),
      M.submit({ queue: 'pool', mediaType: 'chat' }), A1.pull({ queue: 'pool', interactionIds: [I4] }), A1.placeInWorkbin(I4, { name: 'drafts' }),
      M.submit({ queue: 'routed', mediaType: 'chat' }),
      t.tick(10),
    );
    return w;
  }

  test('invites are revoked with ServerRestart, routing ones lose their router, agents are logged out, the rest stays where it was', () => {
    const { t } = beforeRestart();
    const keysBefore = [I1, I2, I3, I4, I5].map((id) => t.core.interaction(id)!.key);
    t.step(t.restart(5), {
      rep: [
        { message: 'EventRevoked', interactionId: I1, agentId: 'agent-1', placeId: 'place-1', ticketId: 1, reason: 'ServerRestart' },
        { message: 'EventPartyRemoved', interactionId: I1, party: { type: 'Strategy' }, reason: 'ServerRestart' },
        { message: 'EventPartyRemoved', interactionId: I5, party: { type: 'Strategy' }, reason: 'ServerRestart' },
        { message: 'EventAgentLogout', agentId: 'agent-1', placeId: 'place-1', reason: 'ServerRestart' },
      ],
    });
    expect(t.core.interactionCount()).toBe(5);
    expect(t.core.interaction(I1)).toMatchObject({ state: 'queued', queue: 'routed', workbin: null, ticket: null, routerId: null });
    expect(t.core.interaction(I2)).toMatchObject({ state: 'handling', assignedTo: 'agent-1', placeId: 'place-1' });
    expect(t.core.interaction(I3)).toMatchObject({ state: 'queued', queue: 'pool', workbin: null });
    expect(t.core.interaction(I4)).toMatchObject({ state: 'queued', queue: null, workbin: drafts1 });
    expect(t.core.interaction(I5)).toMatchObject({ state: 'queued', queue: 'routed', routerId: null });
    expect([I1, I2, I3, I4, I5].map((id) => t.core.interaction(id)!.key)).toEqual(keysBefore);
  });

  test('a handling interaction stays owned with a fresh handling timer', () => {
    const { t } = beforeRestart();
    t.given(t.restart(5));
    expect(t.core.nextDeadline()).toBe(t.now + 120_000);
    t.step(t.tick(119.999), {});
    t.step(t.tick(0.001), {
      rep: [
        { message: 'EventPartyRemoved', interactionId: I2, party: agentParty('agent-1'), reason: 'HandlingTimeout' },
        { message: 'EventPlacedInQueue', interactionId: I2, queue: 'pool' },
      ],
    });
  });

  test('after the restart, routers get the waiting work again, agents find their work, and counters go on', () => {
    const { t, R, M, A1 } = beforeRestart();
    t.given(t.restart(5));
    t.step(R.register(), {
      R: ['EventAck', { message: 'EventRouteRequest', interaction: { interactionId: I1 } }, { message: 'EventRouteRequest', interaction: { interactionId: I5 } }],
      rep: [{ message: 'EventPartyAdded', interactionId: I1, party: strategy('R') }, { message: 'EventPartyAdded', interactionId: I5, party: strategy('R') }],
    });
    t.given(A1.register(), M.register());
    t.step(A1.login({ chat: 'ready' }), {
      'agent-1': [{ message: 'EventAck', interactions: [{ interactionId: I2, state: 'handling', assignedTo: 'agent-1' }] }],
      rep: ['EventAgentLogin'],
    });
    t.step(A1.accept(1, I1), { 'agent-1': [error('InvalidState')] });
    t.step(R.routeCall(I1, 'agent-1'), { rep: [{ message: 'EventAgentInvited', ticketId: 2 }], 'agent-1': [{ message: 'EventInvite', ticketId: 2 }] });
    t.step(M.submit({ queue: 'pool', mediaType: 'chat' }), { M: [{ message: 'EventAck', interactionId: I6 }], rep: ['EventInteractionSubmitted', 'EventPlacedInQueue'] });
    t.step(A1.pull({ queue: 'pool', count: 5 }), { rep: ['EventTakenFromQueue', 'EventPartyAdded', 'EventTakenFromQueue', 'EventPartyAdded'], 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I3 }, { interactionId: I6 }] }] });
  });
});

describe('queue order', () => {
  test('higher priority first, then the time the interaction entered the queue', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'email' }), t.tick(1));
    t.given(M.submit({ queue: 'pool', mediaType: 'email', priority: 5 }), t.tick(1));
    t.given(M.submit({ queue: 'pool', mediaType: 'email' }), t.tick(1));
    t.given(M.submit({ queue: 'pool', mediaType: 'email', priority: 5 }), t.tick(1));
    t.given(M.submit({ queue: 'pool', mediaType: 'email', priority: -1 }));
    t.step(A1.pull({ queue: 'pool', count: 10 }), {
      rep: Array.from({ length: 5 }, () => ['EventTakenFromQueue', 'EventPartyAdded']).flat(),
      'agent-1': [{ message: 'EventPulledInteractions', interactions: [I2, I4, I1, I3, I5].map((interactionId) => ({ interactionId })) }],
    });
  });

  test('a return after a handling timeout keeps its place; RequestPlaceInQueue is a new entry', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), t.tick(1), M.submit({ queue: 'pool', mediaType: 'chat' }), t.tick(1));
    t.given(A1.pull({ queue: 'pool' }), t.tick(60)); // I1 returns by handling timeout
    t.step(A1.pull({ queue: 'pool' }), { rep: ['EventTakenFromQueue', 'EventPartyAdded'], 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I1 }] }] });
    t.step(A1.placeInQueue(I1, 'pool'), { 'agent-1': ['EventAck'], rep: ['EventPartyRemoved', 'EventPlacedInQueue'] });
    t.step(A1.pull({ queue: 'pool' }), { rep: ['EventTakenFromQueue', 'EventPartyAdded'], 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I2 }] }] });
  });

  test('a return after a logout keeps its place', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }), t.tick(1), M.submit({ queue: 'pool', mediaType: 'chat' }));
    t.given(A1.pull({ queue: 'pool' }), A1.logout(), A1.login({ chat: 'ready' }));
    t.step(A1.pull({ queue: 'pool' }), { rep: ['EventTakenFromQueue', 'EventPartyAdded'], 'agent-1': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I1 }] }] });
  });

  test('a return after a revoke keeps its place: the interaction never left the queue', () => {
    const { t, R, M, A1, A2 } = world({ agent2: true });
    t.given(M.submit({ queue: 'routed', mediaType: 'chat' }), t.tick(1), M.submit({ queue: 'routed', mediaType: 'chat' }), R.routeCall(I1, 'agent-1'));
    const placedAt = t.core.interaction(I1)!.key;
    t.given(t.tick(30));
    expect(t.core.interaction(I1)).toMatchObject({ state: 'routing', key: placedAt });
    t.given(R.routeCall(I2, 'agent-1'), A1.reject(2, I2));
    t.step(A2.pull({ queue: 'routed' }), {
      R: [{ message: 'EventRevoked', interactionId: I1, reason: 'Pulled' }],
      rep: ['EventPartyRemoved', 'EventTakenFromQueue', 'EventPartyAdded'],
      'agent-2': [{ message: 'EventPulledInteractions', interactions: [{ interactionId: I1 }] }],
    });
  });
});

describe('names that are also Object.prototype keys', () => {
  // Found by the protocol fuzzer: counting per media type in a plain object read "constructor"
  // from Object.prototype, and EventAgentLogin.handling carried a function's text.
  test('EventAgentLogin counts an owned interaction of media type "constructor" as 1', () => {
    const { t, M, A1 } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'constructor' }), M.submit({ queue: 'pool', mediaType: 'toString' }), A1.pull({ queue: 'pool', count: 2 }));
    t.step(A1.login({ chat: 'ready' }), {
      'agent-1': ['EventAck'],
      rep: [{ message: 'EventAgentLogin', agentId: 'agent-1', handling: { constructor: 1, toString: 1 } }],
    });
  });

  test('a "__proto__" property is stored and sent as a property, not as the user data\'s prototype', () => {
    const { t, M } = world();
    t.given(M.submit({ queue: 'pool', mediaType: 'chat' }));
    const changed = JSON.parse('{"__proto__": {"handling-timeout": 1}}') as Record<string, unknown>;
    t.given(M.changeProperties(I1, changed));
    const userData = t.core.interaction(I1)!.userData;
    expect(Object.getPrototypeOf(userData)).toBe(Object.prototype);
    expect(Object.keys(userData)).toEqual(['__proto__']);
    expect(JSON.stringify(userData)).toBe('{"__proto__":{"handling-timeout":1}}');
  });
});
