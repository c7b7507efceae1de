// `openixn demo`: a live contact centre in one command. It starts a server on a fresh store in a
// temporary directory, media servers that submit e-mails and chats at a steady rate, and bot
// agents that accept their invites and work them for a random time; then it prints where the
// dashboard and the agent desktop are, so a newcomer watches it move and can sign in beside the
// bots. Ctrl-C stops everything and removes the temporary store.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AgentClient, MediaServerClient } from '../client/index.js';
import type { ConfigInput } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';

export const demoUsage = `openixn demo: a live contact centre on this machine, to watch and to join

Usage:
  openixn demo [--port N] [--agents N] [--rate R] [--handle-time T]

Options:
  --port N           HTTP and WebSocket port (default 7120)
  --agents N         bot agents, ready for e-mail and chat (default 6)
  --rate R           interactions submitted per second, e-mails and chats alike (default 0.5)
  --handle-time T    mean seconds a bot works an interaction (default 20; exponential)
  --help             this text

The store lives in a temporary directory and is removed at Ctrl-C.
`;

/** The demo's contact centre: routed e-mail and chat queues, a queue agents pull from, a drafts workbin. */
export const demoConfig: ConfigInput = {
  timeouts: { deliveringTimeout: 30, handlingTimeout: '30m', rejectCooldown: 10 },
  mediaTypes: { email: { capacity: 3 }, chat: { capacity: 2 } },
  queues: { email: { routing: 'builtin' }, chat: { routing: 'builtin' }, backlog: { routing: 'none' } },
  workbins: { drafts: { owner: 'agent' } },
  log: { level: 'warn' },
};

const subjects = {
  email: ['Where is my order?', 'Refund for order 4711', 'Change of address', 'Invoice missing', 'Damaged on arrival', 'Cancel my subscription'],
  chat: ['Quick question about delivery', 'Password reset', 'Is this in stock?', 'Opening hours?', 'Tracking number not working'],
};
const customers = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Margaret Hamilton', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth'];
const dispositions = ['Resolved', 'Resolved', 'Resolved', 'Escalated', 'Follow-up'];

export interface DemoOptions {
  port: number;
  agents: number;
  /** Interactions a second. */
  rate: number;
  handleTimeSeconds: number;
}

export interface RunningDemo {
  server: RunningServer;
  /** The temporary directory of its store, removed by stop(). */
  directory: string;
  stop(): Promise<void>;
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** An exponentially distributed wait around `meanSeconds`, at least a second. */
function exponentialMs(meanSeconds: number): number {
  return Math.max(1000, -Math.log(1 - Math.random()) * meanSeconds * 1000);
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const directory = mkdtempSync(join(tmpdir(), 'openixn-demo-'));
  const server = await startServer({
    config: demoConfig,
    port: options.port,
    store: `sqlite:${join(directory, 'openixn.db')}`,
    logger: pino({ level: 'warn', base: { service: 'openixn' } }),
  });
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };
  let stopping = false;

  const bots: AgentClient[] = [];
  for (let index = 1; index <= options.agents; index++) {
    const agentId = `bot-${index}`;
    const bot = new AgentClient({ urls: [server.url], clientName: `demo-${agentId}` });
    bot.on('EventInvite', ({ ticketId, interaction }) => {
      // A person takes a moment to read an invite; a bot too.
      later(500 + Math.random() * 2500, () => {
        bot.accept({ ticketId, interactionId: interaction.interactionId }).then(() => {
          later(exponentialMs(options.handleTimeSeconds), () => {
            void bot.changeProperties({ interactionId: interaction.interactionId, changedProperties: { disposition: pick(dispositions) } })
              .then(() => bot.stopProcessing({ interactionId: interaction.interactionId, reason: 'Done' }))
              .catch(() => undefined);
          });
        }, () => undefined);
      });
    });
    await bot.connect();
    await bot.agentLogin({ agentId, placeId: `desk-${index}`, media: { email: 'ready', chat: 'ready' } });
    bots.push(bot);
  }

  const media = new MediaServerClient({ urls: [server.url], clientName: 'demo-gateway' });
  await media.connect();
  let submitted = 0;
  const submit = () => {
    if (stopping) return;
    const mediaType = Math.random() < 0.5 ? 'email' : 'chat';
    const customer = pick(customers);
    submitted++;
    void media.submit({
      queue: mediaType,
      mediaType,
      priority: Math.random() < 0.1 ? 1 : 0,
      externalId: `demo-${Date.now()}-${submitted}`,
      userData: { subject: pick(subjects[mediaType]), customer, email: `${customer.split(' ')[0]!.toLowerCase()}@example.com` },
    }).catch(() => undefined);
    later(exponentialMs(1 / options.rate) , submit);
  };
  submit();

  return {
    server,
    directory,
    async stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([media.close(), ...bots.map((bot) => bot.close())]);
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '7120' },
      agents: { type: 'string', default: '6' },
      rate: { type: 'string', default: '0.5' },
      'handle-time': { type: 'string', default: '20' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(demoUsage);
    return;
  }
  const number = (name: string, value: string, integer: boolean) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < (integer ? 0 : 0.001) || (integer && !Number.isInteger(parsed))) throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a positive number'}, not "${value}".`);
    return parsed;
  };
  const demo = await startDemo({
    port: number('port', values.port, true),
    agents: number('agents', values.agents, true),
    rate: number('rate', values.rate, false),
    handleTimeSeconds: number('handle-time', values['handle-time'], false),
  });
  const base = `http://127.0.0.1:${demo.server.port}`;
  process.stdout.write(`openixn demo is running: ${values.agents} bot agents, ${values.rate} interactions a second.

  Dashboard:      ${base}/
  Agent desktop:  ${base}/agent   (sign in as any agent id and place, e.g. you / desk-you, then press Ready)

Its store is in ${demo.directory}; Ctrl-C stops the demo and removes it.
`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping the demo…\n');
    demo.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
