/** rate-limiting: per consumer, or per client IP where no consumer is known; headers unless hidden (Kong's hide_client_headers). */
import type { RateLimiter } from '../rate-limiter.ts';
import { clientIp, kongError, MESSAGES, type Plugin } from './plugin.ts';

export function rateLimiting(limiter: RateLimiter, hideHeaders: boolean): Plugin {
  return {
    name: 'rate-limiting',
    async access(call) {
      const decision = await limiter.check(call.consumer ?? clientIp(call.req));
      if (!decision) return 'next';
      if (!hideHeaders || !decision.allowed) {
        const { headers } = decision;
        for (const name in headers) {
          if (hideHeaders && name !== 'Retry-After') continue;
          call.ctx.headers.push(name, headers[name]!);
        }
      }
      return decision.allowed ? 'next' : kongError(call.res, call.ctx, 429, MESSAGES.rateLimited);
    },
  };
}
