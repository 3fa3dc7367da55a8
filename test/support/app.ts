/** Builds a service's Fastify app on a test database, for `app.inject()` tests. */
import assert from 'node:assert/strict';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import type { Pool } from '../../src/platform/db.ts';
import { buildHttpApp, type HttpServiceDefinition, type ServiceContext } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';

export function testContext(pool?: Pool): ServiceContext {
  return { log: createLogger('test', process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent'), registry: createRegistry('test'), pool };
}

export async function buildTestApp(def: HttpServiceDefinition, pool?: Pool): Promise<App> {
  const app = await buildHttpApp(def, testContext(pool));
  await app.ready();
  return app;
}

/** A request a service must refuse: a JSON `payload`, or a `raw` body (malformed JSON, another content type). */
export interface BadRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  raw?: string;
  contentType?: string;
  /** The exact 4xx expected, when the case names one. */
  status?: number;
}

/**
 * Sends a bad request and checks what every service promises for it: a 4xx (the expected one when given) with a
 * JSON body `{error: string, details}`. Returns that body for the case's own checks (nothing written, …).
 */
export async function injectBadRequest(
  app: App,
  c: BadRequest,
  label = `${c.method} ${c.url}`,
): Promise<{ error: string; details: unknown }> {
  const res = await app.inject({
    method: c.method,
    url: c.url,
    ...(c.raw !== undefined
      ? { payload: c.raw, headers: { 'content-type': c.contentType ?? 'application/json' } }
      : c.payload !== undefined
        ? { payload: JSON.stringify(c.payload), headers: { 'content-type': 'application/json' } }
        : {}),
  });
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${label}: status ${res.statusCode} ${res.body}`);
  if (c.status !== undefined) assert.equal(res.statusCode, c.status, `${label}: ${res.body}`);
  const body = res.json<{ error: string; details: unknown }>();
  assert.equal(typeof body.error, 'string', `${label}: ${res.body}`);
  assert.ok('details' in body, `${label}: no details in ${res.body}`);
  return body;
}
