/** Gateway process: Kong-compatible proxy on GATEWAY_PORT, admin API on GATEWAY_ADMIN_PORT. */
import { createLogger } from '../platform/logger.ts';
import { runMain } from '../platform/runtime.ts';
import { loadGatewayConfig } from './infrastructure/config.ts';
import { startGateway } from './gateway.ts';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const given = process.env.LOG_LEVEL as (typeof LEVELS)[number] | undefined;
// An invalid LOG_LEVEL is reported by loadGatewayConfig; the logger just falls back meanwhile.
const log = createLogger('gateway', given && LEVELS.includes(given) ? given : 'info');

await runMain('gateway', () => startGateway(loadGatewayConfig(), { log }), log);
