/** The gateway's request path is the configured plugins in Kong's order, proxy last. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadKongConfig } from '../../src/gateway/infrastructure/kong-config.ts';
import { UpstreamRegistry } from '../../src/gateway/application/upstreams.ts';
import { KeyRing } from '../../src/gateway/application/auth.ts';
import { RateLimiter } from '../../src/gateway/application/rate-limiter.ts';
import { pluginsOf } from '../../src/gateway/application/proxy.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

const log = createLogger('plugins-test', 'silent');
const kongYml = path.resolve(import.meta.dirname, '../../deploy/kong/kong.yml');

test('deploy/kong/kong.yml: correlation-id, cors, key-auth, rate-limiting, request-size-limiting, proxy', async () => {
  const { model, credentials } = await loadKongConfig(kongYml, { apiKeys: ['plugins-test-key'] });
  const deps = {
    model,
    upstreams: new UpstreamRegistry(model, (t) => t, log),
    forwarder: { forward: () => ({ abort: () => undefined }), close: async () => undefined },
    keyRing: new KeyRing(credentials),
    rateLimiter: new RateLimiter([], { increment: async () => [], close: async () => undefined }, 'test', log),
    metrics: { request: () => undefined, upstreamAttempt: () => undefined },
    log,
  };
  assert.deepEqual(
    pluginsOf(deps).map((p) => p.name),
    ['correlation-id', 'cors', 'key-auth', 'rate-limiting', 'request-size-limiting', 'proxy'],
  );
  // Without a rate limiter or CORS configured, those plugins are not on the path at all.
  const bare = { ...deps, model: { ...model, plugins: { ...model.plugins, cors: undefined } }, rateLimiter: undefined };
  assert.deepEqual(
    pluginsOf(bare).map((p) => p.name),
    ['correlation-id', 'key-auth', 'request-size-limiting', 'proxy'],
  );
});
