import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoutingTable, matchesPrefix, splitTarget, upstreamPath } from '../../src/gateway/domain/routing.ts';
import { RoundRobinBalancer } from '../../src/gateway/domain/balancer.ts';
import { TargetHealth, classifyStatus } from '../../src/gateway/domain/health.ts';
import { decide, windowCounters } from '../../src/gateway/domain/rate-limit.ts';
import type { RouteDef } from '../../src/gateway/domain/model.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const route = (name: string, paths: string[], stripPath = true, methods: string[] = []): RouteDef => ({
  name,
  service: `${name}-svc`,
  paths,
  stripPath,
  methods,
});

test('route match: longest prefix wins, at a path boundary only', () => {
  const table = new RoutingTable([
    route('short', ['/api']),
    route('cat', ['/api/catalogue', '/catalogue']),
    route('es', ['/api/event-store'], false),
  ]);
  assert.equal(table.match('/api/catalogue/x')?.route.name, 'cat');
  assert.equal(table.match('/api/catalogue')?.route.name, 'cat');
  assert.equal(table.match('/catalogue/')?.route.name, 'cat');
  assert.equal(table.match('/api/event-store/events')?.route.name, 'es');
  assert.equal(table.match('/api/other')?.route.name, 'short');
  assert.equal(table.match('/catalogueX'), undefined);
  assert.equal(table.match('/api/catalogueX')?.route.name, 'short');
  assert.equal(table.match('/nothing'), undefined);
  assert.equal(table.match('/'), undefined);
});

test('route match honours methods when a route declares them', () => {
  const table = new RoutingTable([route('get-only', ['/r'], true, ['GET'])]);
  assert.equal(table.match('/r', 'GET')?.route.name, 'get-only');
  assert.equal(table.match('/r', 'POST'), undefined);
});

test('matchesPrefix edge cases', () => {
  assert.ok(matchesPrefix('/a/b', '/a'));
  assert.ok(!matchesPrefix('/ab', '/a'));
  assert.ok(matchesPrefix('/anything', '/'));
});

test('strip_path: prefix removed, rest kept, bare prefix becomes /', () => {
  assert.equal(upstreamPath('/api/catalogue/api/ddd/catalogue/rechercher/', '/api/catalogue', true), '/api/ddd/catalogue/rechercher/');
  assert.equal(upstreamPath('/api/catalogue', '/api/catalogue', true), '/');
  assert.equal(upstreamPath('/api/catalogue/', '/api/catalogue', true), '/');
  assert.equal(upstreamPath('/api/event-store/events', '/api/event-store', false), '/api/event-store/events');
  assert.equal(upstreamPath('/api/x/y', '/api/x', true, '/base'), '/base/y');
  assert.equal(upstreamPath('/api/x', '/api/x', true, '/base/'), '/base');
  assert.deepEqual(splitTarget('/a/b?x=1&y=2'), { path: '/a/b', query: '?x=1&y=2' });
  assert.deepEqual(splitTarget('/a'), { path: '/a', query: '' });
});

const t3 = () =>
  new RoundRobinBalancer('u', [
    { target: 'a:1', address: 'a:1', weight: 100 },
    { target: 'b:1', address: 'b:1', weight: 100 },
    { target: 'c:1', address: 'c:1', weight: 100 },
  ]);

test('round-robin: equal weights rotate evenly', () => {
  const b = t3();
  const picks = Array.from({ length: 30 }, () => b.pick()!.target);
  for (const t of ['a:1', 'b:1', 'c:1']) assert.equal(picks.filter((p) => p === t).length, 10);
  assert.deepEqual(picks.slice(0, 3).sort(), ['a:1', 'b:1', 'c:1']);
});

test('round-robin: weights are respected without bursts', () => {
  const b = new RoundRobinBalancer('u', [
    { target: 'heavy', address: 'h', weight: 200 },
    { target: 'light', address: 'l', weight: 100 },
    { target: 'off', address: 'o', weight: 0 },
  ]);
  const picks = Array.from({ length: 30 }, () => b.pick()!.target);
  assert.equal(picks.filter((p) => p === 'heavy').length, 20);
  assert.equal(picks.filter((p) => p === 'light').length, 10);
  assert.ok(!picks.includes('off'));
  assert.ok(!picks.join(',').includes('heavy,heavy,heavy'));
});

test('round-robin: unhealthy targets leave the rotation; exclude skips a failed one', () => {
  const b = t3();
  b.find('b:1')!.health.set('unhealthy');
  const picks = Array.from({ length: 10 }, () => b.pick()!.target);
  assert.ok(!picks.includes('b:1'));
  const a = b.find('a:1')!;
  for (let i = 0; i < 5; i++) assert.equal(b.pick(new Set([a]))!.target, 'c:1');
  b.find('c:1')!.health.set('unhealthy');
  assert.equal(b.pick(new Set([a])), undefined);
  a.health.set('unhealthy');
  assert.equal(b.pick(), undefined);
  assert.equal(b.healthyCount(), 0);
});

const thresholds = { successes: 2, tcpFailures: 1, timeouts: 2, httpFailures: 3 };

test('health: failures of a kind reach their threshold, successes bring it back', () => {
  const h = new TargetHealth();
  assert.equal(h.record('timeout', thresholds), false);
  assert.equal(h.state, 'healthy');
  assert.equal(h.record('timeout', thresholds), true);
  assert.equal(h.state, 'unhealthy');
  assert.equal(h.record('success', thresholds), false);
  assert.equal(h.state, 'unhealthy');
  assert.equal(h.record('success', thresholds), true);
  assert.equal(h.state, 'healthy');
  assert.equal(h.record('tcp_failure', thresholds), true);
  assert.equal(h.state, 'unhealthy');
});

test('health: a success clears failures, a failure clears successes; 0 disables a counter', () => {
  const h = new TargetHealth();
  h.record('http_failure', thresholds);
  h.record('http_failure', thresholds);
  h.record('success', thresholds);
  h.record('http_failure', thresholds);
  h.record('http_failure', thresholds);
  assert.equal(h.state, 'healthy');
  h.record('http_failure', thresholds);
  assert.equal(h.state, 'unhealthy');
  h.record('success', thresholds);
  h.record('timeout', thresholds);
  h.record('success', thresholds);
  assert.equal(h.state, 'unhealthy', 'successes must be consecutive');
  h.record('success', thresholds);
  assert.equal(h.state, 'healthy');
  const never = new TargetHealth();
  for (let i = 0; i < 10; i++) never.record('tcp_failure', { successes: 0, tcpFailures: 0, timeouts: 0, httpFailures: 0 });
  assert.equal(never.state, 'healthy');
  never.set('unhealthy');
  for (let i = 0; i < 10; i++) never.record('success', { successes: 0, tcpFailures: 0, timeouts: 0, httpFailures: 0 });
  assert.equal(never.state, 'unhealthy', 'successes 0: this source never restores a target');
});

test('health: statuses are classified by the configured lists', () => {
  assert.equal(classifyStatus(200, [200, 302], [500, 503]), 'success');
  assert.equal(classifyStatus(503, [200, 302], [500, 503]), 'http_failure');
  assert.equal(classifyStatus(404, [200, 302], [500, 503]), undefined);
});

test('rate limit: fixed windows, Kong headers, Retry-After when passed', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
  const counters = windowCounters(
    'p',
    'magasin-app',
    [
      { window: 'second', limit: 10 },
      { window: 'minute', limit: 5 },
    ],
    now,
  );
  assert.equal(counters[0]!.key, `p:magasin-app:second:${Math.floor(now / 1000)}`);
  assert.equal(counters[1]!.key, `p:magasin-app:minute:${Math.floor(now / 60000) * 60}`);
  assert.equal(counters[1]!.resetSeconds, 30);
  const ok = decide(counters, [3, 5]);
  assert.equal(ok.allowed, true);
  assert.equal(ok.headers['X-RateLimit-Limit-Second'], '10');
  assert.equal(ok.headers['X-RateLimit-Remaining-Second'], '7');
  assert.equal(ok.headers['X-RateLimit-Remaining-Minute'], '0');
  assert.equal(ok.headers['RateLimit-Remaining'], '0');
  assert.equal(ok.headers['Retry-After'], undefined);
  const refused = decide(counters, [4, 6]);
  assert.equal(refused.allowed, false);
  assert.equal(refused.headers['Retry-After'], '30');
  assert.equal(refused.retryAfter, 30);
});
