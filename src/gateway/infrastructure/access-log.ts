/**
 * The access log: one JSON line per request, in the logger's format (pino's: level, time, the logger's bindings,
 * the fields, msg) and into the logger's own destination, but written here as one string. pino would run its mixin,
 * its redaction and its generic serialiser on every line, a few microseconds a request that a line of known fields
 * does not need (issue 10). The values that come from the client (the path) are JSON-escaped; the rest are the
 * gateway's own (validated request id, method token, configured names).
 */
import { pino } from 'pino';
import type { Logger } from '../../platform/logger.ts';
import type { AccessEntry, AccessLog } from '../application/ports.ts';

interface Writable {
  write(line: string): unknown;
}

/** The values that come from the configuration (route, target, consumer), JSON-quoted once each: their number is bounded. */
function quoter(): (value: string) => string {
  const quoted = new Map<string, string>();
  return (value) => {
    let q = quoted.get(value);
    if (q === undefined) quoted.set(value, (q = JSON.stringify(value)));
    return q;
  };
}

/** `new Date().toISOString()`, computed once per millisecond: a busy gateway logs several lines in each. */
function clock(): () => string {
  let lastMs = -1;
  let iso = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      iso = new Date(now).toISOString();
    }
    return iso;
  };
}

export function accessLogOf(log: Logger): AccessLog {
  const symbols = pino.symbols as unknown as { streamSym: symbol; chindingsSym: symbol };
  const stream = (log as unknown as Record<symbol, Writable>)[symbols.streamSym]!;
  const bindings = (log as unknown as Record<symbol, string>)[symbols.chindingsSym] ?? '';
  const info = log.isLevelEnabled('info');
  const error = log.isLevelEnabled('error');
  const q = quoter();
  const time = clock();
  return {
    request(e: AccessEntry): void {
      const failed = e.status >= 500;
      if (!(failed ? error : info)) return;
      let line = `{"level":"${failed ? 'error' : 'info'}","time":"${time()}"${bindings}`;
      if (e.trace) line += `,"trace_id":"${e.trace.trace_id}","span_id":"${e.trace.span_id}"`;
      // The request id is the correlation-id plugin's (validated: [A-Za-z0-9._:-]) and the method a token the
      // HTTP parser accepted: neither needs escaping. The path comes from the client and is escaped.
      line += `,"reqId":"${e.reqId}","method":"${e.method}","path":${JSON.stringify(e.path)}`;
      line += `,"status":${e.status},"ms":${e.ms}`;
      if (e.route) line += `,"route":${q(e.route)}`;
      if (e.target) line += `,"target":${q(e.target)}`;
      if (e.consumer) line += `,"consumer":${q(e.consumer)}`;
      if (e.aborted) line += ',"aborted":true';
      stream.write(`${line},"msg":"request"}\n`);
    },
  };
}
