/**
 * The floor of a Node.js proxy, for `npm run bench:gateway`: node:http in front of undici, round robin over the
 * given upstreams, the answer written straight into the response through undici's `dispatch` (as our gateway's
 * forwarder does), hop-by-hop headers dropped, and nothing else: no route table, plugin, key, rate limit, request id,
 * metric or log. What our gateway costs above it is the cost of those features; what it costs above nginx is Node's.
 *
 * Usage: node --import tsx bench/bare-proxy.ts <port> <upstream host:port>... (prefix `/api/catalogue` stripped).
 */
import http from 'node:http';
import { Pool } from 'undici';

const [port, ...upstreams] = process.argv.slice(2);
if (!port || upstreams.length === 0) throw new Error('usage: bare-proxy.ts <port> <upstream host:port>...');
const pools = upstreams.map((address) => new Pool(`http://${address}`, { connections: 256, keepAliveTimeout: 30_000 }));
const PREFIX = '/api/catalogue';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
let next = 0;

/** undici's classic handler callbacks (raw header buffers, no parsing), as the gateway's forwarder uses them. */
class Answer {
  constructor(private readonly res: http.ServerResponse) {}

  onConnect(): void {}

  onError(): void {
    if (!this.res.headersSent) this.res.writeHead(502).end();
    else this.res.destroy();
  }

  onHeaders(statusCode: number, raw: Buffer[]): boolean {
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, raw[i + 1]!.toString('latin1'));
    }
    this.res.writeHead(statusCode, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  onComplete(): void {
    this.res.end();
  }
}

http
  .createServer((req, res) => {
    const url = req.url ?? '/';
    const pool = pools[next++ % pools.length]!;
    pool.dispatch(
      { path: url.startsWith(PREFIX) ? url.slice(PREFIX.length) || '/' : url, method: req.method ?? 'GET', headers: ['host', 'catalogue'] },
      new Answer(res),
    );
  })
  .listen(Number(port), '127.0.0.1', () => console.log('ready'));
