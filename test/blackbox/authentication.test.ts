// Authentication over a real WebSocket (issue 5, part 1): RequestRegisterClient's token is an API
// key or a signed token (HS256 with a secret, RS256 with a PEM public key, ES256 from a JWKS
// file). A missing, bad, forged or expired token gets EventError Unauthorized and the connection
// closes (4001); credentials for another client type or name get Forbidden (4003); an agent token
// binds one agent id.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { base64url, generateKeyPair } from 'jose';
import { TestClient, type Message } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTestStore } from '../support/test-store.js';
import { agentToken, authConfig, newApiKey, signToken, testSecret, writeKeyPairs, type KeyPairs } from '../support/auth.js';

const mediaKey = newApiKey('MediaServer', 'email-gateway');
const routerKey = newApiKey('RoutingEngine', 'urs');
const reportingKey = newApiKey('ReportingEngine', 'wallboard');

let server: TestServer;
let keys: KeyPairs;
const opened: TestClient[] = [];

beforeAll(async () => {
  const store = createTestStore();
  keys = await writeKeyPairs(store.directory);
  server = await startTestServer({
    queues: { backlog: { routing: 'none' } },
    router: { builtin: false },
    auth: {
      ...authConfig([mediaKey, routerKey, reportingKey]),
      jwt: { secret: testSecret, publicKeyFile: keys.rsa.publicKeyFile, jwksFile: keys.jwksFile, algorithms: ['HS256', 'RS256', 'ES256'], clockTolerance: 5 },
    },
  }, store);
});

afterAll(async () => {
  for (const client of opened) client.socket.terminate();
  await server?.dispose();
});

async function connect(): Promise<TestClient> {
  const client = await TestClient.connect(server.url);
  opened.push(client);
  return client;
}

async function registered(clientType: string, clientName: string, token: string): Promise<TestClient> {
  const client = await connect();
  const answer = await client.request({ message: 'RequestRegisterClient', clientType, clientName, token });
  expect(answer, `${clientType} ${clientName} registers`).toMatchObject({ message: 'EventAck' });
  return client;
}

/** Registers and expects the refusal: the EventError, then the close with its code. */
async function refused(clientType: string, clientName: string, token: string | undefined, errorCode: 'Unauthorized' | 'Forbidden'): Promise<Message> {
  const client = await connect();
  const answer = await client.request({ message: 'RequestRegisterClient', clientType, clientName, ...(token !== undefined ? { token } : {}) });
  expect(answer).toMatchObject({ message: 'EventError', errorCode });
  expect((answer.errorDescription as string).length).toBeGreaterThan(10);
  expect((await client.closed).code).toBe(errorCode === 'Unauthorized' ? 4001 : 4003);
  return answer;
}

describe('credentials that let a client in', () => {
  test('an agent token signed with the HS256 secret', async () => {
    const agent = await registered('AgentApplication', 'desktop', await agentToken('agent-1'));
    expect(await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-1', placeId: 'place-1' })).toMatchObject({ message: 'EventAck' });
  });

  test('an RS256 token verified with the PEM public key', async () => {
    const token = await agentToken('agent-2', { algorithm: 'RS256', key: keys.rsa.privateKey });
    const agent = await registered('AgentApplication', 'desktop', token);
    expect(await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-2', placeId: 'place-2' })).toMatchObject({ message: 'EventAck' });
  });

  test('an ES256 token whose key is found in the JWKS file by its kid', async () => {
    const token = await signToken({ clientType: 'RoutingEngine' }, { algorithm: 'ES256', key: keys.ec.privateKey, kid: keys.ec.kid });
    await registered('RoutingEngine', 'any-router', token);
  });

  test('an API key for each kind of server, bound to its client type and name', async () => {
    const media = await registered('MediaServer', 'email-gateway', mediaKey.key);
    expect(await media.request({ message: 'RequestSubmit', queue: 'backlog', mediaType: 'email' })).toMatchObject({ message: 'EventAck' });
    await registered('RoutingEngine', 'urs', routerKey.key);
    const reporting = await registered('ReportingEngine', 'wallboard', reportingKey.key);
    expect(await reporting.request({ message: 'RequestStartReporting' })).toMatchObject({ message: 'EventAck' });
  });

  test('a token that expired within the clock tolerance (5 s) is still accepted', async () => {
    await registered('AgentApplication', 'desktop', await agentToken('agent-3', { expiresIn: -2 }));
  });

  test('requests sent right behind the registration wait for its verification and are then served in order', async () => {
    const agent = await connect();
    const token = await agentToken('agent-4', { algorithm: 'RS256', key: keys.rsa.privateKey });
    const register = agent.send({ message: 'RequestRegisterClient', clientType: 'AgentApplication', clientName: 'desktop', token });
    const login = agent.send({ message: 'RequestAgentLogin', agentId: 'agent-4', placeId: 'place-4' });
    const logout = agent.send({ message: 'RequestAgentLogout' });
    const answers = [await agent.next((message) => message.referenceId === register), await agent.next((message) => message.referenceId === login), await agent.next((message) => message.referenceId === logout)];
    expect(answers.map((answer) => answer.message)).toEqual(['EventAck', 'EventAck', 'EventAck']);
    expect(agent.received.filter((message) => message.message === 'EventError')).toEqual([]);
  });

  test('a second RequestRegisterClient on an authenticated connection is InvalidState and the connection stays', async () => {
    const router = await registered('RoutingEngine', 'urs', routerKey.key);
    expect(await router.request({ message: 'RequestRegisterClient', clientType: 'RoutingEngine', clientName: 'urs', token: 'whatever' })).toMatchObject({ message: 'EventError', errorCode: 'InvalidState' });
    expect(await router.request({ message: 'RequestGetWorkbinContent', workbin: { name: 'nowhere', ownerId: 'x' } })).toMatchObject({ errorCode: 'UnknownWorkbin' });
  });
});

describe('bad tokens: Unauthorized, and the connection closes (4001)', () => {
  test('no token at all', async () => {
    const error = await refused('MediaServer', 'email-gateway', undefined, 'Unauthorized');
    expect(error.errorDescription).toContain('needs a token');
  });

  test('an expired token, beyond the clock tolerance', async () => {
    const error = await refused('AgentApplication', 'desktop', await agentToken('agent-1', { expiresIn: -60 }), 'Unauthorized');
    expect(error.errorDescription).toContain('expired');
  });

  test('a token that is not valid yet (nbf in the future)', async () => {
    await refused('AgentApplication', 'desktop', await agentToken('agent-1', { notBefore: 600 }), 'Unauthorized');
  });

  test('a token without an expiry', async () => {
    const error = await refused('AgentApplication', 'desktop', await agentToken('agent-1', { noExpiry: true }), 'Unauthorized');
    expect(error.errorDescription).toContain('"exp"');
  });

  test('a token signed with another secret', async () => {
    const forged = await agentToken('agent-1', { key: new TextEncoder().encode('an-attacker-secret-that-is-long-enough-000000') });
    const error = await refused('AgentApplication', 'desktop', forged, 'Unauthorized');
    expect(error.errorDescription).toContain('signature');
  });

  test('a genuine token whose payload was changed to another agent', async () => {
    const [header, , signature] = (await agentToken('agent-1')).split('.');
    const payload = base64url.encode(JSON.stringify({ clientType: 'AgentApplication', agentId: 'agent-boss', exp: Math.floor(Date.now() / 1000) + 3600 }));
    await refused('AgentApplication', 'desktop', `${header}.${payload}.${signature}`, 'Unauthorized');
  });

  test('an unsigned token (alg "none")', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ clientType: 'AgentApplication', agentId: 'agent-1', exp: Math.floor(Date.now() / 1000) + 3600 }));
    await refused('AgentApplication', 'desktop', `${header}.${payload}.`, 'Unauthorized');
  });

  test('an RS256 token signed with a key the server does not know', async () => {
    const stranger = await generateKeyPair('RS256');
    await refused('AgentApplication', 'desktop', await agentToken('agent-1', { algorithm: 'RS256', key: stranger.privateKey }), 'Unauthorized');
  });

  test('an ES256 token whose kid is not in the JWKS file', async () => {
    const token = await signToken({ clientType: 'RoutingEngine' }, { algorithm: 'ES256', key: keys.ec.privateKey, kid: 'someone-else' });
    await refused('RoutingEngine', 'any-router', token, 'Unauthorized');
  });

  test('an HS384 token: an algorithm the config does not list', async () => {
    const error = await refused('AgentApplication', 'desktop', await agentToken('agent-1', { algorithm: 'HS384' }), 'Unauthorized');
    expect(error.errorDescription).toContain('algorithm');
  });

  test('text that is neither an API key nor a token', async () => {
    await refused('MediaServer', 'email-gateway', 'not-a-key-and-not-a-jwt', 'Unauthorized');
    await refused('MediaServer', 'email-gateway', `${mediaKey.key}x`, 'Unauthorized');
  });

  test('an agent token that names no agent, a media server token that names no client', async () => {
    const error = await refused('AgentApplication', 'desktop', await signToken({ clientType: 'AgentApplication' }), 'Unauthorized');
    expect(error.errorDescription).toContain('agentId');
    await refused('MediaServer', 'gateway', await signToken({ clientType: 'MediaServer' }), 'Unauthorized');
  });

  test('a token that names no client type', async () => {
    await refused('RoutingEngine', 'urs', await signToken({ sub: 'someone' }), 'Unauthorized');
  });
});

describe('credentials for someone else: Forbidden, and the connection closes (4003)', () => {
  test('an agent token used to register as a media server', async () => {
    const error = await refused('MediaServer', 'email-gateway', await agentToken('agent-1'), 'Forbidden');
    expect(error.errorDescription).toContain('AgentApplication');
  });

  test("an API key used for another client type or another client's name", async () => {
    await refused('RoutingEngine', 'email-gateway', mediaKey.key, 'Forbidden');
    const error = await refused('MediaServer', 'chat-gateway', mediaKey.key, 'Forbidden');
    expect(error.errorDescription).toContain('email-gateway');
  });

  test('a token naming one client used to register as another', async () => {
    await refused('MediaServer', 'chat-gateway', await signToken({ clientType: 'MediaServer', clientName: 'email-gateway' }), 'Forbidden');
  });

  test('an agent token bound to agent-1 may not log in as agent-2 (Forbidden), and the connection stays', async () => {
    const agent = await registered('AgentApplication', 'desktop', await agentToken('agent-5'));
    const answer = await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-6', placeId: 'place-6' });
    expect(answer).toMatchObject({ message: 'EventError', errorCode: 'Forbidden' });
    expect(answer.errorDescription).toContain('agent-5');
    expect(answer.errorDescription).toContain('agent-6');
    expect(await agent.request({ message: 'RequestAgentLogin', agentId: 'agent-5', placeId: 'place-5' })).toMatchObject({ message: 'EventAck' });
  });
});

describe('a server that takes RS256 tokens from one issuer for one audience', () => {
  let strict: TestServer;
  const issuer = 'https://idp.example.com';
  const audience = 'openixn';

  beforeAll(async () => {
    strict = await startTestServer({ router: { builtin: false }, auth: { jwt: { publicKeyFile: keys.rsa.publicKeyFile, issuer, audience } } });
  });

  afterAll(async () => {
    await strict?.dispose();
  });

  async function attempt(token: string): Promise<Message> {
    const client = await TestClient.connect(strict.url);
    opened.push(client);
    return client.request({ message: 'RequestRegisterClient', clientType: 'AgentApplication', clientName: 'desktop', token });
  }

  test('accepts a token with the right issuer and audience', async () => {
    expect(await attempt(await agentToken('agent-1', { algorithm: 'RS256', key: keys.rsa.privateKey, issuer, audience }))).toMatchObject({ message: 'EventAck' });
  });

  test('refuses another issuer, another audience, or none', async () => {
    const sign = (claims: { issuer?: string; audience?: string }) => agentToken('agent-1', { algorithm: 'RS256', key: keys.rsa.privateKey, ...claims });
    expect(await attempt(await sign({ issuer: 'https://evil.example.com', audience }))).toMatchObject({ errorCode: 'Unauthorized' });
    expect(await attempt(await sign({ issuer, audience: 'another-service' }))).toMatchObject({ errorCode: 'Unauthorized' });
    expect(await attempt(await sign({}))).toMatchObject({ errorCode: 'Unauthorized' });
  });

  test('refuses an HS256 token signed with the public key as its secret (algorithm confusion)', async () => {
    const pem = new TextEncoder().encode(readFileSync(keys.rsa.publicKeyFile, 'utf8'));
    const answer = await attempt(await agentToken('agent-1', { key: pem, issuer, audience }));
    expect(answer).toMatchObject({ message: 'EventError', errorCode: 'Unauthorized' });
  });
});
