/**
 * The "dependency unreachable" classification behind the 503s (issue 8 item 5): what names PostgreSQL or Redis,
 * and what stays a bug (a 500) — constraint violations, type errors, plain errors. The real faults are in
 * outage.test.ts; this table pins the shapes each library reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unreachableDependency } from '../../src/platform/transient.ts';

const ports = new Map([
  [55432, 'postgres'],
  [56379, 'redis'],
]);
const withProps = (message: string, props: Record<string, unknown>) => Object.assign(new Error(message), props);

test('errors that mean a dependency is down name it', { timeout: 10_000 }, () => {
  const cases: [string, unknown, string][] = [
    ['pg: immediate shutdown', withProps('terminating connection due to administrator command', { code: '57P01' }), 'postgres'],
    ['pg: starting up', withProps('the database system is starting up', { code: '57P03' }), 'postgres'],
    ['pg: too many connections', withProps('sorry, too many clients already', { code: '53300' }), 'postgres'],
    ['pg: connection exception', withProps('connection failure', { code: '08006' }), 'postgres'],
    ['pg: socket lost', new Error('Connection terminated unexpectedly'), 'postgres'],
    ['pg-pool: connect timeout', new Error('timeout exceeded when trying to connect'), 'postgres'],
    ['refused, database port', withProps('connect ECONNREFUSED 127.0.0.1:55432', { code: 'ECONNREFUSED', port: 55432 }), 'postgres'],
    ['refused, Redis port', withProps('connect ECONNREFUSED 127.0.0.1:56379', { code: 'ECONNREFUSED', port: 56379 }), 'redis'],
    [
      'ioredis: gave up',
      withProps('Reached the max retries per request limit (which is 1).', { name: 'MaxRetriesPerRequestError' }),
      'redis',
    ],
    ['ioredis: closed', new Error('Connection is closed.'), 'redis'],
    [
      'refused, unknown port, inside fetch',
      new TypeError('fetch failed', { cause: withProps('x', { code: 'ECONNREFUSED', port: 1 }) }),
      'inconnue',
    ],
    [
      'AggregateError of refusals',
      withProps('', { code: 'ECONNREFUSED', errors: [withProps('a', { code: 'ECONNREFUSED', port: 55432 })] }),
      'postgres',
    ],
  ];
  for (const [label, error, dependency] of cases) assert.equal(unreachableDependency(error, ports)?.dependency, dependency, label);
});

test('other failures are not outages', { timeout: 10_000 }, () => {
  const cases: [string, unknown][] = [
    ['unique violation', withProps('duplicate key value', { code: '23505' })],
    ['syntax error', withProps('syntax error at or near', { code: '42601' })],
    ['type error', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['plain error', new Error('boom')],
    ['our own timeout', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ];
  for (const [label, error] of cases) assert.equal(unreachableDependency(error, ports), null, label);
});
