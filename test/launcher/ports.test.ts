import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { checkPorts, findPortHolder, isPortFree, listeningInodes } from '../../src/launcher/ports.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

function listen(): Promise<{ server: net.Server; port: number }> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

test('the holder of a listening port is this very process', async () => {
  const { server, port } = await listen();
  try {
    assert.ok((await listeningInodes(port)).size >= 1);
    const holder = await findPortHolder(port);
    assert.equal(holder?.pid, process.pid);
    assert.match(holder.command, /node/);
    assert.equal(await isPortFree(port), false);
    const problems = await checkPorts([{ port, owner: 'commandes', env: 'COMMANDES_PORT' }]);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      new RegExp(
        `^port ${port} \\(commandes\\) is in use by pid ${process.pid} \\(.*node.*\\): stop it \\(kill ${process.pid}\\) or set COMMANDES_PORT to another port$`,
      ),
    );
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.equal(await isPortFree(port), true);
  assert.deepEqual(await checkPorts([{ port, owner: 'commandes' }]), []);
});

test('a port configured twice is reported', async () => {
  const { server, port } = await listen();
  await new Promise((r) => server.close(r));
  const problems = await checkPorts([
    { port, owner: 'inventaire' },
    { port, owner: 'commandes', env: 'COMMANDES_PORT' },
  ]);
  assert.deepEqual(problems, [
    `port ${port} is configured for both inventaire and commandes: give one of them another port (COMMANDES_PORT)`,
  ]);
});
