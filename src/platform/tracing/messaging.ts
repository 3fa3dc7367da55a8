/**
 * Spans for the bus, by the OpenTelemetry messaging semantic conventions (messaging spans, v1.27+):
 *
 * - `create <stream>` (PRODUCER) when an event is added to the outbox, inside the transaction that commits it. Its
 *   context, as a `traceparent`, travels with the entry (beside `correlation_id`): the relay publishes it later,
 *   from another trace, and the consumer reads it from the stream.
 * - `send <stream>` (CLIENT: the entries already have their create spans) around the relay's publish of a batch,
 *   linked to each entry's create span.
 * - `process <stream>` (CONSUMER) around a consumer's handling of one entry: a new trace linked to the entry's
 *   create span by default, so a checkout's trace does not grow across every saga step and retry; its child when
 *   OTEL_CONSUMER_PARENT=child.
 *
 * The correlation id (the checkout id) is the conversation id on every one of them.
 */
import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { ConsumerParent } from './config.ts';
import { currentTracing } from './state.ts';
import { formatTraceparent, parseTraceparent } from './traceparent.ts';

export const TRACER_NAME = 'ecommerce-event-driven/bus';
const tracer = (): Tracer => trace.getTracer(TRACER_NAME);

/**
 * Tracing off (no SDK started in this process): every span would be a no-op, so none is built. Building the
 * attributes, links and contexts of a `process` span cost a consumer a fifth of its CPU per entry (issue 10).
 */
const off = (): boolean => currentTracing()?.enabled !== true;
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The messaging.* attribute names used here. */
export const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  group: 'messaging.consumer.group.name',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  batchCount: 'messaging.batch.message_count',
  redisId: 'messaging.redis.stream_entry_id',
  eventType: 'messaging.event.type',
} as const;

/** What the helpers need of an event or entry (an EventEnvelope fits). */
export interface MessageRef {
  stream: string;
  event_id: string;
  correlation_id: string;
  type?: string;
}

/** An entry as read back: its message plus the `traceparent` stored with it (absent for entries from before tracing). */
export interface TracedEntry extends MessageRef {
  traceparent?: string | null | undefined;
  /** The Redis stream entry id, once published. */
  redisId?: string;
}

function messageAttributes(m: MessageRef, operation: 'create' | 'send' | 'process'): Attributes {
  return {
    [ATTR.system]: 'redis',
    [ATTR.operationType]: operation,
    [ATTR.destination]: m.stream,
    [ATTR.messageId]: m.event_id,
    [ATTR.conversationId]: m.correlation_id,
    ...(m.type ? { [ATTR.eventType]: m.type } : {}),
  };
}

/**
 * Records the `create` span of an event added to the outbox, as a child of the active span (the HTTP request or
 * the consumer's process span), and returns the `traceparent` to store with the entry; null when nothing is traced.
 */
export function createSpan(event: MessageRef): string | null {
  if (off()) return null;
  const span = tracer().startSpan(`create ${event.stream}`, {
    kind: SpanKind.PRODUCER,
    attributes: { ...messageAttributes(event, 'create'), [ATTR.operationName]: 'outbox insert' },
  });
  span.end();
  return formatTraceparent(span.spanContext());
}

/** Links to the entries' create spans; entries without a valid traceparent add none. */
export function linksOf(entries: readonly TracedEntry[]): Link[] {
  const links: Link[] = [];
  for (const e of entries) {
    const ctx = parseTraceparent(e.traceparent);
    if (ctx) links.push({ context: ctx, attributes: { [ATTR.messageId]: e.event_id } });
  }
  return links;
}

/**
 * Runs `publish` (the relay's XADD pipeline) inside a `send` span linked to each entry it carries, so Redis' own
 * span is its child. A batch across several streams names none (the conventions' rule for mixed destinations).
 */
export async function sendSpan<T>(entries: readonly TracedEntry[], publish: (span: Span) => Promise<T>): Promise<T> {
  if (off()) return publish(NO_SPAN);
  const streams = new Set(entries.map((e) => e.stream));
  const only = streams.size === 1 ? [...streams][0]! : undefined;
  const conversations = new Set(entries.map((e) => e.correlation_id));
  const attributes: Attributes = {
    [ATTR.system]: 'redis',
    [ATTR.operationType]: 'send',
    [ATTR.operationName]: 'xadd',
    [ATTR.batchCount]: entries.length,
    ...(only ? { [ATTR.destination]: only } : {}),
    // A batch of one message carries its ids, as a single send would.
    ...(entries.length === 1 ? { [ATTR.messageId]: entries[0]!.event_id, [ATTR.conversationId]: entries[0]!.correlation_id } : {}),
    ...(entries.length > 1 && conversations.size === 1 ? { [ATTR.conversationId]: [...conversations][0]! } : {}),
  };
  // A new trace: the relay's loop is not part of any request, and its links say which requests it served.
  return tracer().startActiveSpan(
    `send ${only ?? 'multiple'}`,
    { kind: SpanKind.CLIENT, attributes, links: linksOf(entries), root: true },
    (span) => finish(span, publish),
  );
}

export interface ProcessOptions {
  group: string;
  /** Link (default: OTEL_CONSUMER_PARENT, else link) or parent-child. */
  parent?: ConsumerParent;
  /** This delivery's attempt number. */
  deliveries?: number;
}

/**
 * Runs a consumer's `handle` of one entry inside its `process` span. Everything the handler does (database,
 * participant calls, the next events' create spans) is recorded under it. A malformed or absent traceparent gives
 * a new trace without a link, never an error.
 */
export async function processSpan<T>(entry: TracedEntry, options: ProcessOptions, handle: (span: Span) => Promise<T>): Promise<T> {
  if (off()) return handle(NO_SPAN);
  const mode = options.parent ?? currentTracing()?.config.consumerParent ?? 'link';
  const producer = parseTraceparent(entry.traceparent);
  const attributes: Attributes = {
    ...messageAttributes(entry, 'process'),
    [ATTR.operationName]: 'handle',
    [ATTR.group]: options.group,
    ...(entry.redisId ? { [ATTR.redisId]: entry.redisId } : {}),
    ...(options.deliveries !== undefined ? { 'messaging.redis.delivery_count': options.deliveries } : {}),
  };
  let parent: Context;
  let links: Link[] = [];
  if (producer && mode === 'child') parent = trace.setSpanContext(context.active(), producer);
  else {
    parent = trace.deleteSpan(context.active());
    if (producer) links = [{ context: producer }];
  }
  return tracer().startActiveSpan(`process ${entry.stream}`, { kind: SpanKind.CONSUMER, attributes, links }, parent, (span) =>
    finish(span, handle),
  );
}

/**
 * Runs the handling of several entries at once (an observer's `handleAll`: one transaction for a read) inside ONE
 * `process` span linked to each entry's create span: the conventions' form for batch processing, since no single
 * entry is its parent. Always a new trace, whatever OTEL_CONSUMER_PARENT says.
 */
export async function processBatchSpan<T>(
  entries: readonly TracedEntry[],
  options: ProcessOptions,
  handle: (span: Span) => Promise<T>,
): Promise<T> {
  if (off()) return handle(NO_SPAN);
  const streams = new Set(entries.map((e) => e.stream));
  const only = streams.size === 1 ? [...streams][0]! : undefined;
  const conversations = new Set(entries.map((e) => e.correlation_id));
  const attributes: Attributes = {
    [ATTR.system]: 'redis',
    [ATTR.operationType]: 'process',
    [ATTR.operationName]: 'handle',
    [ATTR.group]: options.group,
    [ATTR.batchCount]: entries.length,
    ...(only ? { [ATTR.destination]: only } : {}),
    ...(conversations.size === 1 ? { [ATTR.conversationId]: [...conversations][0]! } : {}),
  };
  return tracer().startActiveSpan(
    `process ${only ?? 'multiple'}`,
    { kind: SpanKind.CONSUMER, attributes, links: linksOf(entries), root: true },
    (span) => finish(span, handle),
  );
}

async function finish<T>(span: Span, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await work(span);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
    throw error;
  } finally {
    span.end();
  }
}
