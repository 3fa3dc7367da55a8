/**
 * A process that logs through the gateway's BatchedDestination, for log-destination.test.ts:
 * `log-writer.ts <lines> <how>` writes `lines` numbered lines, alternating the access log's hand-written lines and
 * the logger's own, then ends as `how` says: `exit` (process.exit), `drain` (nothing left to do: beforeExit), or
 * `live` (stays up until killed, so the periodic hand-over is what brings the lines out).
 */
import { createLogger } from '../../../src/platform/logger.ts';
import { accessLogOf } from '../../../src/gateway/infrastructure/access-log.ts';
import { BatchedDestination } from '../../../src/gateway/infrastructure/log-destination.ts';

const [lines, how] = [Number(process.argv[2]), process.argv[3]];
const log = createLogger('gateway', 'info', new BatchedDestination());
const access = accessLogOf(log);
for (let i = 0; i < lines; i++) {
  if (i % 2 === 0)
    access.request({
      reqId: `r-${i}`,
      method: 'GET',
      path: `/line/${i}`,
      status: 200,
      ms: 1,
      route: 'r',
      target: undefined,
      consumer: '',
      aborted: false,
      trace: undefined,
    });
  else log.info({ n: i }, `line ${i}`);
}
if (how === 'exit') process.exit(0);
if (how === 'live') setInterval(() => undefined, 60_000);
