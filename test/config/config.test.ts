// The configuration of SPEC section 8: durations, the example file, defaults, and errors that
// say where the file is wrong.

import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseConfigText, resolveSettings, type Settings } from '../../src/config/config.js';
import { parseDuration } from '../../src/config/duration.js';
import { mediaSettings } from '../../src/core/config.js';

/** The example of SPEC section 8, verbatim. */
const specExample = `
server: { host: 127.0.0.1, port: 7120 }
store: { url: "sqlite:./openixn-data/openixn.db" }   # or postgres://user@host/db
timeouts: { deliveringTimeout: 30, handlingTimeout: 10800, rejectCooldown: 60 }
mediaTypes:
  email: { capacity: 5, handlingTimeout: "24h" }
  chat:  { capacity: 3, deliveringTimeout: 20 }
queues:
  inbound-email: { routing: builtin }     # builtin | external | none
  backlog: { routing: none }
workbins:
  drafts: { owner: agent }                 # agent | place | agentGroup | placeGroup
  team-followups: { owner: agentGroup }
agentGroups: { tier2: [agent-7, agent-9] }
router: { builtin: true }
limits: { maxMessageBytes: 1048576 }
`;

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

function load(text: string): Settings {
  return resolveSettings(parseConfigText(text, 'openixn.yaml'));
}

describe('parseDuration', () => {
  test.each([
    [30, 30 * second],
    [0, 0],
    [0.25, 250],
    [1.5, 1500],
    [10800, 180 * minute],
  ])('the number %s is seconds: %s ms', (value, milliseconds) => {
    expect(parseDuration(value, 'timeouts.deliveringTimeout')).toBe(milliseconds);
  });

  test.each([
    ['500ms', 500],
    ['30s', 30 * second],
    ['30', 30 * second],
    ['1.5s', 1500],
    ['0.5m', 30 * second],
    ['180m', 180 * minute],
    ['24h', day],
    ['1d', day],
    ['2.5d', 60 * hour],
    [' 45 s ', 45 * second],
  ])('the string "%s" is %s ms', (value, milliseconds) => {
    expect(parseDuration(value, 'timeouts.deliveringTimeout')).toBe(milliseconds);
  });

  test.each([-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY])('the number %s is refused, naming where', (value) => {
    expect(() => parseDuration(value, 'mediaTypes.chat.handlingTimeout')).toThrow(/mediaTypes\.chat\.handlingTimeout/);
    expect(() => parseDuration(value, 'mediaTypes.chat.handlingTimeout')).toThrow(String(value));
  });

  test.each(['', 'abc', '30x', '-5s', '30 seconds', '1e3', '5ms3', 's', '1,5s'])('the string "%s" is refused, naming where, the value and the units', (value) => {
    expect(() => parseDuration(value, 'timeouts.handlingTimeout')).toThrow(/timeouts\.handlingTimeout/);
    expect(() => parseDuration(value, 'timeouts.handlingTimeout')).toThrow(`"${value}"`);
    expect(() => parseDuration(value, 'timeouts.handlingTimeout')).toThrow(/ms, s, m, h or d/);
  });
});

describe('the SPEC section 8 example', () => {
  const settings = load(specExample);

  test('server and store', () => {
    // A path in the file is relative to the file's directory (here none was given: the working directory).
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 7120, storeUrl: `sqlite:${resolve('openixn-data/openixn.db')}`, limits: { maxMessageBytes: 1_048_576 } });
  });

  test('timeouts resolve to milliseconds', () => {
    expect(settings.core).toMatchObject({ deliveringTimeoutMs: 30 * second, handlingTimeoutMs: 180 * minute, rejectCooldownMs: 60 * second, defaultCapacity: 1 });
  });

  test('media types override what they name and fall back to the defaults for the rest', () => {
    expect(settings.core.mediaTypes).toEqual(new Map([
      ['email', { capacity: 5, handlingTimeoutMs: day }],
      ['chat', { capacity: 3, deliveringTimeoutMs: 20 * second }],
    ]));
    expect(mediaSettings(settings.core, 'email')).toEqual({ capacity: 5, deliveringTimeoutMs: 30 * second, handlingTimeoutMs: day, wrapUpMs: 0 });
    expect(mediaSettings(settings.core, 'chat')).toEqual({ capacity: 3, deliveringTimeoutMs: 20 * second, handlingTimeoutMs: 180 * minute, wrapUpMs: 0 });
    expect(mediaSettings(settings.core, 'sms')).toEqual({ capacity: 1, deliveringTimeoutMs: 30 * second, handlingTimeoutMs: 180 * minute, wrapUpMs: 0 });
  });

  test('queues, workbins and groups', () => {
    expect(settings.core.queues).toEqual(new Map([['inbound-email', { routing: 'builtin', pullable: true, expireAfterMs: null, expiredQueue: null }], ['backlog', { routing: 'none', pullable: true, expireAfterMs: null, expiredQueue: null }]]));
    expect(settings.core.workbins).toEqual(new Map([['drafts', { owner: 'agent' }], ['team-followups', { owner: 'agentGroup' }]]));
    expect(settings.core.agentGroups).toEqual(new Map([['tier2', new Set(['agent-7', 'agent-9'])]]));
    expect(settings.core.placeGroups).toEqual(new Map());
  });
});

describe('9.4 expiry and wrap-up settings', () => {
  test('a queue\'s expireAfter and expiredQueue, and a media type\'s wrapUp, as durations', () => {
    const settings = load('queues:\n  inbound: { expireAfter: "2h", expiredQueue: late }\n  late: { routing: none, expireAfter: 30 }\nmediaTypes: { chat: { wrapUp: "45s" } }');
    expect(settings.core.queues.get('inbound')).toEqual({ routing: 'builtin', pullable: true, expireAfterMs: 2 * 3600 * second, expiredQueue: 'late' });
    expect(settings.core.queues.get('late')).toEqual({ routing: 'none', pullable: true, expireAfterMs: 30 * second, expiredQueue: null });
    expect(mediaSettings(settings.core, 'chat').wrapUpMs).toBe(45 * second);
    expect(mediaSettings(settings.core, 'email').wrapUpMs).toBe(0);
  });

  test('an expiredQueue must be another configured queue, and needs expireAfter', () => {
    expect(() => load('queues: { a: { expireAfter: 5, expiredQueue: nowhere } }')).toThrow(/queues\.a\.expiredQueue: there is no queue named "nowhere"/);
    expect(() => load('queues: { a: { expireAfter: 5, expiredQueue: a } }')).toThrow(/cannot move to the queue it expired in/);
    expect(() => load('queues: { a: { expiredQueue: b }, b: {} }')).toThrow(/give expireAfter too/);
    expect(() => load('queues: { a: { expireAfter: soon } }')).toThrow(/queues\.a\.expireAfter/);
    // Two queues that both moved work on at once would pass it back and forth without end.
    expect(() => load('queues: { a: { expireAfter: 0, expiredQueue: b }, b: { expireAfter: 0, expiredQueue: a } }')).toThrow(/queues\.a\.expireAfter: with an expiredQueue it must be longer than 0/);
    expect(load('queues: { a: { expireAfter: 0 } }').core.queues.get('a')?.expireAfterMs).toBe(0);
  });
});

describe('defaults', () => {
  test('an empty file gives every documented default', () => {
    const settings = load('');
    expect(settings).toMatchObject({
      host: '127.0.0.1',
      port: 7120,
      storeUrl: 'sqlite:./openixn-data/openixn.db',
      limits: { maxMessageBytes: 1024 * 1024 },
    });
    expect(settings.router).toMatchObject({ enabled: true, rejectCooldownMs: 60 * second });
    expect(settings.core.notReadyOnNoAnswer).toBe(true);
    expect(settings.core).toMatchObject({ deliveringTimeoutMs: 30 * second, handlingTimeoutMs: 180 * minute, rejectCooldownMs: 60 * second, defaultCapacity: 1 });
    expect(mediaSettings(settings.core, 'email')).toEqual({ capacity: 1, deliveringTimeoutMs: 30 * second, handlingTimeoutMs: 180 * minute, wrapUpMs: 0 });
  });

  test('keys left out of a section keep their defaults', () => {
    const settings = load('timeouts: { deliveringTimeout: "500ms" }\nserver: { port: 9000 }\nmediaTypes: { chat: { capacity: 4 } }');
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 9000 });
    expect(settings.core).toMatchObject({ deliveringTimeoutMs: 500, handlingTimeoutMs: 180 * minute, rejectCooldownMs: 60 * second });
    expect(mediaSettings(settings.core, 'chat')).toEqual({ capacity: 4, deliveringTimeoutMs: 500, handlingTimeoutMs: 180 * minute, wrapUpMs: 0 });
  });

  test('a queue with no routing is builtin', () => {
    const settings = load('queues:\n  plain: {}\n  bare:\n  routed: { routing: external }');
    expect(settings.core.queues).toEqual(new Map([['plain', { routing: 'builtin', pullable: true, expireAfterMs: null, expiredQueue: null }], ['bare', { routing: 'builtin', pullable: true, expireAfterMs: null, expiredQueue: null }], ['routed', { routing: 'external', pullable: true, expireAfterMs: null, expiredQueue: null }]]));
  });

  test('without a config file the server has a default layout', () => {
    const settings = resolveSettings(undefined);
    expect(settings.core.queues).toEqual(new Map([['inbound', { routing: 'builtin', pullable: true, expireAfterMs: null, expiredQueue: null }], ['backlog', { routing: 'none', pullable: true, expireAfterMs: null, expiredQueue: null }]]));
    expect(settings.core.workbins).toEqual(new Map([['drafts', { owner: 'agent' }]]));
    expect(settings.port).toBe(7120);
  });

  test('a file that has no queues or workbins section gets the default ones; a section that is there is taken as it is', () => {
    const settings = load('auth: { apiKeys: [{ key: "0123456789abcdef0123456789abcdef", clientType: MediaServer, clientName: gateway }] }');
    expect([...settings.core.queues.keys()]).toEqual(['inbound', 'backlog']);
    expect([...settings.core.workbins.keys()]).toEqual(['drafts']);
    expect([...settings.router.queues.keys()]).toEqual(['inbound']);
    const own = load('queues: { mine: { routing: none } }\nworkbins: {}');
    expect([...own.core.queues.keys()]).toEqual(['mine']);
    expect([...own.core.workbins.keys()]).toEqual([]);
  });

  test('a relative SQLite path in the file is relative to the file; one from the command line is not', () => {
    expect(resolveSettings(parseConfigText('store: { url: "sqlite:data/x.db" }'), { baseDirectory: '/etc/openixn' }).storeUrl).toBe('sqlite:/etc/openixn/data/x.db');
    expect(resolveSettings(parseConfigText('store: { url: "sqlite:/var/lib/x.db" }'), { baseDirectory: '/etc/openixn' }).storeUrl).toBe('sqlite:/var/lib/x.db');
    expect(resolveSettings(parseConfigText('store: { url: "postgres://u@h/db" }'), { baseDirectory: '/etc/openixn' }).storeUrl).toBe('postgres://u@h/db');
    expect(resolveSettings(parseConfigText(''), { baseDirectory: '/etc/openixn', storeUrl: 'sqlite:here.db' }).storeUrl).toBe('sqlite:here.db');
  });

  test('log.level is one of pino\'s levels, in the file and on the command line', () => {
    expect(load('log: { level: debug }').logLevel).toBe('debug');
    expect(() => load('log: { level: verbose }')).toThrow(/log\.level/);
    expect(() => resolveSettings(undefined, { logLevel: 'loud' })).toThrow(/--log-level must be one of/);
  });

  test('command-line overrides win over the file', () => {
    const settings = resolveSettings(parseConfigText(specExample), { host: '0.0.0.0', port: 8000, storeUrl: 'sqlite:/tmp/x.db', logLevel: 'debug' });
    expect(settings).toMatchObject({ host: '0.0.0.0', port: 8000, storeUrl: 'sqlite:/tmp/x.db', logLevel: 'debug' });
  });
});

describe('errors name where the file is wrong', () => {
  test.each([
    ['servr: { port: 1 }', ['top level', 'servr']],
    ['timeouts: { deliveringTimout: 30 }', ['timeouts', 'deliveringTimout']],
    ['server: { host: 127.0.0.1, prot: 1 }', ['server', 'prot']],
    ['mediaTypes: { chat: { capacty: 2 } }', ['mediaTypes.chat', 'capacty']],
    ['limits: { maxBytes: 1000 }', ['limits', 'maxBytes']],
    ['queues: { q: { routng: none } }', ['queues.q', 'routng']],
    ['workbins: { d: { owner: agent, colour: red } }', ['workbins.d', 'colour']],
    ['router: { builtn: false }', ['router', 'builtn']],
  ])('an unknown key: %s', (text, fragments) => {
    let message = '';
    try {
      load(text);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message, `${text} must be refused`).not.toBe('');
    for (const fragment of fragments) expect(message).toContain(fragment);
  });

  test.each([
    ['server: { port: abc }', 'server.port'],
    ['server: { port: 70000 }', 'server.port'],
    ['queues: { q: { routing: sometimes } }', 'queues.q.routing'],
    ['workbins: { d: { owner: team } }', 'workbins.d.owner'],
    ['workbins: { d: {} }', 'workbins.d'],
    ['mediaTypes: { chat: { capacity: -1 } }', 'mediaTypes.chat.capacity'],
    ['mediaTypes: { chat: { capacity: 1.5 } }', 'mediaTypes.chat.capacity'],
    ['timeouts: { deliveringTimeout: -5 }', 'timeouts.deliveringTimeout'],
    ['timeouts: { deliveringTimeout: thirty }', 'timeouts.deliveringTimeout'],
    ['timeouts: { rejectCooldown: "1w" }', 'timeouts.rejectCooldown'],
    ['mediaTypes: { chat: { handlingTimeout: "2x" } }', 'mediaTypes.chat.handlingTimeout'],
    ['agentGroups: { tier2: agent-7 }', 'agentGroups.tier2'],
    ['router: { builtin: yes }', 'router.builtin'],
    ['limits: { maxMessageBytes: 10 }', 'limits.maxMessageBytes'],
    ['- 1', 'top level'],
  ])('a bad value: %s', (text, where) => {
    expect(() => load(text)).toThrow(where);
  });

  test('text that is not YAML names the file', () => {
    expect(() => parseConfigText('queues: [', 'openixn.yaml')).toThrow(/openixn\.yaml is not valid YAML/);
  });

  test('schema errors name the file', () => {
    expect(() => parseConfigText('server: { port: abc }', '/etc/openixn.yaml')).toThrow(/^\/etc\/openixn\.yaml: at server\.port/);
  });
});
