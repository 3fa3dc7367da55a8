/**
 * The console on a whole system started like `npm start` (test/support/system.ts): its page through the gateway
 * at `/` without a key, sign-in with the system's key through the gateway, a catalogue search read through
 * /console-api/gw/, and sign-out. Run it under the shared lock: flock /tmp/heavy.lock npm test -- bff-system
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;

describe('the console in a running system', { timeout: 300_000 }, () => {
  before(async () => {
    system = await startSystem();
  });
  after(async () => {
    await system?.stop();
  });

  test('page at the gateway’s `/` (no key), sign-in through the gateway, a catalogue search through /console-api/gw, sign-out', async () => {
    const origin = system.gateway;
    const page = await fetch(`${origin}/`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<div id="app">/);
    // A client route is the page too (history API routing).
    assert.equal((await fetch(`${origin}/sagas/abc`, { headers: { accept: 'text/html' } })).status, 200);

    const wrong = await fetch(`${origin}/console-api/session`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: 'not-the-key' }),
    });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'CLE_INVALIDE');

    const signIn = await fetch(`${origin}/console-api/session`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: system.apiKey }),
    });
    assert.equal(signIn.status, 204, await signIn.text());
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^console_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\//);
    const cookie = setCookie.split(';')[0]!;

    const search = await fetch(`${origin}/console-api/gw/api/catalogue/api/ddd/catalogue/rechercher/?nom=clavier`, { headers: { cookie } });
    const text = await search.text();
    assert.equal(search.status, 200, text);
    assert.match(search.headers.get('content-type') ?? '', /application\/json/);
    assert.ok(!text.includes(system.apiKey), 'the key is never echoed');
    const body = JSON.parse(text) as { data?: { produits?: { nom: string }[] } };
    assert.ok(
      body.data?.produits?.some((p) => /clavier/i.test(p.nom)),
      text,
    );

    // Directly on the console's own port too.
    assert.equal((await fetch(`${system.console}/console-api/session`, { headers: { cookie } })).status, 200);

    const out = await fetch(`${origin}/console-api/session`, { method: 'DELETE', headers: { origin, cookie } });
    assert.equal(out.status, 204);
    const after = await fetch(`${origin}/console-api/gw/api/catalogue/api/ddd/catalogue/rechercher/`, { headers: { cookie } });
    assert.equal(after.status, 401);
    assert.equal(((await after.json()) as { error: string }).error, 'NON_CONNECTE');
  });
});
