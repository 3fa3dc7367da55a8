/**
 * Server-Sent Events over a polled table (no LISTEN/NOTIFY: see docs/adr/0002), bounded:
 * - a cap on open streams in total (503 + Retry-After beyond) and per client (429 beyond), since each one polls
 *   the database;
 * - backpressure: when a write returns false the stream stops reading events until 'drain', and a client that does
 *   not drain within `drainTimeoutMs` is dropped, so a slow or never-reading client holds at most about one
 *   socket high-water mark plus one event in memory;
 * - a heartbeat on its own timer (also while a database read hangs), under the gateway's read timeout.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, unavailable } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { prom, type Registry } from '../../platform/metrics.ts';

export interface SseStream {
  /** Queues one event; false means the client is behind: send nothing more until `writable()` resolves. */
  send: (event: string, data: unknown, id?: number | string) => boolean;
  comment: (text: string) => void;
  /** True at once if the client keeps up, else once it drained; false if the stream closed or was dropped. */
  writable: () => Promise<boolean>;
  close: () => void;
  closed: () => boolean;
}

export interface SseLimits {
  /** Open streams of this process, all clients together (503 beyond). */
  maxStreams: number;
  /** Open streams of one client address (429 beyond). */
  maxPerClient: number;
  /** A comment line at least this often, so a proxy's read timeout never cuts a quiet stream. */
  heartbeatMs: number;
  /** How long a client that stopped reading may stay behind before it is dropped. */
  drainTimeoutMs: number;
}

/** Seconds a refused client is told to wait: streams are long-lived, so slots free up slowly. */
export const SSE_RETRY_AFTER_S = 5;

// Behind the gateway every stream comes from the gateway's address; it puts the caller's address in X-Real-IP.
// That header is trusted only from a loopback or private peer (the gateway's network): anyone else could claim
// any address. The total cap holds whatever a client claims.
const PRIVATE_PEER = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd][0-9a-f]{2}:)/i;

export function clientOf(req: FastifyRequest): string {
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const forwarded = req.headers['x-real-ip'];
  if (typeof forwarded === 'string' && /^[0-9A-Fa-f.:]{2,45}$/.test(forwarded) && PRIVATE_PEER.test(peer)) return forwarded;
  return peer || 'unknown';
}

/** Open streams of one app, ended when the app closes (they would otherwise hold `app.close()`). */
export class SseStreams {
  private readonly open = new Set<SseStream>();
  private readonly buffered = new Map<SseStream, () => number>();
  private readonly perClient = new Map<string, number>();
  private readonly refused?: prom.Counter<'reason'>;
  private readonly dropped?: prom.Counter<'reason'>;

  constructor(
    private readonly limits: SseLimits,
    private readonly log: Logger,
    registry?: Registry,
  ) {
    if (!registry) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- inside collect(), `this` is the gauge
    const streams = this;
    new prom.Gauge({
      name: 'event_store_sse_streams',
      help: 'Open SSE streams',
      registers: [registry],
      collect() {
        this.set(streams.open.size);
      },
    });
    new prom.Gauge({
      name: 'event_store_sse_buffered_bytes',
      help: 'Bytes written to SSE streams and not yet taken by the clients’ sockets, all streams together',
      registers: [registry],
      collect() {
        let total = 0;
        for (const bytes of streams.buffered.values()) total += bytes();
        this.set(total);
      },
    });
    this.refused = new prom.Counter({
      name: 'event_store_sse_refused_total',
      help: 'SSE streams refused by a cap',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.dropped = new prom.Counter({
      name: 'event_store_sse_dropped_total',
      help: 'SSE streams dropped by the server',
      labelNames: ['reason'],
      registers: [registry],
    });
    // Present from start, at 0 (dashboards and alerts read them).
    for (const reason of ['total', 'per_client']) this.refused.inc({ reason }, 0);
    this.dropped.inc({ reason: 'slow_client' }, 0);
  }

  /** Opens a stream, or throws the 429/503 `{error, details}` of a cap (before anything is written). */
  start(req: FastifyRequest, reply: FastifyReply): SseStream {
    const client = clientOf(req);
    const mine = this.admit(client, reply);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    const stream: SseStream = new ReplyStream(raw, this.limits, {
      released: () => {
        this.open.delete(stream);
        this.buffered.delete(stream);
        const left = (this.perClient.get(client) ?? 1) - 1;
        if (left > 0) this.perClient.set(client, left);
        else this.perClient.delete(client);
      },
      dropped: () => {
        this.dropped?.inc({ reason: 'slow_client' });
        this.log.warn(
          { reqId: req.id, client, url: req.url, buffered_bytes: raw.writableLength, drain_timeout_ms: this.limits.drainTimeoutMs },
          'SSE client dropped: it stopped reading',
        );
      },
    });
    this.perClient.set(client, mine + 1);
    this.open.add(stream);
    this.buffered.set(stream, () => raw.writableLength);
    stream.comment('connected');
    return stream;
  }

  /** The caps: this client's streams, then all of them. Returns how many this client has open. */
  private admit(client: string, reply: FastifyReply): number {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.maxPerClient) {
      this.refused?.inc({ reason: 'per_client' });
      reply.header('retry-after', String(SSE_RETRY_AFTER_S));
      throw new HttpError(429, 'Trop de flux SSE ouverts par ce client', {
        client,
        open: mine,
        max_per_client: this.limits.maxPerClient,
        hint: 'close a stream before opening another (SSE_MAX_STREAMS_PER_CLIENT)',
      });
    }
    if (this.open.size >= this.limits.maxStreams) {
      this.refused?.inc({ reason: 'total' });
      reply.header('retry-after', String(SSE_RETRY_AFTER_S));
      throw unavailable('Trop de flux SSE ouverts sur l’event store', {
        open: this.open.size,
        max_streams: this.limits.maxStreams,
        retry_after_s: SSE_RETRY_AFTER_S,
      });
    }
    return mine;
  }

  closeAll(): void {
    for (const s of [...this.open]) s.close();
  }
}

/** One stream over a hijacked reply: writes, backpressure, heartbeat, and the drop of a client that stopped reading. */
class ReplyStream implements SseStream {
  private isClosed = false;
  private behind = false;
  private lastWrite = Date.now();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onDrain = () => {
    this.behind = false;
  };

  constructor(
    private readonly raw: ServerResponse,
    private readonly limits: SseLimits,
    private readonly hooks: { released: () => void; dropped: () => void },
  ) {
    raw.on('drain', this.onDrain);
    // The poller stops at its next turn once the client has gone (reply 'close' also fires on a lost connection).
    raw.once('close', this.release);
    // Nothing is written while the client is behind: what is queued already keeps the connection busy.
    this.heartbeat = setInterval(
      () => {
        if (!this.behind && Date.now() - this.lastWrite >= limits.heartbeatMs / 2) this.comment('keep-alive');
      },
      Math.max(1, Math.floor(limits.heartbeatMs / 2)),
    );
    this.heartbeat.unref();
  }

  send = (event: string, data: unknown, id?: number | string): boolean => {
    if (this.isClosed) return false;
    return this.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  comment = (text: string): void => {
    if (!this.isClosed) this.write(`: ${text}\n\n`);
  };

  writable = async (): Promise<boolean> => {
    if (this.isClosed) return false;
    if (!this.behind) return true;
    const drained = await this.drainedWithin(this.limits.drainTimeoutMs);
    if (drained && !this.isClosed) return true;
    if (!this.isClosed) {
      this.hooks.dropped();
      this.release();
      // destroy, not end: end() would wait for the client to take what is buffered.
      this.raw.destroy();
    }
    return false;
  };

  close = (): void => {
    if (this.isClosed) return;
    const stuck = this.behind;
    this.release();
    // A client that is behind may never take what is queued: end() would hold the connection (and app.close()).
    if (stuck) this.raw.destroy();
    else this.raw.end();
  };

  closed = (): boolean => this.isClosed;

  private write(text: string): boolean {
    this.lastWrite = Date.now();
    const ok = this.raw.write(text);
    if (!ok) this.behind = true;
    return ok;
  }

  private drainedWithin(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.raw.off('drain', onDrained);
        this.raw.off('close', onClose);
        resolve(value);
      };
      const onDrained = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      this.raw.once('drain', onDrained);
      this.raw.once('close', onClose);
    });
  }

  private readonly release = (): void => {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.heartbeat);
    this.raw.off('drain', this.onDrain);
    this.hooks.released();
  };
}

/**
 * What one turn of a poller found: `done` (the stream ends), `idle` (caught up: wait `intervalMs` before polling
 * again) or `more` (stopped early because the client was behind or the batch was full: go on as soon as it drained).
 */
export type Turn = 'done' | 'idle' | 'more';

/**
 * Polls `tick` until the stream closes, `tick` says done or `maxMs` passed. Waits for the client to drain before
 * each read, so events are read from the database only as fast as the client takes them, and a client catching up
 * is not held to one socket buffer per poll interval.
 */
export async function pollLoop(stream: SseStream, intervalMs: number, tick: () => Promise<Turn>, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (!stream.closed() && Date.now() < until) {
    if (!(await stream.writable())) return;
    const turn = await tick();
    if (turn === 'done') break;
    if (turn === 'idle') await new Promise((r) => setTimeout(r, intervalMs));
  }
  // The last events (a checkout's final state) reach a client that is merely slow before the stream ends.
  if (await stream.writable()) stream.close();
}
