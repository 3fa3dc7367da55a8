/**
 * Processes that trace their own requests and take no generic instrumentation: the gateway (issue 11 item 6). Its
 * per-request work is a few microseconds, so undici's and ioredis' instrumentations and the AsyncLocalStorage
 * context they need cost it a fifth of its throughput whether a request is sampled or not; it starts or continues
 * each trace itself, records spans only when sampled and sends exactly one `traceparent` upstream
 * (src/gateway/infrastructure/tracing.ts).
 */
const SELF_TRACED = /[\\/]gateway[\\/]main\.[cm]?[jt]s$/;

/** Whether the process's entry module (`process.argv[1]`) traces itself. */
export function tracesItself(entry: string | undefined): boolean {
  return entry !== undefined && SELF_TRACED.test(entry);
}
