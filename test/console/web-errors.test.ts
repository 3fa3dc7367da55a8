/** The web console's API error → message mapping: readable sentences, never raw JSON; session loss detected. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { messageFor, networkMessage } from '../../src/console/web/src/lib/errors.ts';

describe('web console: API error messages', { timeout: 10_000 }, () => {
  test('the BFF session codes send the user back to sign-in; a service 401 does not', () => {
    assert.equal(messageFor(401, { error: 'SESSION_EXPIREE' }).sessionLost, true);
    assert.equal(messageFor(401, { error: 'NON_CONNECTE' }).sessionLost, true);
    assert.equal(messageFor(401, { error: 'CLE_INVALIDE' }).sessionLost, false);
    assert.match(messageFor(401, { error: 'CLE_INVALIDE' }).text, /Clé API refusée/);
    const other = messageFor(401, { error: 'Clé API manquante ou invalide', details: { header: 'X-API-Key' } });
    assert.equal(other.sessionLost, false);
    assert.match(other.text, /Clé API manquante/);
  });

  test('a business error shows its sentence and its field details', () => {
    const m = messageFor(400, { error: 'Données invalides', details: [{ field: 'body.prix', message: 'must be >= 0' }] });
    assert.equal(m.tone, 'erreur');
    assert.equal(m.text, 'Données invalides (prix: must be >= 0)');
    assert.equal(messageFor(409, { error: 'Stock insuffisant', details: { produit_id: 'x', disponible: 3 } }).text, 'Stock insuffisant');
  });

  test('"déjà en attente" is information, not an error', () => {
    const m = messageFor(400, { error: 'Une demande est déjà en attente pour le produit p dans le magasin m', details: {} });
    assert.equal(m.tone, 'info');
  });

  test('unavailable: says to retry, with Retry-After when given', () => {
    assert.equal(
      messageFor(503, { error: 'Service inventaire indisponible' }, '5').text,
      'Service inventaire indisponible. Réessayez dans 5 s.',
    );
    assert.match(messageFor(503, null).text, /Service indisponible/);
    assert.match(messageFor(429, {}).text, /Trop de requêtes/);
    assert.equal(messageFor(403, { error: 'CSRF' }).sessionLost, false);
    assert.match(messageFor(503, { error: 'PROMETHEUS_INDISPONIBLE' }).text, /Prometheus n’est pas démarré/);
    assert.equal(messageFor(503, { error: 'PASSERELLE_INDISPONIBLE' }, '2').text, 'La passerelle ne répond pas. Réessayez dans 2 s.');
  });

  test('no body, HTML or a 5xx: a sentence, never the raw body', () => {
    assert.equal(messageFor(404, '<html>').text, 'Introuvable.');
    assert.equal(messageFor(500, { stack: 'x' }).text, 'Erreur inattendue du serveur.');
    assert.equal(messageFor(418, null).text, 'Requête refusée (HTTP 418).');
    assert.match(networkMessage().text, /ne répond pas/);
  });
});
