/**
 * JSON logs (pino). Every line carries `service`; request logs carry `reqId`, and handlers add
 * `correlation_id` (the checkout id) through child loggers so one grep follows a checkout across processes.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { traceMixin } from './tracing/index.ts';

export type { Logger };

/** `destination`: where lines go (default stdout); tests pass a stream to read what was logged. */
export function createLogger(service: string, level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // A line written inside a span carries trace_id and span_id (nothing without tracing).
      mixin: traceMixin,
      // Credentials never reach a log line, whatever logs the request: API keys, and session cookies (the web console).
      redact: {
        paths: [
          'req.headers["x-api-key"]',
          'headers["x-api-key"]',
          'req.headers.cookie',
          'headers.cookie',
          'res.headers["set-cookie"]',
          'headers["set-cookie"]',
          '*.apiKey',
          'apiKey',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
