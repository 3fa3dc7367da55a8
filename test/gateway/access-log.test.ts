/**
 * The gateway's access log writes its line by hand (issue 10: pino's serialiser per request was a cost): the line
 * must still be one valid JSON object in the logger's format, with the client's path escaped whatever it holds,
 * the configured values quoted, the level following the status, and nothing written below the logger's level.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/platform/logger.ts';
import { accessLogOf } from '../../src/gateway/infrastructure/access-log.ts';
import type { AccessEntry } from '../../src/gateway/application/ports.ts';

function capture(level: 'info' | 'error') {
  const lines: string[] = [];
  const log = createLogger('gateway', level, { write: (line: string) => void lines.push(line) });
  return { lines, access: accessLogOf(log) };
}

const entry = (over: Partial<AccessEntry> = {}): AccessEntry => ({
  reqId: '6f1c2b1e-8d1a-4c2e-9f3b-2a4d5e6f7a8b',
  method: 'GET',
  path: '/api/catalogue/health',
  status: 200,
  ms: 1.3,
  route: 'catalogue-route',
  target: '127.0.0.1:8001',
  consumer: 'magasin-app',
  aborted: false,
  trace: undefined,
  ...over,
});

describe('gateway access log', { timeout: 10_000 }, () => {
  test('one JSON line per request, in the logger format, the client path escaped', () => {
    const { lines, access } = capture('info');
    const hostile = '/api/"quoted"\\back\u0001\u00e9\ud83d\ude00/x';
    access.request(
      entry({ path: hostile, route: 'a "route"', aborted: true, trace: { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) } }),
    );
    access.request(entry({ status: 502, target: undefined, consumer: '' }));
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n')));
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      { ...first, time: undefined, pid: undefined },
      {
        level: 'info',
        time: undefined,
        service: 'gateway',
        pid: undefined,
        trace_id: 'a'.repeat(32),
        span_id: 'b'.repeat(16),
        reqId: '6f1c2b1e-8d1a-4c2e-9f3b-2a4d5e6f7a8b',
        method: 'GET',
        path: hostile,
        status: 200,
        ms: 1.3,
        route: 'a "route"',
        target: '127.0.0.1:8001',
        consumer: 'magasin-app',
        aborted: true,
        msg: 'request',
      },
    );
    assert.ok(!Number.isNaN(Date.parse(first!.time as string)));
    assert.equal(second!.level, 'error');
    assert.equal('target' in second!, false);
    assert.equal('consumer' in second!, false);
  });

  test('below the logger level nothing is written: at error, only answers of 500 and above', () => {
    const { lines, access } = capture('error');
    access.request(entry());
    access.request(entry({ status: 503 }));
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]!) as { status: number }).status, 503);
  });
});
