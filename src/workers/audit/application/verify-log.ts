/** Walks the whole audit log page by page and checks every link of the chain. */
import type { Queryable } from '../../../platform/db.ts';
import { chainVerifier, type ChainCheck } from '../domain/hash-chain.ts';
import { AUDIT_SCHEMA, readEntries } from '../infrastructure/audit-log.ts';

export async function verifyAuditLog(db: Queryable, schema = AUDIT_SCHEMA, pageSize = 1_000): Promise<ChainCheck> {
  const verifier = chainVerifier();
  let after = 0;
  for (;;) {
    const page = await readEntries(db, after, pageSize, schema);
    for (const entry of page) if (!verifier.push(entry)) return verifier.result();
    if (page.length < pageSize) return verifier.result();
    after = page[page.length - 1]!.seq;
  }
}
