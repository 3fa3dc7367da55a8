/**
 * The supervisor's control port (issue 8, item 1): bad input is a 4xx and never kills the launcher; only the
 * companion commands (the per-start secret, a loopback Host, no Origin) may stop or start a process.
 * First the server alone with fake handlers, then through the real launcher (where the crash was seen).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { isAlive } from '../../src/launcher/lock.ts';
import { SECRET_HEADER, startControlServer, type ProcessStatus, type SupervisorStatus } from '../../src/launcher/control.ts';
import { startLauncher, type TestLauncher } from '../support/launcher.ts';

/** A raw request: the path is sent as is (no normalisation), and Host and Origin are ours to choose. */
function raw(
  port: number,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: rawPath, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> });
          } catch {
            reject(new Error(`not JSON (${res.statusCode}): ${text}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('control server', { timeout: 20_000 }, () => {
  const secret = 's3cret-for-this-test-0123456789abcdef';
  const calls: string[] = [];
  const fakeStatus = (name: string): ProcessStatus => ({
    name,
    pid: 1,
    state: 'stopped',
    ready: false,
    restarts: 0,
    uptimeMs: null,
    port: 1,
    kind: 'service',
  });
  let server: Awaited<ReturnType<typeof startControlServer>>;
  const ok = () => ({ [SECRET_HEADER]: secret });

  before(async () => {
    server = await startControlServer(
      {
        status: () => ({ pid: 1, startedAt: '', dataDir: '', databaseUrl: '', redisUrl: '', processes: [] }) satisfies SupervisorStatus,
        stop: async (name) => (calls.push(`stop ${name}`), fakeStatus(name)),
        start: async (name) => (calls.push(`start ${name}`), fakeStatus(name)),
      },
      secret,
    );
  });
  after(() => server.close());

  test('a malformed percent-encoding in a process name is a 400, and the server keeps answering', async () => {
    const bad = await raw(server.port, 'POST', '/processes/%E0/stop', ok());
    assert.equal(bad.status, 400);
    assert.equal(typeof bad.body.error, 'string');
    assert.equal(typeof bad.body.details, 'string');
    const odd = await raw(server.port, 'POST', '/processes/a%2Fb%00/start', ok());
    assert.equal(odd.status, 400);
    assert.equal((await raw(server.port, 'GET', '/status', ok())).status, 200);
    assert.deepEqual(calls, []);
  });

  test('a request without the secret, or with a wrong one (any length, non-ASCII too), is a 401 and runs nothing', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { [SECRET_HEADER]: '' },
      { [SECRET_HEADER]: 'x'.repeat(secret.length) },
      { [SECRET_HEADER]: `${secret.slice(0, -1)}é` },
    ];
    for (const headers of wrong) {
      const res = await raw(server.port, 'POST', '/processes/commandes/stop', headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal((await raw(server.port, 'GET', '/status', headers)).status, 401);
    }
    assert.deepEqual(calls, []);
  });

  test('a foreign Host (DNS rebinding) or any Origin (a browser) is a 403 even with the secret', async () => {
    const port = server.port;
    const foreign: Record<string, string>[] = [
      { host: `evil.example:${port}` },
      { host: `127.0.0.1:${port + 1}` },
      { origin: `http://127.0.0.1:${port}` },
      { origin: 'null' },
    ];
    for (const headers of foreign) {
      const res = await raw(port, 'POST', '/processes/commandes/stop', { ...ok(), ...headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
    }
    assert.deepEqual(calls, []);
  });

  test('a handler that throws is a 500 answer, not a crash', async () => {
    const failing = await startControlServer(
      {
        status: () => {
          throw new Error('boom');
        },
        stop: async () => {
          throw new Error('cannot stop');
        },
        start: async () => fakeStatus('x'),
      },
      secret,
    );
    try {
      const headers = { host: `127.0.0.1:${failing.port}`, [SECRET_HEADER]: secret };
      assert.equal((await raw(failing.port, 'GET', '/status', headers)).status, 500);
      assert.equal((await raw(failing.port, 'POST', '/processes/commandes/stop', headers)).status, 500);
      assert.equal((await raw(failing.port, 'POST', '/processes/commandes/start', headers)).status, 200);
    } finally {
      await failing.close();
    }
  });

  test('a companion request (secret, Host 127.0.0.1 or localhost, no Origin) is served', async () => {
    const res = await raw(server.port, 'POST', '/processes/commandes/stop', ok());
    assert.equal(res.status, 200);
    assert.equal((await raw(server.port, 'POST', '/processes/commandes/start', { ...ok(), host: `localhost:${server.port}` })).status, 200);
    assert.deepEqual(calls, ['stop commandes', 'start commandes']);
  });
});

describe("the launcher's control port (real launcher)", { timeout: 180_000 }, () => {
  let launcher: TestLauncher;
  const pidOf = async (name: string) => (await launcher.status()).processes.find((p) => p.name === name)!.pid;

  before(async () => {
    launcher = await startLauncher({ only: ['catalogue-1'] });
  });
  after(() => launcher?.stop());

  test('POST /processes/%E0/stop is a 400 and the launcher and its children keep running', async () => {
    const { controlPort, secret } = launcher.info();
    const pid = await pidOf('catalogue-1');
    const res = await raw(controlPort, 'POST', '/processes/%E0/stop', { [SECRET_HEADER]: secret ?? '' });
    assert.equal(res.status, 400);
    assert.ok(launcher.alive(), `the launcher died:\n${launcher.output().slice(-3000)}`);
    assert.equal(await pidOf('catalogue-1'), pid);
    assert.ok(pid !== null && isAlive(pid));
  });

  test('a stop without the secret, from a foreign Host or with an Origin stops nothing', async () => {
    const { controlPort, secret } = launcher.info();
    const pid = await pidOf('catalogue-1');
    assert.equal((await raw(controlPort, 'POST', '/processes/catalogue-1/stop')).status, 401);
    assert.equal((await raw(controlPort, 'GET', '/status')).status, 401);
    const withSecret = { [SECRET_HEADER]: secret ?? '' };
    assert.equal(
      (await raw(controlPort, 'POST', '/processes/catalogue-1/stop', { ...withSecret, host: `rebound.example:${controlPort}` })).status,
      403,
    );
    assert.equal(
      (await raw(controlPort, 'POST', '/processes/catalogue-1/stop', { ...withSecret, origin: 'http://rebound.example' })).status,
      403,
    );
    assert.equal(await pidOf('catalogue-1'), pid);
    assert.ok(pid !== null && isAlive(pid));
  });

  test('supervisor.json, which holds the secret, is readable by its owner only', () => {
    const mode = statSync(path.join(launcher.dataDir, 'supervisor.json')).mode & 0o777;
    assert.equal(mode.toString(8), '600');
    assert.match(launcher.info().secret ?? '', /^[\w-]{40,}$/);
  });

  test('npm run status and npm run service stop|start still work', async () => {
    const status = await launcher.command('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^catalogue-1\s+\d+\s+up/m);
    const stop = await launcher.command('service', 'stop', 'catalogue-1');
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await launcher.status()).processes.find((p) => p.name === 'catalogue-1')!.state, 'stopped');
    const start = await launcher.command('service', 'start', 'catalogue-1');
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /catalogue-1 is up/);
  });
});
