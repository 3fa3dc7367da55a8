/**
 * key-auth: the presented key is compared with every known key in constant time (SHA-256 digests of equal
 * length through timingSafeEqual, no early exit), so response time reveals nothing about the keys.
 * Several keys may map to one consumer (API_KEYS: rotation without downtime).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

export class KeyRing {
  private readonly entries: { digest: Buffer; consumer: string }[];

  constructor(credentials: readonly { consumer: string; key: string }[]) {
    this.entries = credentials.map((c) => ({ digest: digest(c.key), consumer: c.consumer }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The consumer owning `key`, or undefined. */
  authenticate(key: string): string | undefined {
    const presented = digest(key);
    let found: string | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(presented, e.digest) && found === undefined) found = e.consumer;
    }
    return found;
  }
}
