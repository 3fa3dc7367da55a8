/** The orchestrated POST under an Idempotency-Key, on real PostgreSQL, participants played by a fake gateway. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SEED } from '../../src/contracts/common.ts';
import { waitFor } from '../support/wait.ts';
import { CLIENT, INCONNU, P1, P2, R, body, counts, startHarness, type Harness } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());
beforeEach(() => h.gateway.reset());

const post = (payload: object, key?: string) =>
  h.app.inject({ method: 'POST', url: '/api/saga/commandes/', payload, headers: key === undefined ? {} : { 'idempotency-key': key } });

test('the same request under the same key gets the first answer again: no second saga, reservation or order', async () => {
  const key = `k-${randomUUID()}`;
  const first = await post(body([{ produit_id: P1, quantite: 1 }]), key);
  assert.equal(first.statusCode, 201, first.body);
  const before = await counts(h.pool);
  // The same body with its keys in another order is the same request.
  const again = await post({ lignes: [{ quantite: 1, produit_id: P1 }], client_id: CLIENT }, key);
  assert.equal(again.statusCode, 201);
  assert.deepEqual(again.json(), first.json());
  assert.deepEqual(await counts(h.pool), before);
  assert.equal(h.gateway.callsTo('POST', R.reserver).length, 1);
  assert.equal(h.gateway.callsTo('POST', R.commande).length, 1);
});

test('the same key with another body: 409 naming the first saga, nothing started', async () => {
  const key = `k-${randomUUID()}`;
  const first = await post(body([{ produit_id: P1, quantite: 1 }]), key);
  assert.equal(first.statusCode, 201, first.body);
  const before = await counts(h.pool);
  const other = await post(body([{ produit_id: P2, quantite: 1 }]), key);
  assert.equal(other.statusCode, 409);
  assert.deepEqual(other.json(), {
    error: 'Idempotency-Key déjà utilisée pour une autre requête',
    details: { idempotency_key: key, saga_id: first.json().saga_id },
  });
  assert.deepEqual(await counts(h.pool), before);
});

test('the same request while the first still runs: 409 with its saga id and state; once it answered, its answer', async () => {
  const key = `k-${randomUUID()}`;
  h.gateway.on('POST', R.commande, () => 'hang'); // the first request spends its budget on the order, then compensates
  const first = post(body([{ produit_id: P1, quantite: 1 }]), key);
  await waitFor('the order call', () => h.gateway.callsTo('POST', R.commande).length > 0);
  const during = await post(body([{ produit_id: P1, quantite: 1 }]), key);
  assert.equal(during.statusCode, 409, during.body);
  const d = during.json();
  assert.equal(d.error, 'Requête déjà en cours de traitement');
  assert.match(d.saga_id, /^[0-9a-f-]{36}$/);
  assert.equal(d.details.saga_id, d.saga_id);
  assert.ok(['CREATION_COMMANDE', 'ECHEC_CREATION_COMMANDE', 'COMPENSATION_EN_COURS'].includes(d.etat_final), d.etat_final);
  const answered = await first;
  assert.equal(answered.statusCode, 503, answered.body);
  assert.equal(answered.json().saga_id, d.saga_id);
  const after = await post(body([{ produit_id: P1, quantite: 1 }]), key);
  assert.equal(after.statusCode, 503);
  assert.deepEqual(after.json(), answered.json());
  assert.equal(h.gateway.callsTo('POST', R.reserver).length, 1);
});

test('an answer that wrote nothing (unknown store) does not keep the key', async () => {
  const key = `k-${randomUUID()}`;
  const unknown = await post(body([{ produit_id: P1, quantite: 1 }], { magasin_id: INCONNU }), key);
  assert.equal(unknown.statusCode, 400, unknown.body);
  const fixed = await post(body([{ produit_id: P1, quantite: 1 }]), key);
  assert.equal(fixed.statusCode, 201, fixed.body);
});

test('keys are per client: the same key for two clients starts two sagas', async () => {
  const key = `k-${randomUUID()}`;
  const a = await post(body([{ produit_id: P1, quantite: 1 }]), key);
  const b = await post(body([{ produit_id: P1, quantite: 1 }], { client_id: SEED.clients.marie }), key);
  assert.equal(a.statusCode, 201, a.body);
  assert.equal(b.statusCode, 201, b.body);
  assert.notEqual(a.json().saga_id, b.json().saga_id);
});

test('a key whose request died before writing its saga is taken over once that request is surely over', async () => {
  const key = `k-${randomUUID()}`;
  await h.pool.query(
    `INSERT INTO saga_orchestrator.idempotency_keys (client_id, key, request_hash, saga_id, created_at)
     VALUES ($1, $2, repeat('0', 64), $3, now() - interval '1 minute')`,
    [CLIENT, key, randomUUID()],
  );
  const res = await post(body([{ produit_id: P1, quantite: 1 }]), key);
  assert.equal(res.statusCode, 201, res.body);
});

test('a malformed key: 400 before anything is written', async () => {
  const before = await counts(h.pool);
  for (const key of ['', 'has space', 'x'.repeat(256), 'accentué']) {
    const res = await post(body([{ produit_id: P1, quantite: 1 }]), key);
    assert.equal(res.statusCode, 400, `${JSON.stringify(key)}: ${res.body}`);
    assert.equal(res.json().error, 'Idempotency-Key invalide');
  }
  assert.deepEqual(await counts(h.pool), before);
  assert.equal(h.gateway.callsTo('POST', R.reserver).length, 0);
});
