// The README's SDK examples (its "Integrating" part), run as a user runs them: every ```js block
// is a script in a project that has openixn installed, started against a real server with the
// config the README names, in the README's order (the agent waits, the router starts, the media
// server submits, reporting replays). Examples that no longer work fail here. docs/sdk.md's tables
// of error codes and options are checked against the code.

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientDefaults, reportingDefaults, sdkErrorCodes } from '../../src/client/index.js';
import type { ConfigInput } from '../../src/config/config.js';
import { packageDirectory, userProject } from '../support/sdk.js';
import { startTestServer, type TestServer } from '../support/server.js';

const page = readFileSync(join(packageDirectory, 'docs/sdk.md'), 'utf8');
const readme = readFileSync(join(packageDirectory, 'README.md'), 'utf8');
const integrating = readme.slice(readme.indexOf('## Integrating'), readme.indexOf('\n## ', readme.indexOf('## Integrating') + 1));

/** The page's config, as the server is started with it. */
const config: ConfigInput = {
  queues: { inbound: { routing: 'builtin' }, backlog: { routing: 'none' }, sales: { routing: 'external' } },
  workbins: { drafts: { owner: 'agent' } },
};

function examples(): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of integrating.matchAll(/^```js(.*)\n([\s\S]*?)^```$/gm)) {
    const name = /\bexample=([a-z-]+)/.exec(match[1]!)?.[1];
    if (name === undefined) throw new Error(`a js block of the README's Integrating part has no example=NAME, so it would not be run: ${match[2]!.slice(0, 80)}`);
    found.set(name, match[2]!);
  }
  return found;
}

interface Running {
  output: () => string;
  /** Resolves once a line of output matches. */
  printed(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
  kill(): void;
}

describe('the README\'s SDK examples and docs/sdk.md', () => {
  let server: TestServer;
  let project: ReturnType<typeof userProject>;
  const running: Running[] = [];

  beforeEach(async () => {
    server = await startTestServer(config);
    project = userProject();
  });

  afterEach(async () => {
    for (const script of running.splice(0)) script.kill();
    project.dispose();
    await server.dispose();
  });

  function start(name: string, code: string): Running {
    const file = join(project.directory, `${name}.mjs`);
    writeFileSync(file, code);
    const child = spawn(process.execPath, [file], { cwd: project.directory, env: { ...process.env, OPENIXN_URL: server.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const listeners: (() => void)[] = [];
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      for (const listener of listeners) listener();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const script: Running = {
      output: () => output,
      printed: (pattern) => new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) resolve();
        };
        listeners.push(check);
        check();
        void exited.then(() => reject(new Error(`${name} exited before printing ${pattern}: ${output}`)));
      }),
      exited,
      kill: () => child.kill('SIGKILL'),
    };
    running.push(script);
    return script;
  }

  it('has one runnable example per role, and each does what the page says', async () => {
    const blocks = examples();
    expect([...blocks.keys()]).toEqual(['import', 'agent', 'router', 'media-server', 'reporting', 'supervisor']);
    const imports = start('import', blocks.get('import')!);
    expect(await imports.exited, imports.output()).toBe(0);

    const agent = start('agent', blocks.get('agent')!);
    await agent.printed(/^ready$/m);
    const router = start('router', blocks.get('router')!);
    await router.printed(/^routing$/m);
    const media = start('media-server', blocks.get('media-server')!);
    expect(await media.exited, media.output()).toBe(0);
    expect(await router.exited, router.output()).toBe(0);
    expect(await agent.exited, agent.output()).toBe(0);
    const interactionId = /^submitted (\w+)$/m.exec(media.output())?.[1];
    expect(interactionId).toBeDefined();
    expect(agent.output()).toContain(`handling ${interactionId} Where is my order?`);
    expect(agent.output()).toContain('logged in, owning 0');
    expect(router.output()).toContain('invite ended: Accepted');

    const reporting = start('reporting', blocks.get('reporting')!);
    expect(await reporting.exited, reporting.output()).toBe(0);
    const replayed = reporting.output().trim().split('\n');
    expect(replayed[0]).toBe('1 EventAgentLogin');
    expect(replayed.at(-1)).toMatch(/^\d+ EventProcessingStopped$/);
    expect(replayed.filter((line) => / EventInteractionSubmitted$/.test(line))).toHaveLength(2);
    expect(replayed.map((line) => Number(line.split(' ')[0]))).toEqual(replayed.map((_, index) => index + 1));

    const supervisor = start('supervisor', blocks.get('supervisor')!);
    expect(await supervisor.exited, supervisor.output()).toBe(0);
    expect(supervisor.output()).toContain('urgent emails waiting: 1');
    expect(supervisor.output()).toMatch(/^\w+ Invoice dispute$/m);
    expect(supervisor.output()).toContain('moved 1 skipped 0');
  });

  it('lists exactly the SDK\'s own error codes, and the options with their defaults', () => {
    const errors = page.slice(page.indexOf('## Errors'), page.indexOf('## Reconnect and resume'));
    const codes = [...errors.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]);
    expect(codes).toEqual(Object.keys(sdkErrorCodes));
    const options = page.slice(page.indexOf('## Options'), page.indexOf('## Decisions'));
    const documented = new Map([...options.matchAll(/^\| `(\w+)`[^|]*\| ([\d,]+) \|/gm)].map((match) => [match[1], Number(match[2]!.replaceAll(',', ''))]));
    expect(Object.fromEntries(documented)).toEqual({ ...clientDefaults, ...reportingDefaults });
  });
});
