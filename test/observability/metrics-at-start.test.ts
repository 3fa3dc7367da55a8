/**
 * Through the real system (issue 8 item 6, seen on it): started like `npm start` with its own Prometheus scraping
 * every second, and before any request or event, every metric the Grafana dashboards and the Prometheus rules use
 * is scraped from some process, and the dead-letter and re-publication counters exist for every consumer group and
 * every outbox the system runs — so their panels show 0, not "No data". A whole system: run it under the heavy lock.
 * Without the prometheus binary it is skipped with a message, and fails under CI=true (.ci/run installs it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROCESSES } from '../../src/launcher/processes.ts';
import { dashboardAndRuleExpressions } from '../support/dashboards.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { tool } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';

const root = path.resolve(import.meta.dirname, '../..');
const prometheus = await tool('prometheus', 'sudo apt-get install --no-install-recommends prometheus');
const orchestratorSpec = PROCESSES.find((p) => p.name === 'saga-orchestrator');
const ORCHESTRATOR = Boolean(orchestratorSpec && existsSync(path.join(root, orchestratorSpec.entry)));
const ORCHESTRATOR_ONLY =
  /^(saga_total|saga_duree_seconds\w*|saga_echecs_total|saga_etapes_total|saga_compensations_total|saga_actives_current|services_externes_\w+)$/;

/** Metric names of a PromQL expression: identifiers left once strings, matchers, ranges, grouping and calls are out. */
function metricNames(expr: string): string[] {
  const cleaned = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...cleaned.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)]
    .filter((m) => !m[2] && m[1]!.includes('_') && !/^(group_left|group_right)$/.test(m[1]!))
    .map((m) => m[1]!);
}

const referenced = [...new Set(dashboardAndRuleExpressions().flatMap(metricNames))].sort();

describe('metrics present from start in a running system', { skip: prometheus.skip, timeout: 300_000 }, () => {
  let system: TestSystem;
  let prom = '';
  const query = async (expr: string): Promise<{ metric: Record<string, string> }[]> => {
    const res = await fetch(`${prom}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { status: string; data?: { result: { metric: Record<string, string> }[] }; error?: string };
    assert.equal(body.status, 'success', `${expr}: ${body.error}`);
    return body.data!.result;
  };

  before(async () => {
    prometheus.require(); // under CI=true a missing binary fails here instead of skipping
    system = await startSystem({ env: { PROMETHEUS_SCRAPE_INTERVAL: '1s' } });
    prom = `http://127.0.0.1:${system.ports.prometheus}`;
    // Every target scraped and up, then the consumers' and relays' first measurements (gauges) scraped as well.
    let down = 'no answer from Prometheus';
    await waitFor(
      "every target up in the system's Prometheus",
      async () => {
        // Prometheus answers 503 until it is ready, and a connection may be refused before it listens.
        const res = await fetch(`${prom}/api/v1/targets`)
          .then((r) =>
            r.ok
              ? (r.json() as Promise<{ data: { activeTargets: { health: string; scrapeUrl: string; lastError: string }[] } }>)
              : undefined,
          )
          .catch(() => undefined);
        const targets = res?.data.activeTargets ?? [];
        if (res)
          down =
            targets
              .filter((t) => t.health !== 'up')
              .map((t) => `${t.scrapeUrl} ${t.health} ${t.lastError}`)
              .join('; ') || 'none';
        return targets.length > 0 && targets.every((t) => t.health === 'up');
      },
      90_000,
      200,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; down: ${down}\n${system.output().slice(-2000)}`);
    });
    await waitFor(
      'consumer and relay gauges scraped',
      async () => (await query('consumer_group_lag')).length > 0 && (await query('outbox_backlog')).length > 0,
      30_000,
      200,
    );
  });
  after(async () => {
    await system?.stop();
  });

  test('the expressions reference the counters this test is about', () => {
    console.log(`# metrics used by the dashboards and rules: ${referenced.join(' ')}`);
    for (const name of ['events_dead_lettered_total', 'outbox_republished_total'])
      assert.ok(referenced.includes(name), `${name} in ${referenced.join(', ')}`);
  });

  test('before any traffic, every metric the dashboards and rules use is scraped', async () => {
    const res = await fetch(`${prom}/api/v1/label/__name__/values`);
    const present = new Set(((await res.json()) as { data: string[] }).data);
    const missing = referenced.filter((name) => !present.has(name) && !(ORCHESTRATOR_ONLY.test(name) && !ORCHESTRATOR));
    assert.deepEqual(missing, [], `not scraped before any traffic: ${missing.join(', ')}`);
  });

  test('before any traffic, a dead-letter counter for every consumer group and a re-publication counter for every outbox', async () => {
    const groupsWithout = await query(
      'count by (topic, group) (consumer_group_lag) unless count by (topic, group) (events_dead_lettered_total)',
    );
    assert.deepEqual(
      groupsWithout.map((r) => r.metric),
      [],
      'groups without events_dead_lettered_total',
    );
    const schemasWithout = await query('count by (schema) (outbox_backlog) unless count by (schema) (outbox_republished_total)');
    assert.deepEqual(
      schemasWithout.map((r) => r.metric),
      [],
      'outboxes without outbox_republished_total',
    );
    // And the panels' own queries answer 0 per series rather than only their `or vector(0)` fallback, once two
    // scrapes give rate() its two samples.
    await waitFor(
      'the dead-lettered panel per (topic, group)',
      async () => (await query('sum by (topic, group) (rate(events_dead_lettered_total[1m]))')).length > 0,
      15_000,
      200,
    );
    await waitFor(
      'the re-published panel per schema',
      async () => (await query('sum by (schema) (increase(outbox_republished_total[1m]))')).length > 0,
      15_000,
      200,
    );
  });
});
