/**
 * The orchestrator's error model: application code returns DomainError codes and never knows HTTP — no Fastify, no
 * HttpError, no `{status, body}` answer built there; http/erreurs.ts maps every code in one table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DomainError } from '../../src/platform/errors.ts';
import { errorAnswer } from '../../src/saga-orchestrator/http/erreurs.ts';

const application = path.resolve(import.meta.dirname, '../../src/saga-orchestrator/application');

test('application code imports neither Fastify nor the HTTP error type, and builds no HTTP answer', { timeout: 10_000 }, () => {
  const violations: string[] = [];
  for (const file of readdirSync(application).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(path.join(application, file), 'utf8');
    if (/from\s+['"]fastify/.test(text)) violations.push(`${file}: imports fastify`);
    if (/\b(HttpError|badRequest|notFound|conflict|unavailable)\b[^;]*from\s+['"][^'"]*platform\/errors/.test(text))
      violations.push(`${file}: imports the HTTP error type`);
    if (/\bstatus:\s*\d{3}\b/.test(text)) violations.push(`${file}: builds a {status, body} answer`);
  }
  assert.deepEqual(violations, []);
});

test('one table: a code gives its status, its message and the envelope keys after error and details', { timeout: 10_000 }, () => {
  const r = errorAnswer(new DomainError('SAGA_NON_TROUVEE', { saga_id: 'abc' }));
  assert.deepEqual(r, { status: 404, body: { error: 'Saga abc non trouvée', details: { saga_id: 'abc' } } });
  const s = errorAnswer(new DomainError('SERVICE_INDISPONIBLE', { message: 'x' }, { saga_id: 'abc', etat_final: null }));
  assert.equal(s.status, 503);
  assert.deepEqual(Object.keys(s.body), ['error', 'details', 'saga_id', 'etat_final']);
});
