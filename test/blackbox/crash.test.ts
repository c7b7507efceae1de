// SPEC section 6 under kill -9: a child server process is killed with SIGKILL at random moments
// while media servers submit, a router routes, and agents accept, reject, pull, file, stop,
// transfer and conference interactions (test/support/durability-load.ts). After each restart on
// the same store a fresh set of clients audits what every client was told: each acknowledged
// interaction exists exactly once where its last acknowledged move put it (or has stopped), none
// is both owned and waiting, the invites out at the kill were revoked and their interactions
// returned (an owner's transfer or conference invite revoked, the owner keeping the interaction),
// a repeated externalId returns the same id, and the reporting log is gap-free, ends with the
// recovery events and agrees with every interaction's state.
//
// CI runs 20 cycles per store (the vitest projects run this file on SQLite and on PostgreSQL);
// `npm run soak` runs more (OPENIXN_CRASH_CYCLES), in rounds of 20 on a fresh store each, so that
// the audit's replay of the whole log stays short. OPENIXN_CRASH_SEED replays a failing run.

import { describe, expect, it } from 'vitest';
import { durabilityConfig, runKillCycles } from '../support/durability-load.js';
import { useChildServers } from '../support/server.js';
import { testStoreKind } from '../support/test-store.js';

const cycles = Number(process.env.OPENIXN_CRASH_CYCLES ?? 20);
const cyclesPerRound = 20;
const rounds = Math.ceil(cycles / cyclesPerRound);
const baseSeed = Number(process.env.OPENIXN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe(`kill -9 under load on ${testStoreKind()}`, () => {
  const children = useChildServers();

  for (let round = 0; round < rounds; round++) {
    const roundCycles = Math.min(cyclesPerRound, cycles - round * cyclesPerRound);
    const seed = baseSeed + round;
    it(`loses nothing acknowledged over ${roundCycles} crash-and-restart cycles${rounds > 1 ? ` (round ${round + 1} of ${rounds}, seed ${seed})` : ''}`, async () => {
      const { world, kills } = await runKillCycles(() => children.start(durabilityConfig), roundCycles, seed);
      process.stderr.write(`[crash ${testStoreKind()}] seed ${seed}: ${kills} kills, ${world.known.size} interactions, ${world.acknowledged} acknowledged moves, ${world.peersInvited} transfer and conference invites, ${world.peersAccepted.Transfer} transfers and ${world.peersAccepted.Conference} conferences accepted, ${world.snapshotsTaken} locked snapshots\n`);
      const stops = [...world.known.values()].filter((known) => known.stopped).length;
      // The run did what it is for: interactions in every cycle, some of them stopped.
      expect(world.known.size, `seed ${seed}`).toBeGreaterThan(roundCycles * 10);
      expect(stops, `seed ${seed}`).toBeGreaterThan(0);
      // Agents' chats are kept full by the router, so most invites meet AgentNotAvailable; a full round still makes some.
      if (roundCycles >= 10) expect(world.peersInvited, `seed ${seed}: transfer and conference invites`).toBeGreaterThan(0);
      expect(world.snapshotsTaken, `seed ${seed}: locked snapshots`).toBeGreaterThan(0);
    }, 30_000 + roundCycles * 8_000);
  }
});
