// High availability of the database under highly available servers: two `openixn serve` nodes on
// a PostgreSQL cluster of the test's own (never the shared 127.0.0.1:5432), under the mixed load
// and audit of the crash harness (test/support/durability-load.ts).
// - The cluster restarted (immediate: as a crash) mid-load, three times: whichever node serves
//   afterwards has everything acknowledged.
// - A primary with a synchronous streaming replica, the store URL naming both hosts with
//   target_session_attrs=read-write: the primary is stopped mid-load and the replica promoted;
//   the nodes follow it, and nothing acknowledged is lost.
// Both need PostgreSQL's server binaries and root (to run them as the postgres user); without
// them the tests skip, saying why.

import { describe, expect, it } from 'vitest';
import { durabilityConfig, runFailureCycles, World } from '../support/durability-load.js';
import { LocalCluster, unavailable } from '../support/pg-cluster.js';
import { useChildServers, type ChildServer } from '../support/server.js';
import { testStoreKind, waitUntil } from '../support/test-store.js';

const config = { ...durabilityConfig, highAvailability: { lease: 2 } };
const seed = Number(process.env.OPENIXN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const cannotMakeClusters = testStoreKind() === 'postgres' ? unavailable() : null;
if (cannotMakeClusters !== null) process.stderr.write(`[database-failover] skipped: ${cannotMakeClusters}\n`);

async function ready(node: ChildServer): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${node.port}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  await response?.body?.cancel();
  return response?.status === 200;
}

describe.runIf(testStoreKind() === 'postgres')('highly available servers through database failures', () => {
  const children = useChildServers();

  /** Two nodes on the store URL, the first the primary; and the cycle hooks that find and stop them. */
  async function twoNodes(storeUrl: (node: number) => string, fail: () => Promise<void>) {
    const nodes: ChildServer[] = [];
    nodes.push(await children.start(config, 0, { storeUrl: storeUrl(0), configName: 'n0.yaml' }));
    nodes.push(await children.start(config, 0, { storeUrl: storeUrl(1), configName: 'n1.yaml', waitFor: 'listening' }));
    return {
      nodes,
      async serving() {
        // Serving steadily: ready for a whole lease period, through the renewals that follow an
        // outage (a primary whose renewal is late refuses requests for a moment).
        let serving: ChildServer[] = [];
        let steadySince = Number.POSITIVE_INFINITY;
        await waitUntil(async () => {
          const answers = await Promise.all(nodes.map((node) => ready(node)));
          const now = nodes.filter((_, index) => answers[index]);
          if (now.length !== 1 || now[0] !== serving[0]) steadySince = Date.now();
          serving = now;
          return serving.length === 1 && Date.now() - steadySince >= 2500;
        }, 'a node serves steadily', 60_000);
        return serving[0]!.url;
      },
      fail,
      async finish() {
        for (const node of nodes) node.process.kill('SIGTERM');
        for (const node of nodes) expect(await node.exited, `seed ${seed}: a clean stop`).toEqual({ code: 0, signal: null });
      },
    };
  }

  it.skipIf(cannotMakeClusters !== null)('a PostgreSQL restart mid-load, three times: nothing acknowledged is lost', async () => {
    const cluster = await LocalCluster.primary();
    try {
      const restarts = 3;
      const failures = await twoNodes((node) => `${cluster.url('test')}?application_name=openixn-n${node}`, () => cluster.restart('immediate'));
      const world = new World();
      world.databaseFaults = true;
      const result = await runFailureCycles(failures, restarts, seed, world);
      process.stderr.write(`[database-failover] seed ${seed}: ${restarts} restarts, ${result.world.known.size} interactions, ${result.world.acknowledged} acknowledged moves\n`);
      expect(result.world.known.size, `seed ${seed}`).toBeGreaterThan(restarts * 10);
    } finally {
      await cluster.dispose();
    }
  }, 180_000);

  it.skipIf(cannotMakeClusters !== null)('a synchronous replica promoted while the primary is stopped mid-load: the nodes follow it, nothing acknowledged is lost', async () => {
    const primary = await LocalCluster.primary();
    let replica: LocalCluster | null = null;
    try {
      replica = await LocalCluster.replicaOf(primary, 'openixn_replica');
      await waitUntil(async () => (await primary.replicationStates()).includes('sync'), 'the replica streams synchronously', 30_000);
      const hosts = `127.0.0.1:${primary.port},127.0.0.1:${replica.port}`;
      const promoted = replica;
      const failures = await twoNodes((node) => `postgres://postgres@${hosts}/test?target_session_attrs=read-write&application_name=openixn-n${node}`, async () => {
        await primary.stop('immediate');
        await promoted.promote();
      });
      const world = new World();
      world.databaseFaults = true;
      const result = await runFailureCycles(failures, 1, seed, world);
      process.stderr.write(`[database-failover] seed ${seed}: replica promoted, ${result.world.known.size} interactions, ${result.world.acknowledged} acknowledged moves\n`);
      expect(result.world.known.size, `seed ${seed}`).toBeGreaterThan(10);
      expect(await promoted.isInRecovery()).toBe(false);
    } finally {
      await replica?.dispose();
      await primary.dispose();
    }
  }, 180_000);
});
