/** Gateway process: Kong-compatible proxy on GATEWAY_PORT, admin API on GATEWAY_ADMIN_PORT. */
import { createLogger } from '../platform/logger.ts';
import { runMain } from '../platform/runtime.ts';
import { loadGatewayConfig } from './infrastructure/config.ts';
import { BatchedDestination } from './infrastructure/log-destination.ts';
import { startGateway } from './gateway.ts';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const given = process.env.LOG_LEVEL as (typeof LEVELS)[number] | undefined;
// An invalid LOG_LEVEL is reported by loadGatewayConfig; the logger just falls back meanwhile.
const log = createLogger('gateway', given && LEVELS.includes(given) ? given : 'info', new BatchedDestination());

/**
 * Under `npm start` (GATEWAY_OPEN_ON_RELEASE=1 and an IPC channel) the gateway loads with the services but opens its
 * ports only when the supervisor says every service behind it is ready: its start-up is off the critical path.
 */
function openOnRelease(): (() => Promise<void>) | undefined {
  if (process.env.GATEWAY_OPEN_ON_RELEASE !== '1' || !process.send) return undefined;
  return () =>
    new Promise<void>((resolve) => {
      const onMessage = (message: unknown) => {
        if ((message as { type?: unknown }).type !== 'open') return;
        process.off('message', onMessage);
        process.channel?.unref(); // the channel must not keep the process alive once it is open
        resolve();
      };
      process.on('message', onMessage);
      process.send!({ type: 'gateway-loaded' });
    });
}

await runMain('gateway', () => startGateway(loadGatewayConfig(), { log, openWhen: openOnRelease() }), log);
