/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: PGlite (PostgreSQL in WASM) with its data in
 * DATA_DIR/pglite, served over the wire protocol by PGLiteSocketServer so services use the normal `pg` driver.
 *
 * Run by the supervisor as its own child (`embedded-postgres.ts` is also an entry point), or in-process by
 * `npm run reset` when no supervisor runs. Exactly one process owns the data folder (lock file with its pid).
 *
 * PGlite is one backend shared by every connection: while one connection is inside a transaction, every other
 * connection waits, without timeout. A client that leaves a transaction open (crashed mid-request, bug) would
 * freeze the whole system, so a watchdog closes any connection idle inside a transaction for more than 2 s;
 * closing it rolls the transaction back.
 */
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createLogger, type Logger } from '../platform/logger.ts';
import { acquireLock } from './lock.ts';

export const DEFAULT_PGLITE_PORT = 54329;
export const IDLE_IN_TRANSACTION_MS = 2_000;

export interface EmbeddedPostgresOptions {
  dataDir: string;
  lockFile: string;
  port: number;
  host?: string;
  maxConnections: number;
  idleInTransactionMs?: number;
  log?: Logger;
}

export interface EmbeddedPostgres {
  port: number;
  url: string;
  /** Connections the watchdog closed so far. */
  killed: () => number;
  stop: () => Promise<void>;
}

/**
 * The private state of pglite-socket 0.2.17 (pinned) that the watchdog needs. The library has no public way
 * to ask which connection owns the open transaction, nor to drop a connection: the queue manager's
 * `lastHandlerId` is the handler whose query ran last (inside a transaction only that handler's queries run,
 * so it is the owner), `processing` tells whether a query is executing right now, and each handler's
 * `lastActivityTime` is when its client last sent bytes. This narrow cast is the only place that reaches into
 * them; `checkInternals` fails loudly at start if an upgrade changes their shape.
 */
interface HandlerInternals {
  readonly handlerId: number;
  readonly isAttached: boolean;
  lastActivityTime: number;
  detach(close?: boolean): Promise<unknown>;
}
interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
  onData: (data: Uint8Array) => void;
}
interface QueueInternals {
  lastHandlerId: number | null;
  processing: boolean;
  queue: QueuedMessage[];
  /** Ours: the last handler sent part of an extended-query sequence (Parse…Sync) and must finish it alone. */
  midSequence?: boolean;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}
interface ServerInternals {
  handlers: Set<HandlerInternals>;
  queryQueue: QueueInternals;
}

/** Extended-query protocol messages that leave a sequence open until the client's Sync. */
const MID_SEQUENCE = new Set([
  0x50 /* Parse */, 0x42 /* Bind */, 0x44 /* Describe */, 0x45 /* Execute */, 0x43 /* Close */, 0x48 /* Flush */,
]);

/**
 * pglite-socket 0.2.17 queues each protocol message on its own and, outside a transaction, takes the next
 * message of ANY connection. With several connections using the extended protocol (node-postgres does for every
 * parameterised query), one connection's Parse/Bind/Execute interleave with another's on PGlite's single session:
 * "unnamed prepared statement does not exist", "portal does not exist", wrong parameters bound. We replace the
 * queue's scheduler (same code, one more rule): a connection that has started a Parse…Sync sequence keeps the
 * session until its Sync, exactly as one inside a transaction keeps it until COMMIT. The library's error path also
 * left `processing` stuck at true (every later query hung); this one carries on.
 */
export function keepExtendedQueriesWhole(db: PGlite, server: PGLiteSocketServer): void {
  const queue = internalsOf(server).queryQueue;
  if (!Array.isArray(queue.queue) || typeof queue.processQueue !== 'function' || typeof queue.clearQueueForHandler !== 'function') {
    throw new Error('@electric-sql/pglite-socket internals changed: the query scheduler needs updating');
  }
  queue.midSequence = false;
  queue.processQueue = async function processQueue(this: QueueInternals): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const pinned = (db.isInTransaction() || this.midSequence) && this.lastHandlerId !== null;
        let item: QueuedMessage | undefined;
        if (pinned) {
          const at = this.queue.findIndex((q) => q.handlerId === this.lastHandlerId);
          if (at === -1) break; // wait for the owner's next message
          item = this.queue.splice(at, 1)[0];
        } else item = this.queue.shift();
        if (!item) break;
        let bytes = 0;
        const current = item;
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(current.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                current.onData(data);
              },
            }),
          );
        } catch (error) {
          this.lastHandlerId = current.handlerId;
          this.midSequence = false;
          current.reject(error);
          continue;
        }
        this.lastHandlerId = current.handlerId;
        this.midSequence = MID_SEQUENCE.has(current.message[0] ?? 0);
        current.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  // A connection that goes away mid-sequence must not keep the session pinned.
  const clearQueueForHandler = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clearQueueForHandler(handlerId);
    if (queue.lastHandlerId === handlerId && queue.midSequence) {
      queue.midSequence = false;
      queueMicrotask(() => void queue.processQueue());
    }
  };
}

function internalsOf(server: PGLiteSocketServer): ServerInternals {
  const internals = server as unknown as ServerInternals;
  if (
    !(internals.handlers instanceof Set) ||
    typeof internals.queryQueue?.clearTransactionIfNeeded !== 'function' ||
    !('lastHandlerId' in internals.queryQueue)
  ) {
    throw new Error('@electric-sql/pglite-socket internals changed: the idle-in-transaction watchdog needs updating');
  }
  return internals;
}

/** Closes connections idle inside a transaction for longer than `limitMs`; returns its stopper. */
export function startWatchdog(db: PGlite, server: PGLiteSocketServer, limitMs: number, log: Logger, onKill: () => void): () => void {
  const internals = internalsOf(server);
  let lastBusy = Date.now();
  let orphanSince: number | undefined;
  let killing = false;
  const tick = async () => {
    if (killing) return;
    const now = Date.now();
    if (!db.isInTransaction() && !internals.queryQueue.midSequence) {
      orphanSince = undefined;
      return;
    }
    const queue = internals.queryQueue;
    if (!db.isInTransaction() && !queue.midSequence) return;
    // A statement running right now (even a long one) is not idleness.
    if (queue.processing) {
      lastBusy = now;
      return;
    }
    const owner = queue.lastHandlerId;
    const handler = [...internals.handlers].find((h) => h.handlerId === owner);
    killing = true;
    try {
      if (handler) {
        const idleFor = now - Math.max(handler.lastActivityTime, lastBusy);
        if (idleFor <= limitMs) return;
        log.warn(
          { handler: owner, idleMs: idleFor },
          'closing a connection idle in transaction (rolled back): it blocked every other connection',
        );
        // detach(true) rolls back the transaction it owns and closes the socket, but it removes the socket's
        // listeners first, so the server never hears `close`: drop the handler from its set ourselves or the
        // connection slot would leak.
        await handler.detach(true);
        internals.handlers.delete(handler);
        onKill();
      } else if (owner !== null) {
        // The owning connection is gone but its transaction stayed open: roll it back.
        orphanSince ??= now;
        if (now - orphanSince <= limitMs) return;
        log.warn({ handler: owner }, 'rolling back a transaction left open by a closed connection');
        await queue.clearTransactionIfNeeded(owner);
        orphanSince = undefined;
        onKill();
      }
    } catch (error) {
      log.error({ err: error }, 'watchdog could not close the idle transaction');
    } finally {
      killing = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(50, Math.min(250, limitMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? createLogger('pglite');
  const host = options.host ?? '127.0.0.1';
  await mkdir(path.dirname(options.lockFile), { recursive: true, mode: 0o700 });
  const release = await acquireLock(options.lockFile);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    // The whole database (orders, customers): its owner only, also when an older version left it 0755.
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    await chmod(options.dataDir, 0o700);
    const t0 = Date.now();
    db = await PGlite.create(options.dataDir);
    server = new PGLiteSocketServer({ db, port: options.port, host, maxConnections: options.maxConnections });
    keepExtendedQueriesWhole(db, server);
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    let killed = 0;
    const stopWatchdog = startWatchdog(db, server, options.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS, log, () => killed++);
    log.info(
      { port, maxConnections: options.maxConnections, dataDir: options.dataDir, ms: Date.now() - t0 },
      'embedded PostgreSQL (PGlite) listening',
    );
    let stopped: Promise<void> | undefined;
    const [openDb, openServer] = [db, server];
    return {
      port,
      url: `postgres://postgres@${host}:${port}/postgres`,
      killed: () => killed,
      stop: () =>
        (stopped ??= (async () => {
          stopWatchdog();
          await openServer.stop().catch(() => undefined);
          await openDb.close().catch(() => undefined);
          await release();
        })()),
    };
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await release();
    throw error;
  }
}

/** Entry point when run as the supervisor's child; configured by PGLITE_* variables. */
async function main(): Promise<void> {
  const log = createLogger('pglite', (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info');
  const env = process.env;
  let pg: EmbeddedPostgres;
  try {
    pg = await startEmbeddedPostgres({
      dataDir: env.PGLITE_DATA_DIR ?? path.resolve('.data/pglite'),
      lockFile: env.PGLITE_LOCK_FILE ?? path.resolve('.data/pglite.lock'),
      port: Number(env.PGLITE_PORT ?? DEFAULT_PGLITE_PORT),
      host: env.PGLITE_HOST ?? '127.0.0.1',
      maxConnections: Number(env.PGLITE_MAX_CONNECTIONS ?? 64),
      log,
    });
  } catch (error) {
    log.fatal({ err: error }, `embedded PostgreSQL failed to start: ${(error as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'stopping embedded PostgreSQL');
    setTimeout(() => process.exit(1), 5_000).unref();
    void pg.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Under the supervisor, Ctrl-C reaches the whole process group: the supervisor stops the database only
  // after the services have finished their in-flight work, so SIGINT is ignored here then.
  process.on('SIGINT', () => (process.connected ? undefined : shutdown('SIGINT')));
  // The supervisor died without stopping us: do not keep the data folder locked forever.
  process.on('disconnect', () => shutdown('supervisor gone'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main();
}
