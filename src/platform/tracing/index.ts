/**
 * Tracing for application code (the bus, the logger, the gateway, the runtime). The SDK itself is started by
 * preload.ts before the application; without it (tests, OTEL_SDK_DISABLED=true) these all do nothing.
 */
export {
  createSpan,
  linksOf,
  processBatchSpan,
  processSpan,
  sendSpan,
  ATTR,
  type MessageRef,
  type TracedEntry,
  type ProcessOptions,
} from './messaging.ts';
export { traceMixin } from './log-mixin.ts';
export { contextFromTraceparent, formatTraceparent, parseTraceparent } from './traceparent.ts';
export { currentTracing, shutdownTracing } from './state.ts';
