// Secure by default and TLS (issue 5, part 1): without an auth section the server listens on
// loopback only and says so; a non-loopback address without auth refuses to start unless
// --insecure is given; with server.tls it speaks wss:// and https:// from the configured files.

import { spawn } from 'node:child_process';
import { get } from 'node:https';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/server.js';
import { temporaryDirectory } from '../support/test-store.js';
import { TestClient } from '../support/client.js';
import { agentToken, authConfig } from '../support/auth.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/tls');
const mainScript = resolve(import.meta.dirname, '../../dist/main.js');
let running: RunningServer[] = [];
let directories: string[] = [];

afterEach(async () => {
  for (const server of running) await server.close();
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  running = [];
  directories = [];
});

function storeUrl(): string {
  const directory = temporaryDirectory();
  directories.push(directory);
  return `sqlite:${join(directory, 'openixn.db')}`;
}

async function start(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const server = await startServer({ port: 0, store: storeUrl(), logLevel: 'silent', ...options });
  running.push(server);
  return server;
}

/** Runs `openixn serve` with these arguments until it prints "listening" or exits. */
function serve(args: string[]): Promise<{ code: number | null; output: string; listening: boolean }> {
  const child = spawn(process.execPath, [mainScript, 'serve', '--port', '0', '--store', storeUrl(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolvePromise) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"listening"')) {
        child.kill('SIGTERM');
        resolvePromise({ code: null, output, listening: true });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolvePromise({ code, output, listening: false }));
  });
}

describe('secure by default', () => {
  test('without auth, a non-loopback address is refused unless insecure is asked for', async () => {
    await expect(start({ host: '0.0.0.0' })).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 without authentication.*--insecure/);
    const insecure = await start({ host: '0.0.0.0', insecure: true });
    expect(insecure.url).toMatch(/^ws:\/\/0\.0\.0\.0:\d+\/ws$/);
  });

  test('with auth configured, any address will do', async () => {
    const server = await start({ host: '0.0.0.0', config: { auth: authConfig([]) } });
    const client = await TestClient.connect(`ws://127.0.0.1:${server.port}/ws`);
    expect(await client.request({ message: 'RequestRegisterClient', clientType: 'AgentApplication', clientName: 'desk', token: await agentToken('agent-1') })).toMatchObject({ message: 'EventAck' });
    await client.close();
  });

  test('loopback addresses are loopback, others are not', async () => {
    const { isLoopback } = await import('../../src/auth/exposure.js');
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.com', '::ffff:10.0.0.1']) expect(isLoopback(host), host).toBe(false);
  });

  test('the command line: the default start says authentication is off; --host 0.0.0.0 exits with the reason; --insecure starts', async () => {
    const loopback = await serve([]);
    expect(loopback.listening).toBe(true);
    expect(loopback.output).toContain('authentication is off');
    const refused = await serve(['--host', '0.0.0.0']);
    expect(refused.listening).toBe(false);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('--insecure');
    const insecure = await serve(['--host', '0.0.0.0', '--insecure']);
    expect(insecure.listening).toBe(true);
    expect(insecure.output).toContain('--insecure is given');
  });
});

describe('TLS', () => {
  const ca = readFileSync(join(fixtures, 'cert.pem'));

  test('with server.tls the server speaks wss:// and https:// and refuses plain ws://', async () => {
    const server = await start({ host: '127.0.0.1', config: { server: { tls: { certFile: join(fixtures, 'cert.pem'), keyFile: join(fixtures, 'key.pem') } } } });
    expect(server.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws$/);

    const socket = new WebSocket(server.url, { ca, perMessageDeflate: false });
    await new Promise<void>((resolvePromise, reject) => {
      socket.once('open', () => resolvePromise());
      socket.once('error', reject);
    });
    const client = TestClient.adopt(socket);
    expect(await client.request({ message: 'RequestRegisterClient', clientType: 'MediaServer', clientName: 'gateway' })).toMatchObject({ message: 'EventAck' });
    await client.close();

    const health = await new Promise<{ status: number; body: string }>((resolvePromise, reject) => {
      get(`https://127.0.0.1:${server.port}/healthz`, { ca }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ready' });

    // A client that does not trust the certificate cannot connect, and neither can plain ws://.
    await expect(TestClient.connect(server.url)).rejects.toThrow(/self.signed|certificate/i);
    await expect(TestClient.connect(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow();
  });

  test('a certificate file that does not exist stops the start with its path', async () => {
    const directory = temporaryDirectory();
    directories.push(directory);
    writeFileSync(join(directory, 'key.pem'), readFileSync(join(fixtures, 'key.pem')));
    await expect(start({ host: '127.0.0.1', config: { server: { tls: { certFile: join(directory, 'missing.pem'), keyFile: join(directory, 'key.pem') } } } })).rejects.toThrow(/missing\.pem/);
  });
});
