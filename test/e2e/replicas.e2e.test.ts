/**
 * Issue 10, "Scale out": the choreographed checkout with two replicas of every choreography worker (and of the
 * projection), started like `npm start -- --replicas …` (here through REPLICAS). Each succeeded checkout has exactly
 * one order and takes its stock once, a compensated one gives it back exactly, and both replicas of each group are
 * registered consumers of it, under the names the bus gives them (`<worker>-<host>-<pid>`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startSystem, type TestSystem } from '../support/system.ts';
import { client, CLIENT, PRODUIT } from '../support/choreo.ts';
import { reservePorts } from '../support/ports.ts';
import { tool } from '../support/tools.ts';
import { STREAMS } from '../../src/contracts/events.ts';
import { SECRET_HEADER } from '../../src/launcher/control.ts';
import { PROCESSES } from '../../src/launcher/processes.ts';
import { replicaPortEnv } from '../../src/launcher/replicas.ts';

/** Worker process → its consumer group on the checkout stream. */
const GROUPS: Record<string, string> = {
  'stock-reservation': 'choreo-reservation',
  'order-creation': 'choreo-order',
  'stock-compensation': 'choreo-compensation',
  notification: 'checkout-notification',
  audit: 'checkout-audit',
  'cqrs-projection': 'checkout-cqrs',
};
const WORKERS = Object.keys(GROUPS);

let system: TestSystem;
let api: ReturnType<typeof client>;
let releasePorts: () => void = () => undefined;
let replicaPorts: Record<string, string> = {};
const prometheus = await tool('prometheus', 'sudo apt-get install --no-install-recommends prometheus');

describe('choreographed checkout with two replicas of every worker', { timeout: 600_000 }, () => {
  before(async () => {
    // The second replicas' ports: free ones, like every other port of a test system (never the defaults 92xx).
    const reserved = await reservePorts(WORKERS.length);
    releasePorts = reserved.release;
    replicaPorts = Object.fromEntries(
      WORKERS.map((w, i) => [replicaPortEnv(PROCESSES.find((p) => p.name === w)!.port.env, 2), String(reserved.ports[i])]),
    );
    system = await startSystem({
      env: { REPLICAS: WORKERS.map((w) => `${w}=2`).join(','), ...replicaPorts, CHOREO_STEP_DEADLINE_MS: '60000' },
    });
    api = client(system);
  });
  after(async () => {
    await system?.stop();
    releasePorts();
  });

  test('the status lists each replica as a process of its own', async () => {
    const status = await system.command('status');
    assert.equal(status.code, 0, status.stderr);
    for (const w of WORKERS) {
      for (const i of [1, 2])
        assert.match(status.stdout, new RegExp(`^${w}-${i}\\s+\\d+\\s+up\\s`, 'm'), `${w}-${i} in:\n${status.stdout}`);
      assert.doesNotMatch(status.stdout, new RegExp(`^${w}\\s`, 'm'));
      assert.notEqual(await system.pid(`${w}-1`), await system.pid(`${w}-2`));
    }
    // The control API (what npm run status reads) names the worker each replica replicates.
    const control = JSON.parse(await readFile(path.join(system.dataDir, 'supervisor.json'), 'utf8')) as {
      controlPort: number;
      secret: string;
    };
    const res = await fetch(`http://127.0.0.1:${control.controlPort}/status`, { headers: { [SECRET_HEADER]: control.secret } });
    const processes = ((await res.json()) as { processes: { name: string; replicaOf?: string }[] }).processes;
    for (const w of WORKERS)
      assert.deepEqual(
        processes.filter((p) => p.replicaOf === w).map((p) => p.name),
        [`${w}-1`, `${w}-2`],
      );
    assert.ok(processes.filter((p) => p.name === 'inventaire').every((p) => p.replicaOf === undefined));
  });

  test('each replica is a Prometheus target of its own', { skip: prometheus.skip }, async () => {
    const file = path.join(system.dataDir, 'prometheus', 'config', 'targets', 'lab7-workers.json');
    const groups = JSON.parse(await readFile(file, 'utf8')) as { targets: string[]; labels: Record<string, string> }[];
    for (const w of WORKERS) {
      const mine = groups.filter((g) => g.labels.__service === w);
      assert.deepEqual(
        mine.map((g) => g.labels.__process),
        [`${w}-1`, `${w}-2`],
        w,
      );
      assert.deepEqual(
        mine.map((g) => g.targets[0]),
        [1, 2].map(
          (i) => `127.0.0.1:${i === 1 ? system.ports[w] : replicaPorts[replicaPortEnv(PROCESSES.find((p) => p.name === w)!.port.env, 2)]}`,
        ),
      );
    }
  });

  test('successful checkouts in parallel: each succeeded with exactly one order, stock taken exactly', async () => {
    const before = await api.stock(PRODUIT);
    // Several at once, so that both replicas of a group have entries to share.
    const accepted = await Promise.all(Array.from({ length: 6 }, () => api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }])));
    for (const res of accepted) assert.equal(res.status, 202, JSON.stringify(res.body));
    const states = await Promise.all(accepted.map((res) => api.settle(res.body.checkout_id)));
    for (const state of states) {
      assert.equal(state.status, 'succeeded', JSON.stringify(state).slice(0, 2000));
      const types = state.events.map((e: { type: string }) => e.type);
      assert.equal(types.filter((t: string) => t === 'OrderCreated').length, 1, types.join(','));
      assert.equal(types.filter((t: string) => t === 'StockReserved').length, 1, types.join(','));
    }
    const history = await api.call('GET', `/ecommerce/api/commandes/clients/${CLIENT}/historique/`);
    for (const res of accepted) {
      const id = res.body.checkout_id;
      assert.equal(
        history.body.commandes.filter((c: { checkout_id: string }) => c.checkout_id === id).length,
        1,
        `exactly one order for ${id}`,
      );
      const order = await api.call('GET', `/api/commandes/api/v1/commandes-en-ligne/${id}/`);
      assert.equal(order.status, 200, JSON.stringify(order.body));
    }
    assert.equal(await api.stock(PRODUIT), before - accepted.length, 'stock taken once per checkout');
    await api.until('the projection has every order', async () => {
      const p = await api.eventStore(`/api/event-store/cqrs/orders-by-client/${CLIENT}`);
      return (
        p.status === 200 &&
        accepted.every((r) =>
          p.body.orders.some(
            (o: { checkout_id: string; status: string }) => o.checkout_id === r.body.checkout_id && o.status === 'succeeded',
          ),
        )
      );
    });
  });

  test("both replicas of each group are registered consumers of it, under the bus's names", async () => {
    // Redis 7.0 registers a consumer when XREADGROUP first delivers it an entry, not when it starts blocking: check
    // out until every replica has had one (a blocked reader is woken first come, first served, so it comes quickly).
    const redis = new Redis(system.redisUrl);
    const expected = new Map<string, string[]>();
    for (const w of WORKERS)
      expected.set(w, await Promise.all([1, 2].map(async (i) => `${w}-${hostname()}-${await system.pid(`${w}-${i}`)}`)));
    const missing = async () => {
      const out: string[] = [];
      for (const w of WORKERS) {
        const consumers = (await redis.xinfo('CONSUMERS', STREAMS.checkout, GROUPS[w]!)) as unknown[][];
        const names = consumers.map((c) => String(c[c.indexOf('name') + 1]));
        out.push(
          ...expected
            .get(w)!
            .filter((e) => !names.includes(e))
            .map((e) => `${GROUPS[w]}: ${e}`),
        );
      }
      return out;
    };
    try {
      let left = await missing();
      for (let n = 0; left.length > 0 && n < 30; n++) {
        const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
        assert.equal((await api.settle(res.body.checkout_id)).status, 'succeeded');
        left = await missing();
      }
      assert.deepEqual(left, [], 'consumers never registered after 30 checkouts');
      // npm run status counts them per group.
      const status = await system.command('status');
      for (const w of WORKERS)
        assert.match(status.stdout, new RegExp(`^${STREAMS.checkout.replace(/\./g, '\\.')}\\s+${GROUPS[w]}\\s+2\\s`, 'm'), status.stdout);
    } finally {
      redis.disconnect();
    }
  });

  test('commandes stopped: failed with OrderCreationFailed then StockReleased, stock restored exactly', async () => {
    const before = await api.stock(PRODUIT);
    const stop = await system.command('service', 'stop', 'commandes');
    assert.equal(stop.code, 0, stop.stderr);
    try {
      const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 2 }]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const state = await api.settle(res.body.checkout_id, 120_000);
      assert.equal(state.status, 'failed', JSON.stringify(state).slice(0, 2000));
      assert.equal(state.reason, 'OrderCreationFailed');
      const types = state.events.map((e: { type: string }) => e.type);
      assert.ok(types.indexOf('OrderCreationFailed') < types.indexOf('StockReleased'), types.join(','));
      assert.equal(types.filter((t: string) => t === 'StockReleased').length, 1, types.join(','));
      assert.equal(state.stock_released, true);
      assert.equal(await api.stock(PRODUIT), before, 'stock given back exactly once');
    } finally {
      await system.command('service', 'start', 'commandes');
    }
    await api.until('commandes back', async () => (await api.call('GET', '/api/commandes/api/v1/magasins/')).status === 200);
  });

  test('one replica stopped: its group goes on with the other', async () => {
    const stop = await system.command('service', 'stop', 'order-creation-1');
    assert.equal(stop.code, 0, stop.stderr);
    try {
      const before = await api.stock(PRODUIT);
      const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
      const state = await api.settle(res.body.checkout_id);
      assert.equal(state.status, 'succeeded', JSON.stringify(state).slice(0, 2000));
      assert.equal(await api.stock(PRODUIT), before - 1);
    } finally {
      const start = await system.command('service', 'start', 'order-creation-1');
      assert.equal(start.code, 0, start.stderr);
    }
  });
});
