/**
 * Acknowledgements of the entries a group ignores (ADR 0017). Nothing commits for them, so they need not be
 * acknowledged at once: they go with the stream's next XACK (after an effect committed), or, when no read commits
 * anything meanwhile, together after `delayMs`. A crash before that leaves them pending: another consumer reclaims
 * them and ignores them again.
 */
import type { Redis } from '../redis.ts';

export class IgnoredAcks {
  private readonly waiting = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly commands: Redis,
    private readonly group: string,
    private readonly delayMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The ignored entries of a read that committed nothing: acknowledged later, several in one XACK. */
  defer(stream: string, ids: readonly string[]): void {
    if (ids.length === 0) return;
    const list = this.waiting.get(stream);
    if (list) list.push(...ids);
    else this.waiting.set(stream, [...ids]);
    this.timer ??= setTimeout(() => void this.flush().catch(this.onError), this.delayMs);
  }

  /** The waiting ids of `stream`, for an XACK about to be sent (they leave the waiting list). */
  take(stream: string): string[] {
    const ids = this.waiting.get(stream) ?? [];
    this.waiting.delete(stream);
    return ids;
  }

  /** Acknowledges everything waiting (timer, stop). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.waiting];
    this.waiting.clear();
    for (const [stream, ids] of all) await this.commands.xack(stream, this.group, ...ids);
  }
}
