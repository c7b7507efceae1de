// `openixn demo` as a newcomer runs it: it prints the two URLs, the dashboard's numbers move (bots
// are logged in, work arrives and is finished), the pages are served, and Ctrl-C stops it cleanly
// and removes its temporary store.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { testStoreKind } from '../support/test-store.js';

const mainScript = resolve(import.meta.dirname, '../../dist/main.js');

describe.runIf(testStoreKind() === 'sqlite')('openixn demo', () => {
  test('runs a moving contact centre, and stops cleanly on Ctrl-C', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [mainScript, 'demo', '--port', '0', '--agents', '4', '--rate', '8', '--handle-time', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const base = await new Promise<string>((done, fail) => {
        const check = setInterval(() => {
          const match = /Dashboard: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
          if (match !== null) {
            clearInterval(check);
            done(match[1]!);
          }
        }, 50);
        void exited.then(() => fail(new Error(`the demo exited: ${output}`)));
      });
      expect(output).toContain(`Agent desktop:  ${base}/agent`);
      const agents = (await (await fetch(`${base}/api/v1/agents`)).json()) as { agents: { agentId: string }[] };
      expect(agents.agents.map((agent) => agent.agentId)).toEqual(['bot-1', 'bot-2', 'bot-3', 'bot-4']);
      // Work arrives and is finished: the log grows with submits and stops.
      const stopped = async () => {
        const page = (await (await fetch(`${base}/api/v1/reporting/events?fromSeq=1&limit=1000`)).json()) as { events: { message: string }[] };
        return page.events.filter((event) => event.message === 'EventProcessingStopped').length;
      };
      await expect.poll(stopped, { timeout: 30_000, interval: 500 }).toBeGreaterThan(2);
      expect((await fetch(`${base}/`)).status).toBe(200);
      expect((await fetch(`${base}/agent`)).status).toBe(200);
      const directory = /Its store is in (\S+);/.exec(output)?.[1];
      expect(directory).toBeDefined();
      expect(existsSync(directory!)).toBe(true);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('stopping the demo');
      expect(existsSync(directory!)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
