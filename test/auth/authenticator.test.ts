// The authenticator's key loading: what it refuses at start, with messages that name the file or
// setting, so that a deployment with a broken key fails loudly instead of letting nobody (or
// anybody) in.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair } from 'jose';
import { afterAll, describe, expect, test } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { defaultClaimNames, type AuthSettings, type JwtSettings } from '../../src/auth/settings.js';
import { temporaryDirectory as newDirectory } from '../support/test-store.js';
import { agentToken, sha256, signToken, testSecret, writeKeyPairs } from '../support/auth.js';

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function temporaryDirectory(): string {
  const directory = newDirectory();
  directories.push(directory);
  return directory;
}

function settings(jwt: Partial<JwtSettings>): AuthSettings {
  return {
    jwt: { secret: null, secretFile: null, publicKeyFile: null, jwksFile: null, algorithms: null, issuer: null, audience: null, clockToleranceSeconds: 0, claims: defaultClaimNames, ...jwt },
    apiKeys: [],
    mediaServerScope: 'submitted',
  };
}

describe('key material', () => {
  test('an HS256 secret shorter than 32 bytes is refused', async () => {
    await expect(Authenticator.create(settings({ secret: 'too-short' }))).rejects.toThrow(/at least 32 bytes/);
  });

  test('a secret file is read and trimmed of its newline', async () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'secret'), `${testSecret}\n`);
    const authenticator = await Authenticator.create(settings({ secretFile: join(directory, 'secret') }));
    expect(await authenticator.authenticate(await agentToken('agent-1'), 'AgentApplication', 'desk')).toMatchObject({ ok: true, grants: { agentId: 'agent-1' } });
  });

  test('a missing key file names its setting and path', async () => {
    await expect(Authenticator.create(settings({ publicKeyFile: '/nonexistent/idp.pem' }))).rejects.toThrow(/auth\.jwt\.publicKeyFile: cannot read \/nonexistent\/idp\.pem/);
  });

  test('a public key file that is not a PEM public key is refused', async () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'idp.pem'), 'not a key');
    await expect(Authenticator.create(settings({ publicKeyFile: join(directory, 'idp.pem') }))).rejects.toThrow(/not an SPKI PEM public key/);
  });

  test('a JWKS file that is not a key set is refused', async () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'jwks.json'), '{"keys": 5}');
    await expect(Authenticator.create(settings({ jwksFile: join(directory, 'jwks.json') }))).rejects.toThrow(/not a JSON Web Key Set/);
  });

  test('an EC public key serves ES256 only: an RS256 token is refused even with the right claims', async () => {
    const directory = temporaryDirectory();
    const keys = await writeKeyPairs(directory);
    const ec = await generateKeyPair('ES256');
    writeFileSync(join(directory, 'ec.pem'), await exportSPKI(ec.publicKey));
    const authenticator = await Authenticator.create(settings({ publicKeyFile: join(directory, 'ec.pem') }));
    expect(await authenticator.authenticate(await agentToken('agent-1', { algorithm: 'ES256', key: ec.privateKey }), 'AgentApplication', 'desk')).toMatchObject({ ok: true });
    expect(await authenticator.authenticate(await agentToken('agent-1', { algorithm: 'RS256', key: keys.rsa.privateKey }), 'AgentApplication', 'desk')).toMatchObject({ ok: false, errorCode: 'Unauthorized' });
  });

  test('configured algorithms no key can serve are refused', async () => {
    await expect(Authenticator.create(settings({ secret: testSecret, algorithms: ['RS256'] }))).rejects.toThrow(/no configured key can verify RS256/);
  });
});

describe('claims', () => {
  test('claim names can be mapped to those an identity provider issues', async () => {
    const authenticator = await Authenticator.create(settings({ secret: testSecret, claims: { ...defaultClaimNames, agentId: 'employee_id', clientType: 'role' } }));
    const token = await signToken({ role: 'AgentApplication', employee_id: 'agent-42' });
    expect(await authenticator.authenticate(token, 'AgentApplication', 'desk')).toMatchObject({ ok: true, grants: { agentId: 'agent-42', mediaScope: 'submitted' } });
    expect(await authenticator.authenticate(await agentToken('agent-1'), 'AgentApplication', 'desk')).toMatchObject({ ok: false, errorCode: 'Unauthorized' });
  });

  test('a media server token may widen its scope to "all"; any other value is refused', async () => {
    const authenticator = await Authenticator.create(settings({ secret: testSecret }));
    const all = await signToken({ clientType: 'MediaServer', clientName: 'archive', mediaScope: 'all' });
    expect(await authenticator.authenticate(all, 'MediaServer', 'archive')).toMatchObject({ ok: true, grants: { agentId: null, mediaScope: 'all' } });
    const odd = await signToken({ clientType: 'MediaServer', clientName: 'archive', mediaScope: 'everything' });
    expect(await authenticator.authenticate(odd, 'MediaServer', 'archive')).toMatchObject({ ok: false, errorCode: 'Unauthorized' });
  });
});

describe('time', () => {
  test("expiry is judged at the time the server's clock gives", async () => {
    const authenticator = await Authenticator.create(settings({ secret: testSecret }));
    const token = await agentToken('agent-1', { expiresIn: 60 });
    expect(await authenticator.authenticate(token, 'AgentApplication', 'desk', Date.now())).toMatchObject({ ok: true });
    expect(await authenticator.authenticate(token, 'AgentApplication', 'desk', Date.now() + 120_000)).toMatchObject({ ok: false, errorCode: 'Unauthorized', errorDescription: expect.stringContaining('expired') });
  });
});

describe('9.3.1 the Supervisor client type has credentials of its own', () => {
  test('a Supervisor API key registers a Supervisor of its name, and nothing else', async () => {
    const key = 'a-supervisor-api-key-of-more-than-32-characters';
    const authenticator = await Authenticator.create({ jwt: null, apiKeys: [{ sha256: sha256(key), clientType: 'Supervisor', clientName: 'floor-lead', mediaScope: null }], mediaServerScope: 'submitted' });
    expect(await authenticator.authenticate(key, 'Supervisor', 'floor-lead')).toMatchObject({ ok: true, grants: { agentId: null } });
    expect(await authenticator.authenticate(key, 'ReportingEngine', 'floor-lead')).toMatchObject({ ok: false, errorCode: 'Forbidden' });
    expect(await authenticator.authenticate(key, 'Supervisor', 'someone-else')).toMatchObject({ ok: false, errorCode: 'Forbidden' });
  });

  test('a token with clientType Supervisor registers a Supervisor; an agent token does not', async () => {
    const authenticator = await Authenticator.create(settings({ secret: testSecret }));
    const token = await signToken({ clientType: 'Supervisor', clientName: 'floor-lead', sub: 'user-lead' });
    expect(await authenticator.authenticate(token, 'Supervisor', 'floor-lead')).toMatchObject({ ok: true, subject: 'user-lead' });
    expect(await authenticator.authenticate(await agentToken('agent-1'), 'Supervisor', 'floor-lead')).toMatchObject({ ok: false, errorCode: 'Forbidden' });
  });
});
