/** rate-limiting: per consumer, or per client IP where no consumer is known; headers unless hidden (Kong's hide_client_headers). */
import type { RateLimiter } from '../rate-limiter.ts';
import type { RateDecision } from '../../domain/rate-limit.ts';
import { clientIp, kongError, MESSAGES, type Call, type Plugin, type Step } from './plugin.ts';

export function rateLimiting(limiter: RateLimiter, hideHeaders: boolean): Plugin {
  const apply = (call: Call, decision: RateDecision | undefined): Step => {
    if (!decision) return 'next';
    if (!hideHeaders || !decision.allowed) {
      const { headers } = decision;
      for (const name in headers) {
        if (hideHeaders && name !== 'Retry-After') continue;
        call.ctx.headers.push(name, headers[name]!);
      }
    }
    return decision.allowed ? 'next' : kongError(call.res, call.ctx, 429, MESSAGES.rateLimited);
  };
  return {
    name: 'rate-limiting',
    access(call) {
      const decision = limiter.check(call.consumer ?? clientIp(call.req));
      // Counted locally (sync_rate): the request goes on in this turn, with no promise.
      return decision instanceof Promise ? decision.then((d) => apply(call, d)) : apply(call, decision);
    },
  };
}
