import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isProbeLine, renderLogLine, table } from '../../src/launcher/console.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

test('a pino line renders as time, level, message and a few key fields', () => {
  const line = JSON.stringify({
    level: 'info',
    time: '2026-01-02T10:11:12.345Z',
    service: 'commandes',
    pid: 42,
    reqId: 'r-1',
    method: 'POST',
    url: '/api/v1/ventes/',
    status: 201,
    ms: 12.5,
    msg: 'request',
  });
  assert.equal(renderLogLine(line), '10:11:12.345 INFO  request method=POST url=/api/v1/ventes/ status=201 ms=12.5 reqId=r-1');
});

test('numeric pino levels, errors and long values', () => {
  const line = JSON.stringify({
    level: 50,
    time: Date.UTC(2026, 0, 2, 10, 11, 12, 5),
    msg: 'unhandled error',
    err: { type: 'Error', message: 'boom now', stack: '...' },
    correlation_id: 'c-9',
  });
  assert.equal(renderLogLine(line), '10:11:12.005 ERROR unhandled error correlation_id=c-9 err="boom now"');
  const long = renderLogLine(JSON.stringify({ level: 30, time: '2026-01-02T10:11:12.000Z', msg: 'x', data: { a: 'y'.repeat(200) } }));
  assert.ok(long.length < 200 && long.endsWith('...'));
});

test('non-JSON lines pass through unchanged', () => {
  for (const line of ['plain text', '{not json', '[1,2]', '  indented', '(node:1) Warning: x']) assert.equal(renderLogLine(line), line);
});

test('successful probe request logs are recognised (kept off the console)', () => {
  assert.equal(isProbeLine('{"level":"info","url":"/ready","status":200,"msg":"request"}'), true);
  assert.equal(isProbeLine('{"level":"info","url":"/status/ready","status":200,"msg":"request"}'), true);
  assert.equal(isProbeLine('{"level":"info","url":"/ready","status":503,"msg":"request"}'), false);
  assert.equal(isProbeLine('{"level":"info","url":"/api/ready-made","status":200,"msg":"request"}'), false);
});

test('tables align their columns', () => {
  assert.equal(
    table(
      ['name', 'pid'],
      [
        ['gateway', '1'],
        ['x', '12345'],
      ],
    ),
    'name     pid\n-------  -----\ngateway  1\nx        12345',
  );
});
