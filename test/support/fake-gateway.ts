/**
 * A fake gateway: a node:http server standing in for KONG_URL, answering JSON from scripted rules and recording
 * every call. Rules match a method ('*' for any) and a path; the latest rule added wins; unmatched calls get 404.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Call {
  method: string;
  path: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  at: number;
}

/** A scripted answer: status, JSON body and extra headers, or 'hang' (never answers). */
export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';
/** `n` counts the calls this rule has answered, this one included. */
export type Responder = (call: Call, n: number) => Answer;
export interface FakeRoute {
  method: string;
  match: RegExp;
  answer: Responder;
}

export interface FakeGateway {
  url: string;
  calls: Call[];
  /** Adds a rule ('*': any method); it wins over every earlier one. */
  on: (method: string, match: RegExp, answer: Responder) => void;
  callsTo: (method: string, match: RegExp) => Call[];
  /** Back to the default rules, calls forgotten, hung requests closed. */
  reset: () => void;
  close: () => Promise<void>;
}

const methodMatches = (rule: string, method: string) => rule === '*' || rule === method;

export async function startFakeGateway(defaults: () => FakeRoute[] = () => []): Promise<FakeGateway> {
  const calls: Call[] = [];
  const fresh = () => defaults().map((r) => ({ ...r, n: 0 }));
  let rules = fresh();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      let body: unknown = raw;
      try {
        body = raw === '' ? null : JSON.parse(raw);
      } catch {
        // keep the text
      }
      const call: Call = { method: req.method ?? '', path: req.url ?? '', body, headers: req.headers, at: Date.now() };
      calls.push(call);
      const rule = rules.find((r) => methodMatches(r.method, call.method) && r.match.test(call.path));
      const answer: Answer = rule ? rule.answer(call, ++rule.n) : { status: 404, body: { error: 'no route', details: {} } };
      if (answer === 'hang') return; // never answers; closed by reset() or close()
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    on: (method, match, answer) => rules.unshift({ method, match, answer, n: 0 }),
    callsTo: (method, match) => calls.filter((c) => methodMatches(method, c.method) && match.test(c.path)),
    reset: () => {
      calls.length = 0;
      rules = fresh();
      server.closeAllConnections();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
