#!/usr/bin/env node
// The command line: parses arguments and starts the server (server.ts) or the simulator (sim/).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startServer } from './server.js';
import { checkLogLevel, defaults, logLevels, readConfigFile, resolveSettings } from './config/config.js';
import { migrateStore } from './store/open-store.js';
import { isTransientFault } from './store/postgres/faults.js';
import { simulateCommand } from './sim/cli.js';
import { demoCommand } from './demo/demo.js';

/** The store URL from the environment, for deployments that keep credentials out of files and flags. */
const storeEnvironmentVariable = 'OPENIXN_STORE';

const usage = `openixn: an open-source interaction server for contact centres

Usage:
  openixn serve [--config FILE] [--port N] [--host H] [--store URL] [--log-level LEVEL] [--insecure]
  openixn demo [--port N] [--agents N] [--rate R] [--handle-time T]
  openixn --version
  openixn migrate [--config FILE] [--store URL]
  openixn simulate --agents N --arrival-rate R --handle-time T [--config FILE] [--duration SECONDS] [--json] ...

Commands:
  serve              run the server (it migrates the store first)
  migrate            create or migrate the store, then exit (for a deploy step that runs before the servers)
  demo               a live contact centre to watch and join: a server, media servers and bot agents
                     (openixn demo --help)
  simulate           run the core and the built-in router on virtual time: service level, speed of
                     answer, occupancy and abandonment (openixn simulate --help)

Options of serve:
  --config FILE      YAML configuration (queues, workbins, media types, timeouts)
  --port N           HTTP and WebSocket port (default ${defaults.port})
  --host H           address to listen on (default ${defaults.host})
  --store URL        where interactions are kept (default ${defaults.storeUrl}):
                     sqlite:PATH, or postgres://USER@HOST:PORT/DATABASE?schema=NAME (schema default openixn);
                     without the flag, the environment variable ${storeEnvironmentVariable}, then the config file
  --log-level LEVEL  ${logLevels.join(', ')} (default ${defaults.logLevel}, or the config's log.level)
  --insecure         listen on a non-loopback address although no auth section is configured
  --help             this text
  --version          the version of openixn

Without an auth section in the config every client is trusted, so the server listens on
loopback only unless --insecure is given; SECURITY.md says how to configure tokens and keys.

The WebSocket endpoint is ws://HOST:PORT/ws; GET /healthz answers 200 when healthy, and GET
/readyz 200 only on the primary. Several servers on one PostgreSQL schema form one highly
available server: one primary, the others standing by (docs/deployment.md).
`;

/** The store URL: --store, then OPENIXN_STORE, then the config file (resolved by the settings), then the default. */
function storeOverride(flag: string | undefined): string | undefined {
  const fromEnvironment = process.env[storeEnvironmentVariable];
  return flag ?? (fromEnvironment === undefined || fromEnvironment === '' ? undefined : fromEnvironment);
}

/** SPEC section 8: a stop commits what is in flight and exits within 10 s. */
const shutdownDeadlineMs = 10_000;

/** The version in package.json, next to dist/ where this file runs. */
function version(): string {
  const packageFile = resolve(dirname(fileURLToPath(import.meta.url)), '../package.json');
  return (JSON.parse(readFileSync(packageFile, 'utf8')) as { version: string }).version;
}

const options = {
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  store: { type: 'string' },
  'log-level': { type: 'string' },
  insecure: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** The arguments, or a sentence saying what is wrong with them (not the parser's own text). */
function parseArguments(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'(-[^']*)'/.exec((error as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new Error(`unknown option ${option}; try: openixn --help`, { cause: error });
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new Error(`option ${option.split(' ')[0]} needs a value; try: openixn --help`, { cause: error });
    throw error;
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'simulate') return simulateCommand(argv.slice(1));
  if (argv[0] === 'demo') return demoCommand(argv.slice(1));
  const { values, positionals } = parseArguments(argv);
  if (values.version) {
    process.stdout.write(`openixn ${version()}\n`);
    return;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(usage);
    return;
  }
  const command = positionals[0];
  if ((command !== 'serve' && command !== 'migrate') || positionals.length > 1) {
    throw new Error(`Unknown command "${positionals.join(' ')}"; try: openixn --help`);
  }
  const store = storeOverride(values.store);
  const config = values.config === undefined ? undefined : readConfigFile(values.config);
  const baseDirectory = values.config === undefined ? {} : { baseDirectory: dirname(resolve(values.config)) };
  if (command === 'migrate') {
    const settings = resolveSettings(config, { ...baseDirectory, ...(store === undefined ? {} : { storeUrl: store }) });
    const { version, where } = await migrateStore(settings.storeUrl);
    process.stdout.write(`openixn: the store (${where}) is at schema version ${version}\n`);
    return;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(`--port must be a port number, not "${values.port}".`);
  }
  const level = values['log-level'] !== undefined ? checkLogLevel(values['log-level'], '--log-level') : (config?.log?.level ?? defaults.logLevel);
  const logger = pino({ level, base: { service: 'openixn' } });
  let stopping = false;
  // After a demotion the same port again, also when the first start picked a free one (--port 0).
  const start = (boundPort?: number) => startServer({
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    ...(boundPort !== undefined ? { port: boundPort } : port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(store !== undefined ? { store } : {}),
    ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
    insecure: values.insecure === true,
    logger,
    // Listening at once: a standby answers /healthz and points clients at the primary while it waits.
    waitForPrimacy: false,
    onFatal: () => process.exit(1),
    // A primary that lost the store's lease has stopped; this process stands by again in its place.
    onDemoted: () => {
      if (!stopping) void standByAgain(server.port, 1);
    },
  });
  /**
   * The lease is often lost because the database was out of reach, and may still be: opening the
   * store again is retried while the fault is a connection's, once a second.
   */
  const standByAgain = async (boundPort: number, attempt: number): Promise<void> => {
    try {
      server = await start(boundPort);
    } catch (error) {
      if (stopping) return;
      if (!isTransientFault((error as Error).cause ?? error)) {
        logger.fatal({ err: error }, 'could not stand by again after losing the lease');
        process.exit(1);
      }
      logger.warn({ err: error, attempt }, 'could not open the store to stand by again; retrying in a second');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return standByAgain(boundPort, attempt + 1);
    }
  };
  let server = await start();
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stop requested');
    setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, shutdownDeadlineMs).unref();
    server.close().then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`openixn: ${(error as Error).message}\n`);
  process.exit(1);
});
/**
 * postgres.js can leave a promise of its own unobserved when a connection is cut while it tears a
 * pool down (a connection's terminate inside end()'s timer): seen when a server's connections are
 * killed again and again as it loses its lease. Such a rejection is about a connection already
 * gone, and the store's own paths have handled the fault; it must not kill the process. Anything
 * else unhandled is a bug, and the server stops as Node would.
 */
process.on('unhandledRejection', (reason) => {
  if (isTransientFault(reason)) {
    process.stderr.write(`openixn: ignored a PostgreSQL connection fault nobody awaited: ${(reason as Error).message}\n`);
    return;
  }
  throw reason;
});
