// The link between the core and the built-in router (src/router/link.ts), alone: the one wiring
// the server, the simulator, the router harness and the routing benchmark share.

import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../../src/config/config.js';
import { Core } from '../../src/core/core.js';
import type { Outgoing } from '../../src/core/types.js';
import { builtinRouterName, reportingClientId, RouterLink, routingClientId } from '../../src/router/link.js';
import { Router } from '../../src/router/router.js';

const now = Date.UTC(2025, 0, 6, 9, 0, 0);

function linked() {
  const settings = resolveSettings({ queues: { inbound: {} } });
  const core = new Core(settings.core);
  const link = new RouterLink(new Router(settings.router, new Map()));
  link.connect(core, now);
  return { core, link };
}

describe('RouterLink', () => {
  test('connect registers a reporting client with its reporting started, then a router naming the builtin queues', () => {
    const { core } = linked();
    expect(core.clientOf(reportingClientId)).toMatchObject({ clientType: 'ReportingEngine', clientName: builtinRouterName, reporting: true });
    expect(core.clientOf(routingClientId)).toMatchObject({ clientType: 'RoutingEngine', clientName: builtinRouterName, queues: new Set(['inbound']) });
  });

  test('settle delivers the core\'s output to the router and its route call back to the core, until nothing moves', () => {
    const { core, link } = linked();
    core.register({ clientId: 'desk', now }, 1, 'AgentApplication', 'desk');
    core.request({ clientId: 'desk', now }, { message: 'RequestAgentLogin', referenceId: 2, agentId: 'agent-1', placeId: 'place-1', media: { chat: 'ready' } });
    core.register({ clientId: 'media', now }, 1, 'MediaServer', 'media');
    core.request({ clientId: 'media', now }, { message: 'RequestSubmit', referenceId: 3, queue: 'inbound', mediaType: 'chat' });
    const seen: Outgoing[] = [];
    link.settle(core, now, (outgoing) => seen.push(outgoing));
    expect(seen.filter((outgoing) => outgoing.to === routingClientId).map((outgoing) => outgoing.message.message)).toEqual(['EventAck', 'EventRouteRequest']);
    expect(seen.filter((outgoing) => outgoing.to === 'desk').map((outgoing) => outgoing.message.message)).toEqual(['EventAck', 'EventAck', 'EventInvite']);
    expect(core.interaction('0000000000000001')?.ticket?.agentId).toBe('agent-1');
  });

  test('deliver says which messages were the router\'s alone; reporting events reach it only once its reporting started', () => {
    const settings = resolveSettings({ queues: { inbound: {} } });
    const link = new RouterLink(new Router(settings.router, new Map()));
    const login: Outgoing = { to: null, message: { message: 'EventAgentLogin', seq: 1, eventTime: new Date(now).toISOString(), agentId: 'agent-1', placeId: 'p', media: { chat: 'ready' }, skills: {}, handling: {} } };
    expect(link.deliver(login, now)).toBe(false);
    expect(link.deliver({ to: routingClientId, message: { message: 'EventAck', referenceId: 1 } }, now)).toBe(true);
    expect(link.deliver({ to: 'someone', message: { message: 'EventAck', referenceId: 1 } }, now)).toBe(false);
    // Not heard before reporting started: the route request finds no agent.
    link.deliver({ to: routingClientId, message: { message: 'EventRouteRequest', interaction: { interactionId: '0000000000000001', mediaType: 'chat', type: 'Inbound', subtype: 'InboundNew', state: 'routing', queue: 'inbound', workbin: null, priority: 0, userData: {}, submittedAt: new Date(now).toISOString(), placedInQueueAt: new Date(now).toISOString(), assignedTo: null, placeId: null, parties: [] } } }, now);
    expect(link.router.takeRequests()).toEqual([]);
    link.reportingStarted();
    link.deliver(login, now);
    expect(link.router.takeRequests()).toMatchObject([{ message: 'RequestRouteCall', agentId: 'agent-1' }]);
  });
});
