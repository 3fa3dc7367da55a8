/** Builds a service's Fastify app on a test database, for `app.inject()` tests. */
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
