// The README's "Five minutes with a real session", run as written: its code blocks are pasted, in
// order, into one JavaScript context (as a Node prompt would hold them) against `openixn serve`
// with the default layout, including the step that stops the server with Ctrl-C (SIGINT) and
// starts it again. Only the port differs from the text. Each step waits for what the README says
// the reader will see.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { createContext, runInContext } from 'vm';
import { describe, expect, test } from 'vitest';
import { testStoreKind } from '../support/test-store.js';
import { startChildServer, useChildServers } from '../support/server.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The ```js blocks of one section, in order. */
function codeBlocks(section: string): string[] {
  const start = readme.indexOf(`## ${section}`);
  const end = readme.indexOf('\n## ', start + 1);
  return [...readme.slice(start, end).matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe.runIf(testStoreKind() === 'sqlite')('the README walk-through', () => {
  const children = useChildServers();

  test('runs as written, through a restart of the server', async () => {
    const blocks = codeBlocks('Five minutes with a real session');
    expect(blocks).toHaveLength(8);
    let server = await children.start({});
    const lines: string[] = [];
    const context = createContext({
      require: createRequire(resolve(import.meta.dirname, '../../package.json')),
      console: { log: (...parts: unknown[]) => lines.push(parts.map(String).join(' ')) },
      setTimeout,
    });
    let read = 0;
    /**
     * Waits for the next printed line that matches: after those already waited for, or from `from`
     * on, for what comes over another connection than the line waited for before it (two sockets'
     * messages may be printed in either order).
     */
    const printed = async (pattern: RegExp, from = read): Promise<string> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const index = lines.findIndex((line, at) => at >= from && pattern.test(line));
        if (index >= 0) {
          read = Math.max(read, index + 1);
          return lines[index]!;
        }
        if (Date.now() > deadline) throw new Error(`nothing printed matched ${String(pattern)}; printed:\n${lines.slice(from).join('\n')}`);
        await new Promise((done) => setTimeout(done, 10));
      }
    };
    const paste = (block: string) => runInContext(block.replaceAll('ws://127.0.0.1:7120/ws', server.url), context);

    paste(blocks[0]!);
    expect(await printed(/^agent <- .*"EventAck","referenceId":2/)).toContain('"interactions":[]');
    let mark = lines.length;
    paste(blocks[1]!);
    await printed(/^media <- .*"EventAck","referenceId":2,"interactionId"/);
    await printed(/^reporting <- .*"EventPlacedInQueue"/, mark);
    paste(blocks[2]!);
    expect(await printed(/^agent <- .*"EventPulledInteractions"/)).toContain('"assignedTo":"agent-7"');
    mark = lines.length;
    paste(blocks[3]!);
    await printed(/^agent <- .*"EventAck","referenceId":4/);
    await printed(/^reporting <- .*"EventProcessingStopped"/, mark);
    paste(blocks[4]!);
    await printed(/^agent <- .*"EventInvite"/);
    mark = lines.length;
    paste(blocks[5]!);
    await printed(/^agent <- .*"EventAck","referenceId":5/);
    expect(await printed(/^reporting <- .*"EventPartyAdded".*"type":"Agent"/, mark)).toContain('"type":"Agent"');
    const seqBefore = runInContext('last.seq', context) as number;

    // Ctrl-C, and the server again on the same port and store.
    server.process.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    await printed(/closed 1001/);
    server = await startChildServer({}, children.store(), server.port);
    const afterRestart = lines.length;
    paste(blocks[6]!);
    const login = await printed(/^agent <- .*"EventAck","referenceId":2/);
    expect(login).toContain('"subject":"Refund, please"');
    expect(login).toContain('"state":"handling"');
    // The wallboard resumed right after the last seq it had seen.
    const reported = lines.slice(afterRestart).filter((line) => /^reporting <- .*"seq":/.test(line)).map((line) => JSON.parse(line.slice('reporting <- '.length)) as { seq: number; message: string; reason?: string });
    expect(reported[0]).toMatchObject({ seq: seqBefore + 1 });
    expect(reported).toContainEqual(expect.objectContaining({ message: 'EventAgentLogout', reason: 'ServerRestart' }));
    paste(blocks[7]!);
    expect(JSON.parse((await printed(/^history <- .*"seq":/)).slice('history <- '.length))).toMatchObject({ seq: 1, message: 'EventAgentLogin', agentId: 'agent-7' });
    runInContext('for (const name of ["reporting", "media", "agent", "history"]) last[name] = null; media = agent = reporting = null;', context);
    server.process.kill('SIGKILL');
  });
});

describe.runIf(testStoreKind() === 'sqlite')('the deployment guide', () => {
  const guide = readFileSync(resolve(import.meta.dirname, '../../docs/deployment.md'), 'utf8');

  test('installs the package it tells you to build, and runs its bin, never an unknown package from the registry', async () => {
    expect(guide).not.toMatch(/npx openixn/);
    expect(guide).toContain('npm pack');
    const { name, version, bin } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
    expect(guide).toContain(`./${name}-${version}.tgz`);
    expect(guide).toMatch(new RegExp(`ExecStart=/usr/local/bin/${Object.keys(bin)[0]!} serve`));
    // The package holds the built server, its bin and the license, and no tests.
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: resolve(import.meta.dirname, '../..') });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'package.json', Object.values(bin)[0]!.replace(/^\.\//, '')]));
    expect(files.some((file) => file.startsWith('test/'))).toBe(false);
  });
});
