/**
 * One Idempotency-Key per checkout attempt: every click of one attempt (a double click included) sends the same
 * key, so the service makes one order; a new key is drawn only once the attempt has an answer.
 */
export class AttemptKey {
  private current: string | null = null;
  constructor(private readonly draw: () => string) {}

  /** The key of the attempt in flight, or a new one. */
  take(): string {
    this.current ??= this.draw();
    return this.current;
  }

  /** The attempt has its answer: the next click is a new attempt. */
  settle(): void {
    this.current = null;
  }
}
