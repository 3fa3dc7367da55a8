/**
 * Fixed-window rate limiting as Kong's rate-limiting plugin does it: one counter per window (second, minute,
 * hour) and per identity, named after the window's start, so every gateway node sharing the store counts
 * into the same key. Headers follow Kong 3.6: `X-RateLimit-Limit-<Window>`, `X-RateLimit-Remaining-<Window>`,
 * `RateLimit-Limit/Remaining/Reset` for the tightest window, and `Retry-After` once a limit is passed.
 */
export const WINDOW_SECONDS = { second: 1, minute: 60, hour: 3600 } as const;
export type WindowName = keyof typeof WINDOW_SECONDS;

export interface WindowLimit {
  window: WindowName;
  limit: number;
}

export interface WindowCounter {
  window: WindowName;
  limit: number;
  key: string;
  /** Lifetime of the counter key, seconds (the window plus a margin for clock skew between nodes). */
  ttlSeconds: number;
  /** Seconds until this window ends (≥ 1). */
  resetSeconds: number;
  /** When this window ends (epoch ms). */
  endsAtMs: number;
}

export function windowCounters(prefix: string, identity: string, limits: readonly WindowLimit[], nowMs: number): WindowCounter[] {
  return limits.map(({ window, limit }) => {
    const size = WINDOW_SECONDS[window];
    const start = Math.floor(nowMs / 1000 / size) * size;
    return {
      window,
      limit,
      key: `${prefix}:${identity}:${window}:${start}`,
      ttlSeconds: size + 1,
      resetSeconds: Math.max(1, Math.ceil(start + size - nowMs / 1000)),
      endsAtMs: (start + size) * 1000,
    };
  });
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Seconds to wait, set when refused. */
  retryAfter?: number;
}

const capitalise = (s: string) => s[0]!.toUpperCase() + s.slice(1);
/** Each window's header names, built once (they are on every answer). */
const HEADER_NAMES = Object.fromEntries(
  Object.keys(WINDOW_SECONDS).map((w) => [
    w,
    { limit: `X-RateLimit-Limit-${capitalise(w)}`, remaining: `X-RateLimit-Remaining-${capitalise(w)}` },
  ]),
) as Record<WindowName, { limit: string; remaining: string }>;

/** `counts[i]` is the counter of `counters[i]` after this request was counted. */
export function decide(counters: readonly WindowCounter[], counts: readonly number[]): RateDecision {
  const headers: Record<string, string> = {};
  let allowed = true;
  let retryAfter = 0;
  let tightest: { limit: number; remaining: number; reset: number } | undefined;
  counters.forEach((c, i) => {
    const used = counts[i] ?? 0;
    const remaining = Math.max(0, c.limit - used);
    const names = HEADER_NAMES[c.window];
    headers[names.limit] = String(c.limit);
    headers[names.remaining] = String(remaining);
    if (used > c.limit) {
      allowed = false;
      retryAfter = Math.max(retryAfter, c.resetSeconds);
    }
    if (tightest === undefined || remaining < tightest.remaining) tightest = { limit: c.limit, remaining, reset: c.resetSeconds };
  });
  if (tightest) {
    headers['RateLimit-Limit'] = String(tightest.limit);
    headers['RateLimit-Remaining'] = String(tightest.remaining);
    headers['RateLimit-Reset'] = String(tightest.reset);
  }
  if (!allowed) {
    headers['Retry-After'] = String(retryAfter);
    return { allowed, headers, retryAfter };
  }
  return { allowed, headers };
}
