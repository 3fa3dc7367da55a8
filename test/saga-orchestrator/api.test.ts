/** The orchestrated checkout on real PostgreSQL, participants played by a fake gateway. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { STREAMS } from '../../src/contracts/events.ts';
import { ETATS_NON_TERMINAUX } from '../../src/saga-orchestrator/domain/etats.ts';
import {
  CENTRAL,
  CLIENT,
  INCONNU,
  P1,
  P2,
  R,
  assertWithinOwnDeadline,
  body,
  counts,
  outboxOf,
  sample,
  startHarness,
  type Harness,
} from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());
beforeEach(() => h.gateway.reset());

const post = (payload: unknown) => h.app.inject({ method: 'POST', url: '/api/saga/commandes/', payload: payload as object });
const metrics = async () => (await h.app.inject({ method: 'GET', url: '/metrics/' })).body;

test('metrics: every reference name present from start, known label sets at 0', async () => {
  const text = await metrics();
  assert.equal(sample(text, 'saga_total', { client_type: 'standard', magasin: CENTRAL }), 0);
  assert.equal(sample(text, 'saga_duree_seconds_count', { etat_final: 'SAGA_TERMINEE', magasin: CENTRAL }), 0);
  assert.equal(sample(text, 'saga_echecs_total', { type_echec: 'STOCK_INSUFFISANT', magasin: CENTRAL }), 0);
  assert.equal(sample(text, 'saga_etapes_total', { etape: 'CREATION_COMMANDE', statut: 'SUCCESS', magasin: CENTRAL }), 0);
  assert.equal(sample(text, 'saga_compensations_total', { type_compensation: 'LIBERATION_STOCK', magasin: CENTRAL }), 0);
  for (const etat of ETATS_NON_TERMINAUX) assert.equal(sample(text, 'saga_actives_current', { etat }), 0, etat);
  assert.equal(sample(text, 'services_externes_calls_total', { service: 'inventaire', endpoint: 'reservations', status_code: '201' }), 0);
  assert.equal(sample(text, 'services_externes_duree_seconds_count', { service: 'commandes', endpoint: 'commandes-en-ligne' }), 0);
  assert.equal(sample(text, 'saga_orchestrator_info', { version: '1.0.0', pattern: 'saga-orchestree-synchrone' }), 1);
  const plain = await h.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(plain.statusCode, 200);
  assert.ok(plain.body.includes('saga_total'));
});

test('success: 201 with the summary, one reservation and one order with every line, history and outbox events', async () => {
  const res = await post(
    body([
      { produit_id: P1, quantite: 2 },
      { produit_id: P2, quantite: 1 },
    ]),
  );
  assert.equal(res.statusCode, 201, res.body);
  const b = res.json();
  assert.equal(b.success, true);
  assert.equal(b.etat_final, 'SAGA_TERMINEE');
  assert.match(b.commande_id, /^[0-9a-f-]{36}$/);
  const r = b.resume_execution;
  assert.equal(r.saga_id, b.saga_id);
  assert.equal(r.client_id, CLIENT);
  assert.equal(r.magasin_id, CENTRAL);
  assert.equal(r.etat_actuel, 'SAGA_TERMINEE');
  assert.equal(r.est_terminee, true);
  assert.equal(r.montant_total, 205.48);
  assert.equal(r.quantite_totale_articles, 3);
  assert.equal(r.nombre_lignes, 2);
  assert.equal(r.nombre_evenements, 7);
  assert.equal(r.commande_finale_id, b.commande_id);
  assert.equal(r.reservations_actives, 1);
  for (const k of ['duree_totale_secondes', 'duree_par_etape', 'tentatives_par_etape', 'date_creation', 'date_derniere_modification'])
    assert.ok(k in r, k);

  const [reservation] = h.gateway.callsTo('POST', R.reserver);
  assert.deepEqual(reservation!.body, {
    reservation_id: b.saga_id,
    lignes: [
      { produit_id: P1, quantite: 2 },
      { produit_id: P2, quantite: 1 },
    ],
  });
  assert.equal(reservation!.headers['x-api-key'], 'test-saga-key');
  const commandes = h.gateway.callsTo('POST', R.commande);
  assert.equal(commandes.length, 1);
  assert.deepEqual(commandes[0]!.body, {
    reference_externe: b.saga_id,
    client_id: CLIENT,
    magasin_id: CENTRAL,
    lignes: [
      { produit_id: P1, quantite: 2, prix_unitaire: 89.99 },
      { produit_id: P2, quantite: 1, prix_unitaire: 25.5 },
    ],
  });
  assert.equal(h.gateway.callsTo('POST', R.liberer).length + h.gateway.callsTo('POST', R.annuler).length, 0);

  const detail = await h.app.inject({ method: 'GET', url: `/api/saga/commandes/${b.saga_id}/` });
  assert.equal(detail.statusCode, 200);
  const d = detail.json();
  assert.equal(d.etat_actuel, 'SAGA_TERMINEE');
  assert.equal(d.est_terminee, true);
  assert.equal(d.commande_finale_id, b.commande_id);
  assert.deepEqual(
    d.historique_evenements.map((e: { type: string; nouvel_etat: string }) => `${e.type}>${e.nouvel_etat}`),
    [
      'SAGA_DEMARRE>VERIFICATION_STOCK',
      'STOCK_VERIFIE_SUCCES>STOCK_VERIFIE',
      'STOCK_VERIFIE_SUCCES>RESERVATION_STOCK',
      'STOCK_RESERVE_SUCCES>STOCK_RESERVE',
      'STOCK_RESERVE_SUCCES>CREATION_COMMANDE',
      'COMMANDE_CREEE_SUCCES>COMMANDE_CREEE',
      'SAGA_TERMINEE_SUCCES>SAGA_TERMINEE',
    ],
  );
  assert.deepEqual(
    d.lignes_commande.map((l: { produit_id: string; quantite: number }) => [l.produit_id, l.quantite]),
    [
      [P1, 2],
      [P2, 1],
    ],
  );
  assert.equal(d.donnees_contexte.informations_produits[P1].nom, 'Clavier mécanique');

  const events = await outboxOf(h.pool, b.saga_id);
  assert.deepEqual(
    events.map((e) => e.type),
    d.historique_evenements.map((e: { type: string }) => e.type),
  );
  for (const e of events) {
    assert.equal(e.stream, STREAMS.saga);
    assert.equal(e.correlation_id, b.saga_id);
    assert.equal(e.payload.saga_id, b.saga_id);
    assert.equal(e.payload.client_id, CLIENT);
    assert.equal(e.payload.magasin_id, CENTRAL);
    assert.equal(typeof e.payload.emitted_at, 'number');
  }
  assert.equal(events.at(-1)!.payload.nouvel_etat, 'SAGA_TERMINEE');
  assert.equal(events.at(-1)!.payload.etat_precedent, 'COMMANDE_CREEE');

  const text = await metrics();
  assert.ok(sample(text, 'saga_total', { client_type: 'standard', magasin: CENTRAL })! >= 1);
  assert.ok(sample(text, 'saga_duree_seconds_count', { etat_final: 'SAGA_TERMINEE', magasin: CENTRAL })! >= 1);
  assert.ok(sample(text, 'saga_etapes_total', { etape: 'COMPLETION', statut: 'SUCCESS', magasin: CENTRAL })! >= 1);
  assert.ok(sample(text, 'services_externes_calls_total', { service: 'inventaire', endpoint: 'reservations', status_code: '201' })! >= 1);
  assert.ok(sample(text, 'services_externes_calls_total', { service: 'catalogue', endpoint: 'produits', status_code: '200' })! >= 2);
});

test('stock shortage: 400 Stock insuffisant, no order call, nothing to release, SAGA_ANNULEE', async () => {
  const details = { produit_id: P1, disponible: 1, demande: 5 };
  h.gateway.on('POST', R.reserver, () => ({ status: 409, body: { error: 'Stock insuffisant', details } }));
  const res = await post(body([{ produit_id: P1, quantite: 5 }]));
  assert.equal(res.statusCode, 400, res.body);
  const b = res.json();
  assert.equal(b.error, 'Stock insuffisant');
  assert.deepEqual(b.details, details);
  assert.equal(b.etat_final, 'SAGA_ANNULEE');
  assert.match(b.saga_id, /^[0-9a-f-]{36}$/);
  assert.equal(h.gateway.callsTo('POST', R.commande).length, 0);
  assert.equal(h.gateway.callsTo('POST', R.liberer).length, 0);
  const d = (await h.app.inject({ method: 'GET', url: `/api/saga/commandes/${b.saga_id}/` })).json();
  assert.deepEqual(
    d.historique_evenements.slice(-2).map((e: { type: string; nouvel_etat: string }) => `${e.type}>${e.nouvel_etat}`),
    ['STOCK_RESERVE_ECHEC>ECHEC_STOCK_INSUFFISANT', 'SAGA_ANNULEE>SAGA_ANNULEE'],
  );
  const text = await metrics();
  assert.ok(
    sample(text, 'saga_echecs_total', { type_echec: 'STOCK_INSUFFISANT', etape_echec: 'RESERVATION_STOCK', magasin: CENTRAL })! >= 1,
  );
  assert.ok(sample(text, 'saga_duree_seconds_count', { etat_final: 'SAGA_ANNULEE', magasin: CENTRAL })! >= 1);
});

test('order failure: compensation in reverse order (annuler, then liberer) before the 503', async () => {
  h.gateway.on('POST', R.commande, () => ({ status: 503, body: { error: 'commandes down' } }));
  const before = await metrics();
  const res = await post(body());
  assert.equal(res.statusCode, 503, res.body);
  const b = res.json();
  assert.equal(b.error, 'Service externe indisponible');
  assert.equal(b.etat_final, 'SAGA_ANNULEE');
  assert.equal(b.details.compensation, 'terminee');
  assert.equal(h.gateway.callsTo('POST', R.commande).length, 3, 'retried on 503');
  const annuler = h.gateway.callsTo('POST', R.annuler);
  const liberer = h.gateway.callsTo('POST', R.liberer);
  assert.equal(annuler.length, 1);
  assert.equal(liberer.length, 1);
  assert.ok(annuler[0]!.path.includes(b.saga_id) && liberer[0]!.path.includes(b.saga_id));
  const order = h.gateway.calls.map((c) => c.path).filter((p) => R.annuler.test(p) || R.liberer.test(p));
  assert.deepEqual(
    order.map((p) => (R.annuler.test(p) ? 'annuler' : 'liberer')),
    ['annuler', 'liberer'],
  );
  const d = (await h.app.inject({ method: 'GET', url: `/api/saga/commandes/${b.saga_id}/` })).json();
  assert.deepEqual(
    d.historique_evenements.slice(-3).map((e: { type: string; nouvel_etat: string }) => `${e.type}>${e.nouvel_etat}`),
    ['COMMANDE_CREEE_ECHEC>ECHEC_CREATION_COMMANDE', 'COMPENSATION_DEMANDEE>COMPENSATION_EN_COURS', 'COMPENSATION_TERMINEE>SAGA_ANNULEE'],
  );
  const after = await metrics();
  for (const type_compensation of ['ANNULATION_COMMANDE', 'LIBERATION_STOCK']) {
    const l = { type_compensation, magasin: CENTRAL };
    assert.equal(sample(after, 'saga_compensations_total', l)! - sample(before, 'saga_compensations_total', l)!, 1, type_compensation);
  }
  assert.ok(
    sample(after, 'services_externes_calls_total', { service: 'commandes', endpoint: 'commandes-en-ligne', status_code: '503' })! >= 3,
  );
});

test('order refused (409: key cancelled): compensation, then 400 Erreur lors de l’exécution de la saga', async () => {
  h.gateway.on('POST', R.commande, () => ({ status: 409, body: { error: 'Commande annulée', details: {} } }));
  const res = await post(body());
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error, "Erreur lors de l'exécution de la saga");
  assert.equal(res.json().etat_final, 'SAGA_ANNULEE');
  assert.equal(h.gateway.callsTo('POST', R.commande).length, 1, 'a refusal is not retried');
  assert.equal(h.gateway.callsTo('POST', R.liberer).length, 1);
});

test('compensation retried until the participant accepts; the answer waits for it', async () => {
  h.gateway.on('POST', R.commande, () => ({ status: 500, body: { error: 'boom' } }));
  h.gateway.on('POST', R.liberer, (_c, n) =>
    n <= 7 ? { status: 503, body: { error: 'inventaire down' } } : { status: 200, body: { statut: 'liberee' } },
  );
  const res = await post(body());
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.json().etat_final, 'SAGA_ANNULEE');
  assert.equal(h.gateway.callsTo('POST', R.liberer).length, 8);
  assert.equal(h.gateway.callsTo('POST', R.annuler).length, 1, 'a done step is not repeated');
  const { rows } = await h.pool.query(`SELECT compensation, etat_actuel FROM saga_orchestrator.saga_commandes WHERE id = $1`, [
    res.json().saga_id,
  ]);
  assert.deepEqual(rows[0].compensation, { commande_annulee: true, stock_libere: true });
});

test('reservation timing out: the reservation is released anyway (it may have been applied)', async () => {
  h.gateway.on('POST', R.reserver, () => 'hang');
  const res = await post(body());
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.json().etat_final, 'SAGA_ANNULEE');
  // Within its deadline by the orchestrator's own record, not by a timer around the request (issue 12 item 5).
  await assertWithinOwnDeadline(h.pool, res.json().saga_id);
  assert.equal(h.gateway.callsTo('POST', R.commande).length, 0);
  assert.equal(h.gateway.callsTo('POST', R.liberer).length, 1);
  const d = (await h.app.inject({ method: 'GET', url: `/api/saga/commandes/${res.json().saga_id}/` })).json();
  assert.ok(
    d.historique_evenements.some(
      (e: { nouvel_etat: string; etat_precedent: string }) =>
        e.etat_precedent === 'ECHEC_RESERVATION_STOCK' && e.nouvel_etat === 'COMPENSATION_EN_COURS',
    ),
  );
});

test('order creation hanging: the POST answers within its deadline, after compensating', async () => {
  h.gateway.on('POST', R.commande, () => 'hang');
  const res = await post(body());
  assert.equal(res.statusCode, 503, res.body);
  // Within its deadline by the orchestrator's own record, not by a timer around the request (issue 12 item 5).
  await assertWithinOwnDeadline(h.pool, res.json().saga_id);
  assert.equal(res.json().etat_final, 'SAGA_ANNULEE');
  assert.deepEqual(
    h.gateway.calls
      .filter((c) => R.annuler.test(c.path) || R.liberer.test(c.path))
      .map((c) => (R.annuler.test(c.path) ? 'annuler' : 'liberer')),
    ['annuler', 'liberer'],
  );
});

test('participants down past the deadline: answer in time with COMPENSATION_EN_COURS, saga left to recovery', async () => {
  h.gateway.on('POST', R.commande, () => ({ status: 503, body: {} }));
  h.gateway.on('POST', R.annuler, () => ({ status: 503, body: {} }));
  const res = await post(body());
  assert.equal(res.statusCode, 503);
  await assertWithinOwnDeadline(h.pool, res.json().saga_id);
  assert.equal(res.json().etat_final, 'COMPENSATION_EN_COURS');
  assert.equal(res.json().details.compensation, 'en_cours');
  // The cancel is tried first (reverse order) but cannot get through; the stock is released anyway.
  const calls = h.gateway.calls.map((c) => `${c.method} ${c.path}`);
  assert.ok(calls.findIndex((c) => c.includes('annuler')) < calls.findIndex((c) => c.includes('liberer')), calls.join('\n'));
  assert.equal(h.gateway.callsTo('POST', R.liberer).length, 1, 'the stock is given back even while commandes refuses the cancel');
  const actives = await metrics();
  assert.ok(sample(actives, 'saga_actives_current', { etat: 'COMPENSATION_EN_COURS' })! >= 1);
  // Recovery retries the cancel when commandes is back; the stock is not released twice.
  h.gateway.reset();
  assert.equal(await h.orchestrator.recoverOrphans(), 1);
  const d = (await h.app.inject({ method: 'GET', url: `/api/saga/commandes/${res.json().saga_id}/` })).json();
  assert.equal(d.etat_actuel, 'SAGA_ANNULEE');
  assert.equal(h.gateway.callsTo('POST', R.annuler).length, 1);
  assert.equal(h.gateway.callsTo('POST', R.liberer).length, 0);
  assert.equal(
    sample(await metrics(), 'saga_actives_current', { etat: 'COMPENSATION_EN_COURS' }),
    0,
    'a state that empties goes back to 0',
  );
});

test('catalogue: unknown product → 400 Produit introuvable; catalogue down → 503; no reservation either way', async () => {
  const res = await post(body([{ produit_id: INCONNU, quantite: 1 }]));
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error, 'Produit introuvable');
  assert.equal(res.json().etat_final, 'SAGA_ANNULEE');
  h.gateway.on('GET', R.produit, () => ({ status: 502, body: {} }));
  const down = await post(body());
  assert.equal(down.statusCode, 503, down.body);
  assert.equal(down.json().etat_final, 'SAGA_ANNULEE');
  assert.equal(h.gateway.callsTo('POST', R.reserver).length, 0);
});

test('store: unknown → 400 and nothing written; commandes down → 503 and nothing written', async () => {
  const before = await counts(h.pool);
  const res = await post(body(undefined, { magasin_id: INCONNU }));
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error, 'Magasin inconnu');
  h.gateway.on('GET', R.magasins, () => ({ status: 503, body: {} }));
  const down = await post(body(undefined, { magasin_id: '33333333-3333-3333-3333-333333333332' }));
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().saga_id, null);
  assert.deepEqual(await counts(h.pool), before);
});

test('bad input: 4xx JSON with details, nothing written, no participant called', async () => {
  const before = await counts(h.pool);
  const cases: [string | object | undefined, number, string][] = [
    [undefined, 400, 'Le corps de la requête est requis'],
    ['{"client_id":', 400, 'Format JSON invalide'],
    [[1, 2], 400, 'Le corps de la requête doit être un objet JSON'],
    [{ lignes: [{ produit_id: P1, quantite: 1 }] }, 400, "Le champ 'client_id' est requis"],
    [{ client_id: 'abc', lignes: [{ produit_id: P1, quantite: 1 }] }, 400, "Le champ 'client_id' doit être un UUID valide"],
    [
      { client_id: CLIENT, magasin_id: 42, lignes: [{ produit_id: P1, quantite: 1 }] },
      400,
      "Le champ 'magasin_id' doit être un UUID valide",
    ],
    [{ client_id: CLIENT }, 400, "Le champ 'lignes' est requis"],
    [{ client_id: CLIENT, lignes: [] }, 400, 'Au moins une ligne de commande est requise'],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: -1 }] }, 400, "Ligne 1: 'quantite' doit être un entier positif"],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: 1e9 }] }, 400, "Ligne 1: 'quantite' ne peut dépasser 1000000"],
    [{ client_id: CLIENT, lignes: [{ produit_id: 'x', quantite: 1 }] }, 400, "Ligne 1: 'produit_id' doit être un UUID valide"],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: 1 }], admin: true }, 400, "Champ inconnu: 'admin'"],
  ];
  for (const [payload, status, error] of cases) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/saga/commandes/',
      headers: { 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    assert.equal(res.statusCode, status, `${JSON.stringify(payload)} → ${res.body}`);
    const b = res.json();
    assert.ok(b.error.startsWith(error), `${b.error} ≠ ${error}`);
    assert.ok('details' in b, res.body);
  }
  for (const [url, status] of [
    ['/api/saga/commandes/not-a-uuid/', 400],
    [`/api/saga/commandes/${INCONNU}/`, 404],
    ['/api/saga/sagas/?etat=INVENTE', 400],
    ['/api/saga/sagas/?actives_seulement=peut-etre', 400],
    ['/api/saga/sagas/?limite=0', 400],
  ] as const) {
    const res = await h.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, status, `${url} → ${res.body}`);
    assert.ok('error' in res.json() && 'details' in res.json());
  }
  const compenser = await h.app.inject({ method: 'POST', url: `/api/saga/commandes/${INCONNU}/compenser/` });
  assert.equal(compenser.statusCode, 404);
  assert.deepEqual(await counts(h.pool), before);
  assert.equal(h.gateway.calls.length, 0);
});

test('list: filters by state and actives only; health and info', async () => {
  const ok = (await post(body())).json();
  h.gateway.on('POST', R.reserver, () => ({
    status: 409,
    body: { error: 'Stock insuffisant', details: { produit_id: P1, disponible: 0, demande: 2 } },
  }));
  const ko = (await post(body())).json();
  const all = (await h.app.inject({ method: 'GET', url: '/api/saga/sagas/' })).json();
  assert.equal(all.success, true);
  assert.ok(all.total >= 2);
  assert.deepEqual(all.filtres, { etat: null, actives_seulement: false });
  const s = all.sagas.find((x: { saga_id: string }) => x.saga_id === ok.saga_id);
  assert.deepEqual(Object.keys(s).sort(), [
    'client_id',
    'commande_finale_id',
    'date_creation',
    'derniere_modification',
    'est_terminee',
    'etat_actuel',
    'magasin_id',
    'necessite_compensation',
    'nombre_evenements',
    'nombre_lignes',
    'saga_id',
  ]);
  assert.equal(s.nombre_evenements, 7);
  const annulees = (await h.app.inject({ method: 'GET', url: '/api/saga/sagas/?etat=SAGA_ANNULEE' })).json();
  assert.ok(annulees.sagas.every((x: { etat_actuel: string }) => x.etat_actuel === 'SAGA_ANNULEE'));
  assert.ok(annulees.sagas.some((x: { saga_id: string }) => x.saga_id === ko.saga_id));
  assert.equal(annulees.filtres.etat, 'SAGA_ANNULEE');
  const actives = (await h.app.inject({ method: 'GET', url: '/api/saga/sagas/?actives_seulement=true' })).json();
  assert.ok(actives.sagas.every((x: { est_terminee: boolean }) => !x.est_terminee));
  assert.equal(actives.filtres.actives_seulement, true);

  const health = (await h.app.inject({ method: 'GET', url: '/api/saga/health/' })).json();
  assert.equal(health.status, 'healthy');
  assert.equal(health.service, 'saga-orchestrator');
  assert.equal(health.version, '1.0.0');
  assert.ok(Array.isArray(health.capabilities));
  const info = await h.app.inject({ method: 'GET', url: '/api/saga/info/' });
  assert.equal(info.statusCode, 200);
  assert.ok(info.json().workflow.length > 0);
});
