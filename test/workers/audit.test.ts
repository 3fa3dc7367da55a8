/**
 * audit worker as real processes (two replicas of main.ts in one group) on every stream: one hash chain, each
 * event once, one "consumed" log line per event; the verify command accepts the chain and finds tampering.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { SEED } from '../../src/contracts/common.ts';
import { STREAMS, newEvent, type EventEnvelope } from '../../src/contracts/events.ts';
import { verifyAuditLog } from '../../src/workers/audit/application/verify-log.ts';
import { createPool, type Pool } from '../../src/platform/db.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { freePort } from '../support/ports.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { checkoutEvent, newCheckout, publish, redisClient, republish, waitFor } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const root = path.resolve(import.meta.dirname, '../..');
let db: TestDatabase;
let redis: TestRedis;
let r: ReturnType<typeof redisClient>;
let sql: Pool;
const replicas: { child: ChildProcess; output: () => string }[] = [];

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string }>((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.on('exit', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function startReplica(): Promise<{ child: ChildProcess; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/workers/audit/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      METRICS_PORT: String(port),
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: 'info',
      API_KEY: 'k',
      DB_POOL_MAX: '3',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  await waitFor(
    'audit replica ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`audit replica exited:\n${output}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200 || undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
    100,
  );
  return { child, output: () => output };
}

before(async () => {
  [db, redis] = await Promise.all([createTestDatabase('w_audit'), startTestRedis()]);
  r = redisClient(redis.url);
  // createPool's: its clients' errors are handled, so the database's forced drop at the end cannot crash this file.
  sql = createPool(db.url, 2, 'test-audit-sql');
  replicas.push(...(await Promise.all([startReplica(), startReplica()])));
});

after(async () => {
  await Promise.all(
    replicas.map(({ child }) =>
      child.exitCode === null
        ? new Promise((res) => {
            child.once('exit', res);
            child.kill('SIGTERM');
          })
        : Promise.resolve(),
    ),
  );
  r?.disconnect();
  await sql?.end();
  await redis?.stop();
  await db?.drop();
});

function otherStreamEvents(i: number): EventEnvelope[] {
  const produit = SEED.produits.clavier;
  return [
    newEvent(
      STREAMS.catalogue,
      'ProduitAjoute',
      { emitted_at: 1, produit_id: produit, nom: `Produit ${i}`, categorie: null, prix: 9.99 + i, actif: true },
      { correlationId: produit },
    ),
    newEvent(
      STREAMS.inventaire,
      'StockAjuste',
      { emitted_at: 1, produit_id: produit, magasin_id: null, delta: -1, quantite: 10 + i, raison: 'reservation' },
      { correlationId: produit },
    ),
    newEvent(
      STREAMS.commandes,
      'VenteEnregistree',
      {
        emitted_at: 1,
        vente_id: randomUUID(),
        magasin_id: SEED.magasins.central,
        produit_id: produit,
        quantite: 1,
        total: 89.99,
        client_id: null,
      },
      { correlationId: produit },
    ),
  ];
}

const published: EventEnvelope[] = [];

test('two replicas on every stream keep one valid chain with each event once, and log "consumed" per event', async () => {
  const fields: Record<string, string>[] = [];
  for (let i = 0; i < 60; i++) {
    const c = newCheckout();
    const batch = [checkoutEvent('CheckoutInitiated', c), checkoutEvent('StockReserved', c), ...otherStreamEvents(i)];
    for (const e of batch) {
      published.push(e);
      fields.push(await publish(r, e));
    }
  }
  // Duplicates (a relay re-publishing after Redis lost data): same event_id, new entry id.
  for (const f of fields.slice(0, 10)) await republish(r, STREAMS.checkout, f);

  await waitFor(
    'every event in the audit log',
    async () => {
      const { rows } = await sql
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM worker_audit.audit_log`)
        .catch(() => ({ rows: [{ n: 0 }] }));
      return rows[0]!.n >= published.length || undefined;
    },
    30_000,
    100,
  );
  // Until both groups' pending lists are empty the duplicates may still be in flight.
  await waitFor(
    'all entries acknowledged',
    async () => {
      for (const stream of Object.values(STREAMS)) {
        const [pending] = (await r.xpending(stream, 'checkout-audit')) as [number];
        const info = (await r.xinfo('GROUPS', stream)) as unknown[][];
        const lag = Number(info[0]?.[(info[0] as string[]).indexOf('lag') + 1] ?? 0);
        if (pending !== 0 || lag !== 0) return undefined;
      }
      return true;
    },
    20_000,
    100,
  );

  const { rows } = await sql.query<{ event_id: string; stream: string; n: number }>(
    `SELECT event_id::text, stream, count(*) OVER (PARTITION BY event_id)::int AS n FROM worker_audit.audit_log`,
  );
  assert.equal(rows.length, published.length);
  assert.deepEqual(new Set(rows.map((x) => x.event_id)), new Set(published.map((e) => e.event_id)));
  assert.deepEqual([...new Set(rows.map((x) => x.stream))].sort(), [...new Set(published.map((e) => e.stream))].sort());
  // Its group reads every stream of the contracts, those without entries yet included.
  for (const stream of Object.values(STREAMS)) {
    const groups = (await r.xinfo('GROUPS', stream)) as string[][];
    assert.ok(
      groups.some((g) => g[g.indexOf('name') + 1] === 'checkout-audit'),
      stream,
    );
  }

  assert.deepEqual(await verifyAuditLog(sql), {
    ok: true,
    entries: published.length,
    lastHash: (await sql.query(`SELECT hash FROM worker_audit.audit_log ORDER BY seq DESC LIMIT 1`)).rows[0].hash,
  });

  const lines = replicas.flatMap(({ output }) =>
    output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
  const consumed = lines.filter((l) => l.msg === 'consumed');
  assert.equal(consumed.length, published.length, 'one "consumed" line per event, none for duplicates');
  const byId = new Map(consumed.map((l) => [l.event_id, l]));
  for (const e of published) {
    const line = byId.get(e.event_id);
    assert.ok(line, `a consumed line for ${e.type} ${e.event_id}`);
    assert.equal(line.type, e.type);
    assert.equal(line.correlation_id, e.correlation_id);
    assert.equal(line.stream, e.stream);
    if (e.stream === STREAMS.checkout) assert.equal(line.checkout_id, (e.payload as { checkout_id: string }).checkout_id);
  }
  const perReplica = replicas.map(
    ({ output }) =>
      output()
        .split('\n')
        .filter((l) => l.includes('"msg":"consumed"')).length,
  );
  assert.ok(
    perReplica.every((n) => n > 0),
    `both replicas appended (${perReplica.join(' + ')})`,
  );
});

test('the log is append-only; the verify command accepts it, then finds a tampered entry', async () => {
  await assert.rejects(
    sql.query(`UPDATE worker_audit.audit_log SET type = 'x' WHERE seq = (SELECT min(seq) FROM worker_audit.audit_log)`),
    /append-only/,
  );
  await assert.rejects(sql.query(`DELETE FROM worker_audit.audit_log`), /append-only/);

  const ok = await run(['src/workers/audit/verify.ts'], { DATABASE_URL: db.url });
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout.trim(), `audit log OK: ${published.length} entries`);

  // Someone with owner rights bypasses the guard and edits one payload.
  const { rows } = await sql.query<{ seq: number }>(`SELECT seq::int FROM worker_audit.audit_log ORDER BY seq OFFSET 17 LIMIT 1`);
  const seq = rows[0]!.seq;
  await sql.query(`ALTER TABLE worker_audit.audit_log DISABLE TRIGGER audit_log_append_only`);
  await sql.query(`UPDATE worker_audit.audit_log SET payload = jsonb_set(payload, '{emitted_at}', '0') WHERE seq = $1`, [seq]);
  await sql.query(`ALTER TABLE worker_audit.audit_log ENABLE TRIGGER audit_log_append_only`);

  const check = await verifyAuditLog(sql);
  assert.deepEqual(check, { ok: false, entries: 17, seq, reason: 'hash does not match the entry' });
  const broken = await run(['src/workers/audit/verify.ts'], { DATABASE_URL: db.url });
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, new RegExp(`audit log BROKEN at seq ${seq}: hash does not match the entry`));
});
