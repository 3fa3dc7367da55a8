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

export function accessLogOf(log: Logger): AccessLog {
  const symbols = pino.symbols as unknown as { streamSym: symbol; chindingsSym: symbol };
  const stream = (log as unknown as Record<symbol, Writable>)[symbols.streamSym]!;
  const bindings = (log as unknown as Record<symbol, string>)[symbols.chindingsSym] ?? '';
  const info = log.isLevelEnabled('info');
  const error = log.isLevelEnabled('error');
  return {
    request(e: AccessEntry): void {
      const failed = e.status >= 500;
      if (!(failed ? error : info)) return;
      let line = `{"level":"${failed ? 'error' : 'info'}","time":"${new Date().toISOString()}"${bindings}`;
      if (e.trace) line += `,"trace_id":"${e.trace.trace_id}","span_id":"${e.trace.span_id}"`;
      line += `,"reqId":${JSON.stringify(e.reqId)},"method":${JSON.stringify(e.method)},"path":${JSON.stringify(e.path)}`;
      line += `,"status":${e.status},"ms":${e.ms}`;
      if (e.route) line += `,"route":${JSON.stringify(e.route)}`;
      if (e.target) line += `,"target":${JSON.stringify(e.target)}`;
      if (e.consumer) line += `,"consumer":${JSON.stringify(e.consumer)}`;
      if (e.aborted) line += ',"aborted":true';
      stream.write(`${line},"msg":"request"}\n`);
    },
  };
}
