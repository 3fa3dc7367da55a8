/**
 * The gateway's log destination: pino's (sonic-boom, asynchronous) behind a batch of our own, like nginx's
 * `access_log … buffer=`. sonic-boom measures the byte length of its last pending string on every write, which
 * flattens a string growing line by line: about a microsecond a line under load (issue 10). Here lines are gathered
 * into one string and handed over by the 4 KiB, so sonic-boom does that once a batch. Every line of the logger goes
 * through the batch, so their order holds; a timer hands the rest over every second, so `npm run logs` stays live,
 * and so does the process' exit.
 */
import { writeSync } from 'node:fs';
import { pino } from 'pino';

/** sonic-boom's `destroyed` is missing from its types. */
type SonicBoom = ReturnType<typeof pino.destination> & { readonly destroyed: boolean };

export class BatchedDestination {
  private pending = '';
  private readonly sonic: SonicBoom;

  constructor(
    private readonly fd = 1,
    private readonly size = 4096,
  ) {
    // Before sonic-boom's own exit hooks (pino ends it on 'beforeExit'), so the last batch is still handed over.
    process.on('beforeExit', () => this.handOver());
    process.on('exit', () => this.flushSync());
    this.sonic = pino.destination({ dest: fd, sync: false }) as SonicBoom;
    // With a callback flush never throws (a destroyed stream reports an error we have no use for).
    setInterval(() => this.flush(() => undefined), 1_000).unref();
  }

  write(line: string): boolean {
    this.pending += line;
    if (this.pending.length >= this.size) this.handOver();
    return true;
  }

  flush(cb: (err?: Error) => void): void {
    this.handOver();
    if (this.sonic.destroyed) cb();
    else this.sonic.flush(cb);
  }

  flushSync(): void {
    this.handOver();
    if (!this.sonic.destroyed) this.sonic.flushSync();
  }

  /** Gives the batch to sonic-boom, or writes it synchronously once pino has ended sonic-boom (at exit). */
  private handOver(): void {
    const batch = this.pending;
    if (batch === '') return;
    this.pending = '';
    if (!this.sonic.destroyed) this.sonic.write(batch);
    else writeSync(this.fd, batch);
  }
}
