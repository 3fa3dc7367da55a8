/**
 * The auditor on a real database and a private Redis: the services' own schemas (migrations and seed), a history
 * written through inventaire's real repository (so the StockAjuste ledger is the real one, part of it archived and
 * purged from the outbox), checkouts and sagas of both styles, the archive and the projection. Every invariant holds;
 * then one thing at a time is broken through SQL or Redis, and exactly that invariant names the offending id. The
 * CLI (exit codes 0, 1, 2) and the process (/audit, gauges) are checked on the same data.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createPool, type Pool } from '../../src/platform/db.ts';
import { prepareSchema } from '../../src/platform/schema.ts';
import { busMigrations } from '../../src/platform/bus/tables.ts';
import { createOutbox, startHttpService } from '../../src/platform/service.ts';
import type { Running } from '../../src/platform/runtime.ts';
import { PgInventaireRepository } from '../../src/inventaire/infrastructure/inventaire-repository.ts';
import { runAudit, type AuditReport } from '../../src/auditor/application/audit.ts';
import type { AuditSettings, InvariantName } from '../../src/auditor/domain/invariants.ts';
import { PgSnapshotReader } from '../../src/auditor/infrastructure/pg-snapshot.ts';
import { RedisBusReader } from '../../src/auditor/infrastructure/redis-bus.ts';
import { auditorService, AuditorConfig } from '../../src/auditor/http/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait.ts';

const root = path.resolve(import.meta.dirname, '../..');
const P1 = '550e8400-e29b-41d4-a716-446655440001';
const P2 = '550e8400-e29b-41d4-a716-446655440002';
const M1 = '33333333-3333-3333-3333-333333333331';
const CLIENT = '11111111-1111-1111-1111-111111111111';
const CHOREO = 'aaaaaaaa-0000-4000-8000-000000000001';
const CHOREO_FAILED = 'aaaaaaaa-0000-4000-8000-000000000002';
const SAGA = 'bbbbbbbb-0000-4000-8000-000000000001';
const SAGA_FAILED = 'bbbbbbbb-0000-4000-8000-000000000002';
const ORDER1 = 'cccccccc-0000-4000-8000-000000000001';
const ORDER2 = 'cccccccc-0000-4000-8000-000000000002';
const STREAM = 'ecommerce.checkout.events';

// The checkout left running must not turn late while this file runs, however loaded the machine: a step deadline of
// an hour (the largest allowed), and the stalled-step case moves it two hours back.
const STEP_DEADLINE_MS = 3_600_000;
const settings: AuditSettings = { outboxMaxAgeMs: 30_000, pendingMaxIdleMs: 60_000, deadLetterMax: 0, graceMs: 10_000 };

const SCHEMAS: [string, string, boolean][] = [
  ['inventaire', 'src/inventaire/infrastructure/db', true],
  ['commandes', 'src/commandes/infrastructure/db', true],
  ['ecommerce', 'src/ecommerce/infrastructure/db', true],
  ['saga_orchestrator', 'src/saga-orchestrator/infrastructure/db', true],
  ['event_store', 'src/event-store/infrastructure/db', false],
];

describe('the auditor on a real database', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let pool: Pool;
  let redisServer: TestRedis;
  let redis: Redis;
  let audit: (s?: AuditSettings) => Promise<AuditReport>;

  before(async () => {
    db = await createTestDatabase('auditor');
    pool = createPool(db.url, 4, 'test-auditor');
    for (const [schema, dir, bus] of SCHEMAS)
      await prepareSchema(pool, schema, path.join(root, dir), undefined, bus ? busMigrations(schema) : []);
    redisServer = await startTestRedis();
    redis = new Redis(redisServer.url, { lazyConnect: true });
    await redis.connect();
    const reader = new PgSnapshotReader(pool, { choreoStepDeadlineMs: STEP_DEADLINE_MS });
    audit = (s = settings) => runAudit({ database: reader, bus: new RedisBusReader(redis) }, s);

    // The stock's history through inventaire's own repository: every change writes its StockAjuste.
    const inventaire = new PgInventaireRepository(pool, createOutbox('inventaire'));
    assert.equal((await inventaire.augmenter(P2, null, 5, 1_000_000)) !== null, true);
    const demande = await inventaire.creerDemande(P1, M1, 5);
    assert.equal((await inventaire.approuverDemande(demande!.id, 1_000)).kind, 'ok');
    assert.equal((await inventaire.reserver(CHOREO, null, [{ produit_id: P1, quantite: 2 }])).kind, 'creee');
    assert.equal((await inventaire.reserver(CHOREO_FAILED, null, [{ produit_id: P1, quantite: 3 }])).kind, 'creee');
    await inventaire.liberer(CHOREO_FAILED);
    assert.equal((await inventaire.reserver(SAGA, null, [{ produit_id: P2, quantite: 4 }])).kind, 'creee');
    await inventaire.liberer(SAGA_FAILED); // a compensation before any reservation: a tombstone
    const vente = 'eeeeeeee-0000-4000-8000-000000000001';
    assert.equal((await inventaire.reserver(vente, M1, [{ produit_id: P1, quantite: 1 }], 60_000)).kind, 'creee');
    await inventaire.confirmer(vente);
    // The relay published everything; the event store archived it; retention purged the oldest half of the outbox.
    await pool.query(`UPDATE inventaire.outbox SET published_at = now(), redis_id = id || '-0'`);
    await pool.query(
      `INSERT INTO event_store.events (stream, redis_id, type, version, event_id, correlation_id, payload, ts)
       SELECT stream, redis_id, type, 1, event_id, correlation_id, (fields->>'payload')::jsonb, created_at FROM inventaire.outbox ORDER BY id`,
    );
    await pool.query(`DELETE FROM inventaire.outbox WHERE id <= (SELECT min(id) + (max(id) - min(id)) / 2 FROM inventaire.outbox)`);

    // Orders, checkouts and sagas, ended a minute ago.
    await pool.query(
      `INSERT INTO commandes.commandes_en_ligne (commande_id, reference_externe, client_id, statut, total, lignes) VALUES
         ($1, $2, $5, 'creee', 179.98, '[]'), ($3, $4, $5, 'creee', 102, '[]'),
         ('cccccccc-0000-4000-8000-000000000003', $6, NULL, 'annulee', NULL, '[]')`,
      [ORDER1, CHOREO, ORDER2, SAGA, CLIENT, SAGA_FAILED],
    );
    await pool.query(
      `INSERT INTO ecommerce.checkouts (checkout_id, client_id, status, panier, panier_enregistre, adresse, created_at, last_progress_at, finished_at, commande_id) VALUES
         ($1, $3, 'succeeded', '{}', false, '{}', now() - interval '2 minutes', now() - interval '1 minute', now() - interval '1 minute', $4),
         ($2, $3, 'failed', '{}', false, '{}', now() - interval '2 minutes', now() - interval '1 minute', now() - interval '1 minute', NULL),
         ('aaaaaaaa-0000-4000-8000-000000000003', $3, 'initiated', '{}', false, '{}', now(), now(), NULL, NULL)`,
      [CHOREO, CHOREO_FAILED, CLIENT, ORDER1],
    );
    await pool.query(
      `INSERT INTO saga_orchestrator.saga_commandes (id, client_id, magasin_id, etat_actuel, est_terminee, commande_finale_id, date_fin, echeance) VALUES
         ($1, $3, $4, 'SAGA_TERMINEE', true, $5, now() - interval '1 minute', now() - interval '50 seconds'),
         ($2, $3, $4, 'SAGA_ANNULEE', true, NULL, now() - interval '1 minute', now() - interval '50 seconds')`,
      [SAGA, SAGA_FAILED, CLIENT, M1, ORDER2],
    );
    // The checkout's archived events and the projection that folded them.
    const archive = (type: string, payload: Record<string, unknown>, n: number) =>
      pool.query(
        `INSERT INTO event_store.events (stream, redis_id, type, version, event_id, correlation_id, payload, ts, archived_at)
         VALUES ($1, $2, $3, 1, gen_random_uuid(), $4, $5, now(), now() - interval '1 minute')`,
        [STREAM, `${n}-0`, type, CHOREO, JSON.stringify({ checkout_id: CHOREO, client_id: CLIENT, ...payload })],
      );
    await archive('CheckoutInitiated', { panier: { total: 179.98 } }, 1);
    await archive('OrderCreated', { commande_id: ORDER1 }, 2);
    await archive('CheckoutSucceeded', { commande_id: ORDER1 }, 3);
    await pool.query(
      `INSERT INTO event_store.client_orders (checkout_id, client_id, commande_id, status, amount, updated_ts) VALUES ($1, $2, $3, 'succeeded', 179.98, 1)`,
      [CHOREO, CLIENT, ORDER1],
    );
    await pool.query(`INSERT INTO event_store.orders_by_client (client_id, total_orders) VALUES ($1, 1)`, [CLIENT]);
  });

  after(async () => {
    redis?.disconnect();
    await redisServer?.stop();
    await pool?.end();
    await db?.drop();
  });

  const violations = (r: AuditReport) => r.invariants.filter((i) => i.status === 'violation');

  test('consistent data: every invariant holds', async () => {
    const r = await audit();
    assert.deepEqual(violations(r), []);
    assert.equal(r.ok, true);
    // The ledger really was read from both the archive and the outbox.
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM inventaire.outbox`);
    assert.ok(rows[0]!.n > 0);
  });

  const breaks: { name: string; invariant: InvariantName; offending: RegExp; breakIt: string; repair: string }[] = [
    {
      name: 'central stock lowered by hand',
      invariant: 'stock-conservation',
      offending: new RegExp(`produit ${P1} @ central: available 92, expected 93`),
      breakIt: `UPDATE inventaire.stock_central SET quantite = quantite - 1 WHERE produit_id = '${P1}'`,
      repair: `UPDATE inventaire.stock_central SET quantite = quantite + 1 WHERE produit_id = '${P1}'`,
    },
    {
      name: 'a store sale reservation forgotten',
      invariant: 'stock-conservation',
      offending: new RegExp(`produit ${P1} @ magasin ${M1}: available 24, expected 25`),
      breakIt: `UPDATE inventaire.reservations SET statut = 'liberee' WHERE reservation_id = 'eeeeeeee-0000-4000-8000-000000000001'`,
      repair: `UPDATE inventaire.reservations SET statut = 'confirmee' WHERE reservation_id = 'eeeeeeee-0000-4000-8000-000000000001'`,
    },
    {
      name: "a succeeded checkout's order cancelled",
      invariant: 'checkout-outcome',
      offending: new RegExp(`choreo ${CHOREO}: succeeded with 0 live order`),
      breakIt: `UPDATE commandes.commandes_en_ligne SET statut = 'annulee' WHERE reference_externe = '${CHOREO}'`,
      repair: `UPDATE commandes.commandes_en_ligne SET statut = 'creee' WHERE reference_externe = '${CHOREO}'`,
    },
    {
      name: "a failed saga's order live",
      invariant: 'checkout-outcome',
      offending: new RegExp(`orchestre ${SAGA_FAILED}: failed but order`),
      breakIt: `UPDATE commandes.commandes_en_ligne SET statut = 'creee', client_id = '${CLIENT}' WHERE reference_externe = '${SAGA_FAILED}'`,
      repair: `UPDATE commandes.commandes_en_ligne SET statut = 'annulee', client_id = NULL WHERE reference_externe = '${SAGA_FAILED}'`,
    },
    {
      name: 'a saga past its deadline',
      invariant: 'saga-deadline',
      offending: /orchestre bbbbbbbb-0000-4000-8000-000000000009: still running/,
      breakIt: `INSERT INTO saga_orchestrator.saga_commandes (id, client_id, magasin_id, etat_actuel, echeance)
                VALUES ('bbbbbbbb-0000-4000-8000-000000000009', '${CLIENT}', '${M1}', 'CREATION_COMMANDE', now() - interval '1 hour')`,
      repair: `DELETE FROM saga_orchestrator.saga_commandes WHERE id = 'bbbbbbbb-0000-4000-8000-000000000009'`,
    },
    {
      name: 'a choreographed step stalled past its deadline',
      invariant: 'saga-deadline',
      offending: /choreo aaaaaaaa-0000-4000-8000-000000000003: still running/,
      breakIt: `UPDATE ecommerce.checkouts SET last_progress_at = now() - interval '2 hours' WHERE checkout_id = 'aaaaaaaa-0000-4000-8000-000000000003'`,
      repair: `UPDATE ecommerce.checkouts SET last_progress_at = now() WHERE checkout_id = 'aaaaaaaa-0000-4000-8000-000000000003'`,
    },
    {
      name: 'an outbox row never published',
      invariant: 'outbox-drained',
      offending: /commandes\.outbox #\d+: unpublished for 3600 s/,
      breakIt: `INSERT INTO commandes.outbox (stream, event_id, type, correlation_id, fields, created_at)
                VALUES ('commandes.ventes.events', gen_random_uuid(), 'VenteEnregistree', 'x', '{}', now() - interval '1 hour')`,
      repair: `DELETE FROM commandes.outbox`,
    },
    {
      name: 'the projection disagrees with the archive',
      invariant: 'projection',
      offending: new RegExp(`checkout ${CHOREO}: projection differs from the archive \\(commande null ≠ ${ORDER1}\\)`),
      breakIt: `UPDATE event_store.client_orders SET commande_id = NULL WHERE checkout_id = '${CHOREO}'`,
      repair: `UPDATE event_store.client_orders SET commande_id = '${ORDER1}' WHERE checkout_id = '${CHOREO}'`,
    },
  ];

  for (const b of breaks) {
    test(`broken: ${b.name} → ${b.invariant} names it`, async () => {
      await pool.query(b.breakIt);
      try {
        const v = violations(await audit());
        assert.deepEqual(
          v.map((i) => i.name),
          [b.invariant],
          JSON.stringify(v, null, 2),
        );
        assert.ok(
          v[0]!.details.some((d) => b.offending.test(d)),
          `${b.offending} in ${JSON.stringify(v[0]!.details)}`,
        );
      } finally {
        await pool.query(b.repair);
      }
      assert.deepEqual(violations(await audit()), [], 'repaired');
    });
  }

  test('broken: a dead letter → dead-letters names the queue and its entry', async () => {
    const id = await redis.xadd(`${STREAM}.dlq`, '*', 'type', 'CheckoutInitiated', 'error', 'malformed');
    try {
      const v = violations(await audit());
      assert.deepEqual(
        v.map((i) => i.name),
        ['dead-letters'],
      );
      assert.match(v[0]!.details[0]!, new RegExp(`${STREAM.replace(/\./g, '\\.')}\\.dlq: 1 dead letter\\(s\\) \\(${id}\\)`));
    } finally {
      await redis.del(`${STREAM}.dlq`);
    }
  });

  test('broken: an entry delivered and never acknowledged → pending-entries names it', async () => {
    await redis.xgroup('CREATE', STREAM, 'test-group', '0', 'MKSTREAM');
    const id = await redis.xadd(STREAM, '*', 'type', 'CheckoutInitiated');
    await redis.xreadgroup('GROUP', 'test-group', 'dead-consumer', 'COUNT', 1, 'STREAMS', STREAM, '>');
    try {
      const strict = { ...settings, pendingMaxIdleMs: 20 };
      const v = await waitFor('the entry to be idle past 20 ms', async () => {
        const found = violations(await audit(strict));
        return found.length > 0 ? found : undefined;
      });
      assert.deepEqual(
        v.map((i) => i.name),
        ['pending-entries'],
      );
      assert.match(v[0]!.details[0]!, new RegExp(`test-group: entry ${id} pending at dead-consumer`));
    } finally {
      await redis.del(STREAM);
    }
  });

  const cli = (env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'src/auditor/cli.ts')],
        { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });

  test('npm run audit: a table and exit 0, exit 1 on a violation, exit 2 when the system cannot be read', async () => {
    const env = { DATABASE_URL: db.url, REDIS_URL: redisServer.url, CHOREO_STEP_DEADLINE_MS: String(STEP_DEADLINE_MS) };
    const ok = await cli(env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /stock-conservation\s+ok\s+\d+\s+-/);
    assert.match(ok.stdout, /audit OK/);
    await pool.query(`UPDATE inventaire.stock_central SET quantite = quantite + 2 WHERE produit_id = '${P2}'`);
    try {
      const bad = await cli(env);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stdout, new RegExp(`stock-conservation\\s+violation\\s+\\d+\\s+produit ${P2} @ central`));
      assert.match(bad.stdout, /audit FAILED/);
    } finally {
      await pool.query(`UPDATE inventaire.stock_central SET quantite = quantite - 2 WHERE produit_id = '${P2}'`);
    }
    const down = await cli({ ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    assert.equal(down.code, 2);
    assert.match(down.stderr, /audit: cannot read Redis at redis:\/\/127\.0\.0\.1:1/);
    const config = await cli({ ...env, AUDIT_GRACE_MS: 'soon' });
    assert.equal(config.code, 2);
    assert.match(config.stderr, /AUDIT_GRACE_MS/);
    const nothing = await cli({ DATABASE_URL: '', DATA_DIR: path.join(db.name, 'nowhere') });
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /no running system found .* start it with npm start, or set DATABASE_URL/);
  });

  test('the process: /audit serves the last report, the gauges count the offending ids', async () => {
    const config = loadConfig(AuditorConfig, {
      PORT: '0',
      DATABASE_URL: db.url,
      REDIS_URL: redisServer.url,
      LOG_LEVEL: 'silent',
      AUDIT_INTERVAL_MS: '100',
      CHOREO_STEP_DEADLINE_MS: String(STEP_DEADLINE_MS),
    });
    const running: Running & { app: { server: { address: () => unknown } } } = await startHttpService(auditorService(config));
    const base = `http://127.0.0.1:${(running.app.server.address() as { port: number }).port}`;
    try {
      const first = await waitFor('a first audit', async () => {
        const res = await fetch(`${base}/audit`);
        return res.status === 200 ? ((await res.json()) as AuditReport) : undefined;
      });
      assert.equal(first.ok, true);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /auditor_invariant_violations\{invariant="stock-conservation",service="auditor"\} 0/);
      assert.match(metrics, /auditor_last_run_timestamp_seconds\{service="auditor"\} \d+/);
      await pool.query(`UPDATE event_store.orders_by_client SET total_orders = 3`);
      try {
        await waitFor('the projection gauge to count the violation', async () =>
          /auditor_invariant_violations\{invariant="projection",service="auditor"\} 1\b/.test(
            await (await fetch(`${base}/metrics`)).text(),
          ),
        );
        const report = (await (await fetch(`${base}/audit`)).json()) as AuditReport;
        assert.equal(report.ok, false);
        assert.match(report.invariants.find((i) => i.name === 'projection')!.details[0]!, new RegExp(`client ${CLIENT}: total_orders 3`));
      } finally {
        await pool.query(`UPDATE event_store.orders_by_client SET total_orders = 1`);
      }
    } finally {
      await running.stop();
    }
  });
});
