/**
 * Debian's Prometheus scrapes a service's /metrics as it negotiates it (OpenMetrics first): the target is up, the
 * counters keep their `_total` series names, and the exemplar of the bus latency histogram — a sampled entry's
 * `create` span — is stored and served by Prometheus' exemplar API. The service is the platform's real server and
 * registry (default Node metrics, the HTTP and bus metrics), not a fixture's text. Prometheus is started here on a
 * free port with a private data folder and stopped after; without the binary the test is skipped with a message,
 * and fails under CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { busMetrics } from '../../src/platform/bus/metrics.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry, traceparentExemplar } from '../../src/platform/metrics.ts';
import { createServer, type App } from '../../src/platform/server.ts';
import { freePort } from '../support/ports.ts';
import { tool } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';

const PROMETHEUS = await tool('prometheus', 'sudo apt-get install --no-install-recommends prometheus');
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

interface Target {
  health: string;
  lastError: string;
}

describe('Prometheus scrapes the OpenMetrics exposition', { timeout: 120_000, skip: PROMETHEUS.skip }, () => {
  let app: App;
  let prometheus: ChildProcess | undefined;
  let dir = '';
  let api = '';

  before(async () => {
    const binary = PROMETHEUS.require();
    const registry = createRegistry('exemplar-scrape');
    app = await createServer({ service: 'exemplar-scrape', title: 'test', logger: createLogger('exemplar-scrape', 'silent'), registry });
    const bus = busMetrics(registry);
    bus.latency.observeWith(
      { topic: 'ecommerce.checkout.events', type: 'CheckoutInitiated' },
      0.03,
      traceparentExemplar(`00-${TRACE}-00f067aa0ba902b7-01`),
    );
    bus.latency.observeWith({ topic: 'ecommerce.checkout.events', type: 'CheckoutInitiated' }, 0.2, undefined);
    const target = await app.listen({ host: '127.0.0.1', port: 0 });
    const promPort = await freePort();
    dir = mkdtempSync(path.join(tmpdir(), 'exemplar-prometheus-'));
    const config = path.join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: svc\n    static_configs:\n      - targets: ['${new URL(target).host}']\n`,
    );
    prometheus = spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--enable-feature=exemplar-storage',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    api = `http://127.0.0.1:${promPort}/api/v1`;
  });

  after(async () => {
    const child = prometheus;
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const json = async <T>(url: string): Promise<T | undefined> =>
    fetch(url)
      .then((r) => (r.ok ? (r.json() as Promise<{ data: T }>).then((b) => b.data) : undefined))
      .catch(() => undefined);

  test('the target is up, counters keep their names, and the exemplar reaches Prometheus', async () => {
    let last = 'no answer from Prometheus';
    await waitFor(
      'the target scraped and up',
      async () => {
        const targets = (await json<{ activeTargets: Target[] }>(`${api}/targets`))?.activeTargets ?? [];
        if (targets.length > 0) last = targets.map((t) => `${t.health} ${t.lastError}`).join('; ');
        return targets.length === 1 && targets[0]!.health === 'up';
      },
      60_000,
      200,
    ).catch((error: unknown) => assert.fail(`${(error as Error).message}: ${last}`));

    const series = async (query: string) =>
      (await json<{ result: unknown[] }>(`${api}/query?query=${encodeURIComponent(query)}`))?.result ?? [];
    await waitFor(
      'the HTTP and process counters under their usual names',
      async () => (await series('process_cpu_seconds_total')).length === 1,
      30_000,
      200,
    );
    assert.deepEqual(await series('process_cpu_seconds'), [], 'no series renamed without _total');

    const now = Date.now() / 1000;
    const exemplars = await waitFor(
      'the bus latency exemplar',
      async () => {
        const data = await json<{ exemplars: { labels: Record<string, string>; value: string }[] }[]>(
          `${api}/query_exemplars?query=event_latency_seconds_bucket&start=${now - 600}&end=${now + 60}`,
        );
        const all = (data ?? []).flatMap((s) => s.exemplars);
        return all.length > 0 ? all : undefined;
      },
      30_000,
      200,
    );
    assert.deepEqual(
      exemplars.map((e) => [e.labels.trace_id, e.labels.span_id, Number(e.value)]),
      [[TRACE, '00f067aa0ba902b7', 0.03]],
    );
  });
});
