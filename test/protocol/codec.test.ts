// The codec on strings, without a socket (STYLE section 4): every request kind decodes, and every
// way a frame can be wrong gives InvalidRequest (or LimitExceeded) with a description that names
// what to fix, keeping the referenceId whenever it can be read.

import { describe, expect, test } from 'vitest';
import { decode, encode, type Decoded } from '../../src/protocol/codec.js';
import { fieldBounds, requests, type RequestName } from '../../src/protocol/messages.js';

const limit = 1024 * 1024;

/** One valid frame of every request, with its optional attributes where it has any. */
const validRequests: Record<RequestName, Record<string, unknown>[]> = {
  RequestRegisterClient: [
    { clientType: 'AgentApplication', clientName: 'desktop' },
    { clientType: 'RoutingEngine', clientName: 'urs', queues: ['inbound', 'vip'] },
    { clientType: 'MediaServer', clientName: 'mail', token: 'secret' },
    { clientType: 'ReportingEngine', clientName: 'stats' },
    { clientType: 'Supervisor', clientName: 'floor-lead' },
  ],
  RequestStartReporting: [{}, { fromSeq: 1 }],
  RequestSubmit: [
    { queue: 'inbound', mediaType: 'email' },
    { queue: 'inbound', mediaType: 'email', type: 'Inbound', subtype: 'InboundNew', priority: -3, userData: { subject: 'Hi', nested: { a: [1, 2] } }, externalId: 'msg-1' },
    { queue: 'inbound', mediaType: 'email', expiresAt: '2026-12-05T09:00:00Z', scheduledAt: '2026-12-04T18:00:00Z' },
  ],
  RequestAgentLogin: [{ agentId: 'agent-7', placeId: 'place-7' }, { agentId: 'agent-7', placeId: 'place-7', media: { email: 'ready', chat: 'notReady' } }],
  RequestAgentLogout: [{}],
  RequestNotReadyForMedia: [{ mediaType: 'chat' }, { mediaType: 'chat', reason: 'lunch' }],
  RequestCancelNotReadyForMedia: [{ mediaType: 'chat' }],
  RequestRouteCall: [{ interactionId: '0000000000000001', agentId: 'agent-7' }, { interactionId: '0000000000000001', agentId: 'agent-7', placeId: 'place-7' }],
  RequestAccept: [{ ticketId: 1, interactionId: '0000000000000001' }],
  RequestReject: [{ ticketId: 1, interactionId: '0000000000000001' }, { ticketId: 2, interactionId: '0000000000000001', reason: 'busy' }],
  RequestPull: [
    { queue: 'backlog' },
    { queue: 'backlog', count: 5 },
    { queue: 'backlog', interactionIds: ['0000000000000001', '0000000000000002'] },
    { workbin: { name: 'drafts' } },
    { workbin: { name: 'team-followups', ownerId: 'tier2' }, count: 2 },
  ],
  RequestPlaceInQueue: [
    { interactionId: '0000000000000001', queue: 'backlog' },
    { interactionId: '0000000000000001', queue: 'backlog', expiresAt: '2026-12-05T09:00:00Z', scheduledAt: '2026-12-04T18:00:00.000+01:00' },
  ],
  RequestPlaceInWorkbin: [{ interactionId: '0000000000000001', workbin: { name: 'drafts' } }, { interactionId: '0000000000000001', workbin: { name: 'drafts', ownerId: 'agent-7' } }],
  RequestStopProcessing: [{ interactionId: '0000000000000001' }, { interactionId: '0000000000000001', reason: 'Done' }],
  RequestTransfer: [{ interactionId: '0000000000000001', agentId: 'agent-9' }, { interactionId: '0000000000000001', agentId: 'agent-9', placeId: 'place-9', reason: 'billing' }],
  RequestConference: [{ interactionId: '0000000000000001', agentId: 'agent-9' }, { interactionId: '0000000000000001', agentId: 'agent-9', placeId: 'place-9', reason: 'help' }],
  RequestCancelTransfer: [{ interactionId: '0000000000000001' }],
  RequestLeaveInteraction: [{ interactionId: '0000000000000001' }, { interactionId: '0000000000000001', reason: 'done' }],
  RequestChangeProperties: [
    { interactionId: '0000000000000001' },
    { interactionId: '0000000000000001', changedProperties: { status: 'open', count: 3 }, deletedProperties: ['draft'] },
  ],
  RequestGetInteractionProperties: [{ interactionId: '0000000000000001' }],
  RequestGetWorkbinContent: [{ workbin: { name: 'drafts' } }],
  RequestWorkbinNotifications: [{ workbin: { name: 'drafts' }, subscribe: true }, { workbin: { name: 'drafts', ownerId: 'agent-7' }, subscribe: false }],
  RequestForceAgentLogout: [{ agentId: 'agent-7' }, { agentId: 'agent-7', reason: 'Shift ended' }],
  RequestForceNotReady: [{ agentId: 'agent-7', mediaType: 'chat' }, { agentId: 'agent-7', mediaType: 'chat', reason: 'Coaching' }],
  RequestTakeSnapshot: [
    { queue: 'inbound' },
    { workbin: { name: 'drafts', ownerId: 'agent-7' }, lock: false },
    { queue: 'inbound', condition: { mediaType: 'email', priority: { gte: 5, lt: 10 }, 'userData.language': { in: ['de', 'fr'] }, submittedAt: { lt: '2026-12-04T09:00:00Z' } }, order: 'priority', max: 10, lock: true },
  ],
  RequestGetSnapshotInteractions: [{ snapshotId: 1 }, { snapshotId: 1, from: 100, count: 100 }],
  RequestReleaseSnapshot: [{ snapshotId: 1 }],
  RequestUnlockInteraction: [{ snapshotId: 1, interactionId: '0000000000000001' }],
  RequestMoveInteractions: [{ snapshotId: 1, queue: 'backlog' }, { snapshotId: 1, workbin: { name: 'team', ownerId: 'tier2' } }],
};

function frame(message: string, attributes: Record<string, unknown>, referenceId: unknown = 42): string {
  return JSON.stringify({ message, referenceId, ...attributes });
}

function refused(decoded: Decoded): Extract<Decoded, { ok: false }> {
  if (decoded.ok) throw new Error(`expected a refusal, decoded ${JSON.stringify(decoded.request)}`);
  return decoded;
}

/**
 * Decodes and expects InvalidRequest whose description contains every fragment (each a name to
 * fix), echoing referenceId (null: none).
 */
function expectInvalid(text: string, fragments: string[], referenceId: number | null = 42): void {
  const decoded = refused(decode(text, limit));
  expect(decoded.errorCode).toBe('InvalidRequest');
  for (const fragment of fragments) expect(decoded.errorDescription).toContain(fragment);
  expect(decoded.errorDescription).toMatch(/\.$/);
  expect(decoded.referenceId).toBe(referenceId ?? undefined);
}

describe('decode: valid requests', () => {
  test('the samples cover every request the protocol defines', () => {
    expect(Object.keys(validRequests).sort()).toEqual(Object.keys(requests).sort());
  });

  for (const [message, samples] of Object.entries(validRequests)) {
    test(`${message} decodes to exactly what was sent`, () => {
      for (const attributes of samples) {
        const text = frame(message, attributes);
        const decoded = decode(text, limit);
        expect(decoded, text).toEqual({ ok: true, request: JSON.parse(text) as unknown });
      }
    });
  }

  test('whitespace and key order do not matter', () => {
    const decoded = decode('  {\n "ticketId": 3, "interactionId": "0000000000000001",\t"referenceId": -7, "message": "RequestAccept" }\n', limit);
    expect(decoded).toEqual({ ok: true, request: { message: 'RequestAccept', referenceId: -7, ticketId: 3, interactionId: '0000000000000001' } });
  });

  test('a frame of exactly the limit is accepted', () => {
    const base = frame('RequestSubmit', { queue: 'q', mediaType: 'chat', userData: { pad: '' } });
    const padded = frame('RequestSubmit', { queue: 'q', mediaType: 'chat', userData: { pad: 'x'.repeat(300 - Buffer.byteLength(base)) } });
    expect(Buffer.byteLength(padded)).toBe(300);
    expect(decode(padded, 300).ok).toBe(true);
  });
});

describe('decode: malformed frames get InvalidRequest', () => {
  test('text that is not JSON', () => {
    for (const text of ['', 'hello', '{"message": "RequestAccept",', '{message: "RequestAgentLogout", referenceId: 1}', "{'message':'RequestAgentLogout'}"]) {
      const decoded = refused(decode(text, limit));
      expect(decoded, text).toEqual({ ok: false, errorCode: 'InvalidRequest', errorDescription: 'The message is not valid JSON.' });
    }
  });

  test('JSON that is not one object', () => {
    for (const text of ['[]', '[{"message":"RequestAgentLogout","referenceId":1}]', 'null', '42', '"RequestAgentLogout"', 'true']) {
      const decoded = refused(decode(text, limit));
      expect(decoded, text).toEqual({ ok: false, errorCode: 'InvalidRequest', errorDescription: 'A message is one JSON object.' });
    }
  });

  test('no message attribute, or one that is not a string; the referenceId is kept', () => {
    expectInvalid('{"referenceId": 42}', ['"message"']);
    expectInvalid('{"referenceId": 42, "message": 17}', ['"message"']);
    expectInvalid('{"message": null}', ['"message"'], null);
  });

  test('an unknown message is named in the description, events included', () => {
    expectInvalid(frame('RequestFly', {}), ['"RequestFly"', 'not a request']);
    expectInvalid(frame('EventAck', {}), ['"EventAck"', 'not a request']);
    expectInvalid(frame('requestagentlogout', {}), ['"requestagentlogout"']);
  });

  test('an absurdly long unknown message name is cut in the description', () => {
    const decoded = refused(decode(frame('X'.repeat(5000), {}), limit));
    expect(decoded.errorDescription.length).toBeLessThan(300);
  });

  test('a missing attribute is named', () => {
    expectInvalid(frame('RequestSubmit', { mediaType: 'chat' }), ['RequestSubmit', '"queue"']);
    expectInvalid(frame('RequestAccept', { interactionId: '0000000000000001' }), ['RequestAccept', '"ticketId"']);
    expectInvalid(frame('RequestRegisterClient', { clientType: 'MediaServer' }), ['"clientName"']);
    expectInvalid(frame('RequestWorkbinNotifications', { workbin: { name: 'drafts' } }), ['"subscribe"']);
    expectInvalid(frame('RequestPull', { workbin: { ownerId: 'agent-7' } }), ['"name"']);
  });

  test('a missing referenceId is named, and there is none to echo', () => {
    expectInvalid(JSON.stringify({ message: 'RequestAgentLogout' }), ['"referenceId"'], null);
  });

  test('an extra attribute is named', () => {
    expectInvalid(frame('RequestSubmit', { queue: 'q', mediaType: 'chat', colour: 'red' }), ['RequestSubmit', '"colour"']);
    expectInvalid(frame('RequestAgentLogout', { agentId: 'agent-7' }), ['"agentId"']);
    expectInvalid(frame('RequestPull', { workbin: { name: 'drafts', owner: 'agent-7' } }), ['"owner"']);
  });

  test('an attribute of the wrong type is named', () => {
    expectInvalid(frame('RequestAccept', { ticketId: '5', interactionId: '0000000000000001' }), ['"ticketId"', 'integer']);
    expectInvalid(frame('RequestAccept', { ticketId: 1.5, interactionId: '0000000000000001' }), ['"ticketId"']);
    expectInvalid(frame('RequestAccept', { ticketId: 0, interactionId: '0000000000000001' }), ['"ticketId"']);
    expectInvalid(frame('RequestSubmit', { queue: 'q', mediaType: 'chat', priority: 1.5 }), ['"priority"']);
    expectInvalid(frame('RequestSubmit', { queue: 'q', mediaType: 'chat', userData: [1] }), ['"userData"']);
    expectInvalid(frame('RequestSubmit', { queue: '', mediaType: 'chat' }), ['"queue"']);
    expectInvalid(frame('RequestSubmit', { queue: 7, mediaType: 'chat' }), ['"queue"']);
    expectInvalid(frame('RequestPull', { queue: 'q', count: 0 }), ['"count"']);
    expectInvalid(frame('RequestPull', { queue: 'q', interactionIds: [] }), ['"interactionIds"']);
    expectInvalid(frame('RequestWorkbinNotifications', { workbin: { name: 'drafts' }, subscribe: 'yes' }), ['"subscribe"', 'boolean']);
    expectInvalid(frame('RequestChangeProperties', { interactionId: '0000000000000001', deletedProperties: [1] }), ['"deletedProperties.0"']);
    expectInvalid(frame('RequestAgentLogin', { agentId: 'a', placeId: 'p', media: { chat: 'maybe' } }), ['"media.chat"']);
    expectInvalid(frame('RequestRegisterClient', { clientType: 'Robot', clientName: 'x' }), ['"clientType"']);
    expectInvalid(frame('RequestStartReporting', { fromSeq: 0 }), ['"fromSeq"']);
  });

  test('a name or id with a control character is refused: PostgreSQL text cannot hold NUL, and NUL joins lookup keys', () => {
    expectInvalid(frame('RequestSubmit', { queue: 'q', mediaType: 'a\u0000b' }), ['"mediaType"', 'control, line-separator or invisible formatting characters']);
    expectInvalid(frame('RequestSubmit', { queue: 'q', mediaType: 'chat', externalId: 'x\u001f' }), ['"externalId"']);
    expectInvalid(frame('RequestAgentLogin', { agentId: 'agent-1', placeId: 'place\n1' }), ['"placeId"']);
    expectInvalid(frame('RequestRegisterClient', { clientType: 'MediaServer', clientName: 'gate\u007fway' }), ['"clientName"']);
    expectInvalid(frame('RequestPull', { workbin: { name: 'drafts', ownerId: 'a\u0000b' } }), ['"workbin.ownerId"']);
    // Everything else Unicode is a name like any other.
    expect(decode(frame('RequestSubmit', { queue: 'q', mediaType: 'e-mail ✉ 電子メール' }), 1_000_000).ok).toBe(true);
  });

  test('a name with a C1 control, a line separator or an invisible or bidirectional formatting character is refused: it would make one name look like another', () => {
    for (const character of ['\u0085', '\u009b', '\u2028', '\u2029', '\u202e', '\u2066', '\u200b', '\u200f', '\u061c', '\ufeff']) {
      expectInvalid(frame('RequestAgentLogin', { agentId: `agent${character}7`, placeId: 'p' }), ['"agentId"', 'control, line-separator or invisible formatting characters']);
      expectInvalid(frame('RequestAgentLogin', { agentId: 'a', placeId: 'p', media: { [`chat${character}`]: 'ready' } }), ['"media.chat']);
    }
    expectInvalid(frame('RequestAgentLogin', { agentId: 'a', placeId: 'p', skills: { [`x\u202e`]: 1 } }), ['"skills.x']);
  });

  test('text with an unpaired surrogate, anywhere in the message, is refused; paired ones are text', () => {
    // PostgreSQL refuses "\ud800" in JSON: stored, it would fail the commit and stop the server.
    const lone = '{"message":"RequestSubmit","referenceId":3,"queue":"q","mediaType":"chat","userData":{"note":["ok","\\ud800"]}}';
    expectInvalid(lone, ['not valid Unicode'], 3);
    expectInvalid('{"message":"RequestSubmit","referenceId":3,"queue":"q","mediaType":"chat","userData":{"\\udc00":1}}', ['not valid Unicode'], 3);
    expectInvalid('{"message":"RequestAgentLogin","referenceId":3,"agentId":"a\\udbff","placeId":"p"}', ['not valid Unicode'], 3);
    const paired = '{"message":"RequestSubmit","referenceId":3,"queue":"q","mediaType":"chat","userData":{"note":"\\ud83d\\ude00","path":"C:\\\\ud800"}}';
    expect(decode(paired, 1_000_000)).toMatchObject({ ok: true, request: { userData: { note: '😀', path: 'C:\\ud800' } } });
  });

  test('a referenceId that is not an integer is named, and not echoed', () => {
    expectInvalid(frame('RequestAgentLogout', {}, '42'), ['"referenceId"'], null);
    expectInvalid(frame('RequestAgentLogout', {}, 4.2), ['"referenceId"'], null);
  });
});

/** A condition testing `count` distinct user-data keys. */
function conditionOf(count: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`userData.k${index}`, index]));
}

describe('decode: every field is bounded (fieldBounds, docs/protocol.md)', () => {
  const names = (count: number, prefix = 's') => Object.fromEntries(Array.from({ length: count }, (_, index) => [`${prefix}${index}`, 1]));
  const ids = (count: number) => Array.from({ length: count }, (_, index) => String(index + 1).padStart(16, '0'));
  const cases: { what: string; within: Record<string, unknown>; beyond: Record<string, unknown>; name: RequestName; attribute: string }[] = [
    { what: 'maxNameLength', name: 'RequestSubmit', attribute: '"queue"', within: { queue: 'q'.repeat(fieldBounds.maxNameLength), mediaType: 'chat' }, beyond: { queue: 'q'.repeat(fieldBounds.maxNameLength + 1), mediaType: 'chat' } },
    { what: 'maxReasonLength', name: 'RequestNotReadyForMedia', attribute: '"reason"', within: { mediaType: 'chat', reason: 'r'.repeat(fieldBounds.maxReasonLength) }, beyond: { mediaType: 'chat', reason: 'r'.repeat(fieldBounds.maxReasonLength + 1) } },
    { what: 'maxTokenLength', name: 'RequestRegisterClient', attribute: '"token"', within: { clientType: 'MediaServer', clientName: 'm', token: 't'.repeat(fieldBounds.maxTokenLength) }, beyond: { clientType: 'MediaServer', clientName: 'm', token: 't'.repeat(fieldBounds.maxTokenLength + 1) } },
    { what: 'maxRouterQueues', name: 'RequestRegisterClient', attribute: '"queues"', within: { clientType: 'RoutingEngine', clientName: 'r', queues: Array(fieldBounds.maxRouterQueues).fill('q') }, beyond: { clientType: 'RoutingEngine', clientName: 'r', queues: Array(fieldBounds.maxRouterQueues + 1).fill('q') } },
    { what: 'maxLoginMediaTypes', name: 'RequestAgentLogin', attribute: '"media"', within: { agentId: 'a', placeId: 'p', media: Object.fromEntries(Object.keys(names(fieldBounds.maxLoginMediaTypes, 'm')).map((key) => [key, 'ready'])) }, beyond: { agentId: 'a', placeId: 'p', media: Object.fromEntries(Object.keys(names(fieldBounds.maxLoginMediaTypes + 1, 'm')).map((key) => [key, 'ready'])) } },
    { what: 'maxLoginSkills', name: 'RequestAgentLogin', attribute: '"skills"', within: { agentId: 'a', placeId: 'p', skills: names(fieldBounds.maxLoginSkills) }, beyond: { agentId: 'a', placeId: 'p', skills: names(fieldBounds.maxLoginSkills + 1) } },
    { what: 'maxNameLength (a skill)', name: 'RequestAgentLogin', attribute: '"skills.', within: { agentId: 'a', placeId: 'p', skills: { ['s'.repeat(fieldBounds.maxNameLength)]: 1 } }, beyond: { agentId: 'a', placeId: 'p', skills: { ['s'.repeat(fieldBounds.maxNameLength + 1)]: 1 } } },
    { what: 'maxPullCount', name: 'RequestPull', attribute: '"interactionIds"', within: { queue: 'q', interactionIds: ids(fieldBounds.maxPullCount) }, beyond: { queue: 'q', interactionIds: ids(fieldBounds.maxPullCount + 1) } },
    { what: 'maxDeletedProperties', name: 'RequestChangeProperties', attribute: '"deletedProperties"', within: { interactionId: '0000000000000001', deletedProperties: Array(fieldBounds.maxDeletedProperties).fill('k') }, beyond: { interactionId: '0000000000000001', deletedProperties: Array(fieldBounds.maxDeletedProperties + 1).fill('k') } },
    { what: 'maxPropertyNameLength', name: 'RequestSubmit', attribute: '"userData', within: { queue: 'q', mediaType: 'chat', userData: { ['k'.repeat(fieldBounds.maxPropertyNameLength)]: 1 } }, beyond: { queue: 'q', mediaType: 'chat', userData: { ['k'.repeat(fieldBounds.maxPropertyNameLength + 1)]: 1 } } },
    { what: 'maxPriority', name: 'RequestSubmit', attribute: '"priority"', within: { queue: 'q', mediaType: 'chat', priority: -fieldBounds.maxPriority }, beyond: { queue: 'q', mediaType: 'chat', priority: fieldBounds.maxPriority + 1 } },
    { what: 'maxConditionTests', name: 'RequestTakeSnapshot', attribute: '"condition"', within: { queue: 'q', condition: conditionOf(fieldBounds.maxConditionTests) }, beyond: { queue: 'q', condition: conditionOf(fieldBounds.maxConditionTests + 1) } },
    { what: 'maxConditionInValues', name: 'RequestTakeSnapshot', attribute: '"condition', within: { queue: 'q', condition: { type: { in: Array(fieldBounds.maxConditionInValues).fill('a') } } }, beyond: { queue: 'q', condition: { type: { in: Array(fieldBounds.maxConditionInValues + 1).fill('a') } } } },
    { what: 'maxConditionValueLength', name: 'RequestTakeSnapshot', attribute: '"condition', within: { queue: 'q', condition: { type: 'v'.repeat(fieldBounds.maxConditionValueLength) } }, beyond: { queue: 'q', condition: { type: 'v'.repeat(fieldBounds.maxConditionValueLength + 1) } } },
    { what: 'maxConditionValueLength (a user-data key)', name: 'RequestTakeSnapshot', attribute: '"condition', within: { queue: 'q', condition: { [`userData.${'k'.repeat(fieldBounds.maxConditionValueLength)}`]: 1 } }, beyond: { queue: 'q', condition: { [`userData.${'k'.repeat(fieldBounds.maxConditionValueLength + 1)}`]: 1 } } },
    { what: 'maxSnapshotPage', name: 'RequestGetSnapshotInteractions', attribute: '"count"', within: { snapshotId: 1, count: fieldBounds.maxSnapshotPage }, beyond: { snapshotId: 1, count: fieldBounds.maxSnapshotPage + 1 } },
    { what: 'maxTimeLength', name: 'RequestSubmit', attribute: '"scheduledAt"', within: { queue: 'q', mediaType: 'chat', scheduledAt: `2026-12-04T09:00:00.${'0'.repeat(fieldBounds.maxTimeLength - 21)}Z` }, beyond: { queue: 'q', mediaType: 'chat', scheduledAt: `2026-12-04T09:00:00.${'0'.repeat(fieldBounds.maxTimeLength - 20)}Z` } },
    // One past maxInteger is 2^53, which JSON.stringify writes exactly: nothing is rounded on the way.
    { what: 'maxInteger (fromSeq)', name: 'RequestStartReporting', attribute: '"fromSeq" must be at most 9007199254740991', within: { fromSeq: fieldBounds.maxInteger }, beyond: { fromSeq: fieldBounds.maxInteger + 1 } },
    { what: 'maxInteger (ticketId)', name: 'RequestAccept', attribute: '"ticketId"', within: { ticketId: fieldBounds.maxInteger, interactionId: '0000000000000001' }, beyond: { ticketId: fieldBounds.maxInteger + 1, interactionId: '0000000000000001' } },
    { what: 'maxInteger (snapshotId)', name: 'RequestReleaseSnapshot', attribute: '"snapshotId"', within: { snapshotId: fieldBounds.maxInteger }, beyond: { snapshotId: fieldBounds.maxInteger + 1 } },
    { what: 'maxInteger (max)', name: 'RequestTakeSnapshot', attribute: '"max"', within: { queue: 'q', max: fieldBounds.maxInteger }, beyond: { queue: 'q', max: fieldBounds.maxInteger + 1 } },
    { what: 'maxInteger (from)', name: 'RequestGetSnapshotInteractions', attribute: '"from"', within: { snapshotId: 1, from: fieldBounds.maxInteger }, beyond: { snapshotId: 1, from: fieldBounds.maxInteger + 1 } },
  ];
  test.each(cases)('$what: at the bound the request decodes; one beyond it is InvalidRequest naming the attribute', ({ name, within, beyond, attribute }) => {
    expect(decode(frame(name, within), limit)).toMatchObject({ ok: true });
    expectInvalid(frame(name, beyond), [attribute]);
  });

  test('maxInteger (referenceId): either way at the bound it decodes; beyond it is InvalidRequest, and is not echoed', () => {
    expect(decode(frame('RequestAgentLogout', {}, fieldBounds.maxInteger), limit)).toMatchObject({ ok: true });
    expect(decode(frame('RequestAgentLogout', {}, -fieldBounds.maxInteger), limit)).toMatchObject({ ok: true });
    expectInvalid(frame('RequestAgentLogout', {}, fieldBounds.maxInteger + 1), ['"referenceId" must be at most 9007199254740991'], null);
    expectInvalid('{"message":"RequestAgentLogout","referenceId":-99999999999999999999999}', ['"referenceId" must be at least -9007199254740991'], null);
  });

  test('every bound in fieldBounds has a case here', () => {
    const covered = new Set(cases.map((entry) => entry.what.split(' ')[0]));
    expect([...covered].sort()).toEqual(Object.keys(fieldBounds).sort());
  });
});

describe('decode: size limit', () => {
  test('a frame over the limit gets LimitExceeded with the referenceId read from the text', () => {
    const text = frame('RequestSubmit', { queue: 'q', mediaType: 'chat', userData: { body: 'x'.repeat(2000) } }, 77);
    const decoded = refused(decode(text, 1024));
    expect(decoded).toMatchObject({ ok: false, errorCode: 'LimitExceeded', referenceId: 77 });
    expect(decoded.errorDescription).toContain(String(Buffer.byteLength(text)));
    expect(decoded.errorDescription).toContain('1024');
    expect(decoded.errorDescription).toContain('maxMessageBytes');
  });

  test('the size is checked before parsing: an oversize frame that is not even JSON still gets LimitExceeded and its referenceId', () => {
    const text = `{"referenceId": 12, "message": "RequestSubmit", "userData": {"body": "${'y'.repeat(5000)}`;
    expect(refused(decode(text, 1024))).toMatchObject({ errorCode: 'LimitExceeded', referenceId: 12 });
  });

  test('without a readable referenceId the LimitExceeded has none', () => {
    const decoded = refused(decode(`{"message":"RequestSubmit","body":"${'z'.repeat(3000)}"}`, 1024));
    expect(decoded.errorCode).toBe('LimitExceeded');
    expect(decoded).not.toHaveProperty('referenceId');
  });

  test('the limit counts bytes, not characters', () => {
    const text = frame('RequestSubmit', { queue: 'q', mediaType: 'chat', userData: { body: 'é'.repeat(600) } }, 5);
    expect(text.length).toBeLessThan(1024);
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024);
    expect(refused(decode(text, 1024))).toMatchObject({ errorCode: 'LimitExceeded', referenceId: 5 });
  });

  test('the transport may pass the frame\'s byte length', () => {
    const text = frame('RequestAgentLogout', {}, 9);
    expect(refused(decode(text, 1024, 4096))).toMatchObject({ errorCode: 'LimitExceeded', referenceId: 9 });
    expect(decode(text, 1024, 1024).ok).toBe(true);
  });
});

describe('encode', () => {
  test('a message is one JSON object, times as ISO strings and nulls kept', () => {
    const event = { message: 'EventPlacedInQueue', seq: 4, eventTime: '2025-01-06T09:00:00.000Z', interactionId: '0000000000000001', queue: 'q', workbin: null };
    expect(JSON.parse(encode(event))).toEqual(event);
  });
});
