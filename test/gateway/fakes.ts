/** Small upstream servers for gateway tests: they answer /health and echo what they received. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpstream {
  name: string;
  port: number;
  address: string;
  /** Requests received (health probes excluded). */
  hits: number;
  /** When true, every request (health included) is accepted and never answered, like a SIGSTOPped process. */
  frozen: boolean;
  close: () => Promise<void>;
}

export async function startFakeUpstream(name: string): Promise<FakeUpstream> {
  const held: http.ServerResponse[] = [];
  const fake: FakeUpstream = { name, port: 0, address: '', hits: 0, frozen: false, close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (fake.frozen) {
      held.push(res);
      return;
    }
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'healthy', instance: name }));
      return;
    }
    fake.hits++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        instance: name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = /^\/status\/(\d{3})/.exec(req.url ?? '')?.[1];
      res.writeHead(status ? Number(status) : 200, { 'content-type': 'application/json', 'x-instance': name }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.address = `127.0.0.1:${fake.port}`;
  let closed: Promise<void> | undefined;
  fake.close = () =>
    (closed ??= new Promise<void>((resolve) => {
      for (const res of held) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return fake;
}

export interface EchoBody {
  instance: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
