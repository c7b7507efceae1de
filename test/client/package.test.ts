// openixn/client as a user gets it: imported by the package's name (a node_modules/openixn link
// to this repository, as an install makes), typed through the package's "exports", and free of
// runtime imports outside its own folder, so that it runs in a browser as it is. Reads the built
// dist/ (npm test builds before the suites run).

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { packageDirectory as repository, userProject } from '../support/sdk.js';

const run = promisify(execFile);
const clientDirectory = join(repository, 'dist/client');
const packageJson = JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')) as { bin: Record<string, string> };

let project: string;
let disposeProject: () => void;

beforeAll(() => {
  ({ directory: project, dispose: disposeProject } = userProject());
});

afterAll(() => {
  disposeProject();
});

describe('the built client', () => {
  it('imports nothing at runtime but the files beside it, and ws only by a dynamic import the browser never reaches', () => {
    const files = readdirSync(clientDirectory).filter((file) => file.endsWith('.js'));
    expect(files).toContain('index.js');
    const dynamicImports: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(clientDirectory, file), 'utf8');
      const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"();]*?\bfrom\s*['"]([^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
      for (const specifier of specifiers) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\/[a-z-]+\.js$/);
        expect(files, `${file} imports ${specifier}`).toContain(specifier.slice(2));
      }
      expect(text, file).not.toMatch(/\brequire\s*\(/);
      for (const match of text.matchAll(/\bimport\s*\(([^)]*)\)/g)) dynamicImports.push(`${file}: ${match[1]!.replace(/\/\*.*?\*\//g, '').trim()}`);
    }
    expect(dynamicImports).toEqual(['socket.js: specifier']);
    expect(readFileSync(join(clientDirectory, 'socket.js'), 'utf8')).toContain("const specifier = 'ws';");
  });
});

describe('the package by its name', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ queues: { backlog: { routing: 'none' } } });
  });
  afterAll(async () => {
    await server.dispose();
  });

  const script = `
    import { AgentClient, MediaServerClient, ReportingClient, RouterClient, OpenixnError, clientDefaults } from 'openixn/client';
    import { startServer } from 'openixn';
    const media = new MediaServerClient({ urls: [process.env.OPENIXN_URL], clientName: 'package-test' });
    await media.connect();
    const { interactionId } = await media.submit({ queue: 'backlog', mediaType: 'email', externalId: process.env.EXTERNAL_ID });
    const refused = await media.stopProcessing({ interactionId: 'nope' }).catch((error) => error);
    await media.close();
    console.log(JSON.stringify({
      exports: [AgentClient, MediaServerClient, ReportingClient, RouterClient, startServer].map((value) => typeof value),
      interactionId, refused: refused instanceof OpenixnError ? refused.code : String(refused),
      globalWebSocket: typeof globalThis.WebSocket, pingIntervalMs: clientDefaults.pingIntervalMs,
    }));
  `;

  it('runs on Node 20 with ws, and with the global WebSocket (the WHATWG one a browser has)', async () => {
    writeFileSync(join(project, 'use.mjs'), script);
    const outcomes = [];
    for (const [flags, externalId] of [[[], 'a'], [['--experimental-websocket'], 'b']] as const) {
      const { stdout } = await run(process.execPath, [...flags, 'use.mjs'], { cwd: project, env: { ...process.env, OPENIXN_URL: server.url, EXTERNAL_ID: externalId } });
      outcomes.push(JSON.parse(stdout) as Record<string, unknown>);
    }
    expect(outcomes.map((outcome) => outcome.globalWebSocket)).toEqual(['undefined', 'function']);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ exports: ['function', 'function', 'function', 'function', 'function'], refused: 'UnknownInteraction', pingIntervalMs: 10_000 });
    }
    expect(new Set(outcomes.map((outcome) => outcome.interactionId)).size).toBe(2);
  });

  it('types openixn/client through the package exports', async () => {
    writeFileSync(join(project, 'typed.ts'), `
      import { AgentClient, OpenixnError, type ReportingEvent } from 'openixn/client';
      const agent = new AgentClient({ urls: ['ws://127.0.0.1:7120/ws'], clientName: 'desk', token: async () => 'token' });
      agent.on('EventInvite', (invite) => { const ticket: number = invite.ticketId; void ticket; });
      export async function accept(interactionId: string): Promise<string | undefined> {
        try {
          const ack = await agent.accept({ ticketId: 1, interactionId });
          return ack.message;
        } catch (error) {
          if (error instanceof OpenixnError && error.code === 'UnknownTicket') return error.description;
          throw error;
        }
      }
      export function seqOf(event: ReportingEvent): number { return event.seq; }
      // @ts-expect-error a misspelt attribute is a type error
      void agent.agentLogin({ agentId: 'a', placeID: 'p' });
    `);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['typed.ts'],
    }));
    const tsc = join(repository, 'node_modules/typescript/bin/tsc');
    const outcome = await run(process.execPath, [tsc, '-p', project]).then(() => 'ok', (error: { stdout: string }) => error.stdout);
    expect(outcome).toBe('ok');
  });

  it('keeps the openixn command working', async () => {
    const { stdout } = await run(process.execPath, [join(project, 'node_modules/openixn', packageJson.bin.openixn!), '--help']);
    expect(stdout).toMatch(/^openixn: an open-source interaction server/);
  });
});
