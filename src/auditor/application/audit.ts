/**
 * The audit use case: read one snapshot (database and bus), run every invariant, and report. Used by `npm run audit`
 * once and by the auditor process every AUDIT_INTERVAL_MS.
 */
import { auditSnapshot, type AuditSettings, type InvariantResult, type Snapshot } from '../domain/invariants.ts';

/** Everything the database holds, read in one consistent snapshot. */
export type DatabaseSnapshot = Omit<Snapshot, 'pending' | 'deadLetters'>;
export type BusSnapshot = Pick<Snapshot, 'pending' | 'deadLetters'>;

export interface DatabaseReader {
  read(): Promise<DatabaseSnapshot>;
}

export interface BusReader {
  read(): Promise<BusSnapshot>;
}

export interface AuditReport {
  /** When the snapshot was read (ISO-8601). */
  at: string;
  ok: boolean;
  violations: number;
  /** How long reading and checking took: the read transaction holds PGlite's other connections meanwhile. */
  duration_ms: number;
  invariants: InvariantResult[];
}

export async function runAudit(
  readers: { database: DatabaseReader; bus: BusReader },
  settings: AuditSettings,
  now: () => Date = () => new Date(),
): Promise<AuditReport> {
  const start = now();
  const at = start.toISOString();
  // The bus is read after the database: an entry pending at the snapshot has only aged by then, never got younger.
  const database = await readers.database.read();
  const bus = await readers.bus.read();
  const invariants = auditSnapshot({ ...database, ...bus }, settings);
  const violations = invariants.filter((i) => i.status === 'violation').length;
  return { at, ok: violations === 0, violations, duration_ms: Math.max(0, now().getTime() - start.getTime()), invariants };
}

/** The report as a fixed-width table (one row per invariant, then its details indented). */
export function formatReport(report: AuditReport): string {
  const width = Math.max(...report.invariants.map((i) => i.name.length), 'invariant'.length);
  const lines = [`${'invariant'.padEnd(width)}  status     checked  details`, `${'-'.repeat(width)}  ---------  -------  -------`];
  for (const i of report.invariants) {
    lines.push(
      `${i.name.padEnd(width)}  ${i.status.padEnd(9)}  ${String(i.checked).padStart(7)}  ${i.details.length === 0 ? '-' : i.details[0]}`,
    );
    for (const d of i.details.slice(1)) lines.push(`${' '.repeat(width + 22)}${d}`);
  }
  lines.push(
    '',
    `${report.ok ? 'audit OK' : `audit FAILED: ${report.violations} invariant(s) violated`} at ${report.at} (${report.duration_ms} ms)`,
  );
  return `${lines.join('\n')}\n`;
}
