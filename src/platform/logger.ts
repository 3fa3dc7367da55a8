/**
 * JSON logs (pino). Every line carries `service`; request logs carry `reqId`, and handlers add
 * `correlation_id` (the checkout id) through child loggers so one grep follows a checkout across processes.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(service: string, level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Credentials never reach a log line, whatever logs the request.
    redact: { paths: ['req.headers["x-api-key"]', 'headers["x-api-key"]', '*.apiKey', 'apiKey'], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}
