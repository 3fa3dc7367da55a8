/** Server-Sent Events over a polled table (no LISTEN/NOTIFY: see docs/adr/0002). */
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseStream {
  send: (event: string, data: unknown, id?: number | string) => void;
  comment: (text: string) => void;
  close: () => void;
  closed: () => boolean;
}

/** Open streams of one app, ended when the app closes (they would otherwise hold `app.close()`). */
export class SseStreams {
  private readonly open = new Set<SseStream>();

  start(req: FastifyRequest, reply: FastifyReply): SseStream {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    let isClosed = false;
    const stream: SseStream = {
      send: (event, data, id) => {
        if (isClosed) return;
        raw.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      comment: (text) => {
        if (!isClosed) raw.write(`: ${text}\n\n`);
      },
      close: () => {
        if (isClosed) return;
        isClosed = true;
        this.open.delete(stream);
        raw.end();
      },
      closed: () => isClosed,
    };
    req.raw.on('close', () => {
      isClosed = true;
      this.open.delete(stream);
    });
    this.open.add(stream);
    stream.comment('connected');
    return stream;
  }

  closeAll(): void {
    for (const s of [...this.open]) s.close();
  }
}

/** Polls `tick` every `intervalMs` until the stream closes or `tick` returns true (done). */
export async function pollLoop(stream: SseStream, intervalMs: number, tick: () => Promise<boolean>, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  let lastBeat = Date.now();
  while (!stream.closed() && Date.now() < until) {
    if (await tick()) break;
    if (Date.now() - lastBeat > 15_000) {
      stream.comment('keep-alive');
      lastBeat = Date.now();
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  stream.close();
}
