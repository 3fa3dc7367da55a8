/**
 * The system page's data: each process's /health and /ready, consumer-group lag and pending age (Redis), outbox
 * backlog (PostgreSQL), and whether Prometheus answers. Read-only, every probe bounded in time; a source that
 * cannot be read is named in `erreurs` rather than failing the page.
 */
import type { Pool } from 'pg';
import type { Redis } from '../../platform/redis.ts';
import { STREAMS } from '../../contracts/streams.ts';
import { request } from 'undici';
import type { GroupState, ProcessState, SystemState, ProbedProcess } from '../domain/system.ts';
import { withTimeout } from '../../platform/timeout.ts';

const SONDE_MS = 1_500;
/** How long the bus and outbox reads may take before the state says which one did not answer. */
const BORNE_MS = 3_000;

async function sonde(url: string): Promise<{ status: number; body: unknown } | { erreur: string }> {
  try {
    const res = await request(url, {
      method: 'GET',
      headersTimeout: SONDE_MS,
      bodyTimeout: SONDE_MS,
      signal: AbortSignal.timeout(SONDE_MS),
    });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (Prometheus answers text)
    }
    return { status: res.statusCode, body };
  } catch (error) {
    const e = error as { code?: string; name?: string; message?: string };
    return { erreur: e.name === 'TimeoutError' ? 'délai dépassé' : (e.code ?? e.message ?? 'injoignable') };
  }
}

async function etatProcessus(p: ProbedProcess): Promise<ProcessState> {
  const [sante, pret] = await Promise.all([sonde(`${p.url}${p.health}`), sonde(`${p.url}${p.ready}`)]);
  const ok = (r: Awaited<ReturnType<typeof sonde>>) => 'status' in r && r.status === 200;
  const details = 'erreur' in pret ? { erreur: pret.erreur } : ((pret.body as { checks?: unknown })?.checks ?? { status: pret.status });
  return { name: p.name, url: p.url, sante: ok(sante) ? 'ok' : 'ko', pret: ok(pret), details };
}

const paires = (flat: unknown[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
};

async function groupes(redis: Redis): Promise<GroupState[]> {
  const out: GroupState[] = [];
  for (const stream of Object.values(STREAMS)) {
    if ((await redis.exists(stream)) === 0) continue;
    for (const raw of (await redis.xinfo('GROUPS', stream)) as unknown[][]) {
      const info = paires(raw);
      const group = String(info.name);
      const oldest = (await redis.xpending(stream, group, '-', '+', 1)) as [string, string, number, number][];
      out.push({
        stream,
        group,
        lag: info.lag === null || info.lag === undefined ? null : Number(info.lag),
        pending: Number(info.pending ?? 0),
        plus_ancien_pending_s: (oldest[0]?.[2] ?? 0) / 1000,
      });
    }
  }
  return out;
}

async function outbox(pool: Pool): Promise<{ service: string; en_attente: number }[]> {
  const { rows: schemas } = await pool.query<{ schema: string }>(
    `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1`,
  );
  const out: { service: string; en_attente: number }[] = [];
  for (const { schema } of schemas) {
    // The name comes from the catalogue, quoted as an identifier.
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema.replace(/"/g, '""')}".outbox WHERE published_at IS NULL`,
    );
    out.push({ service: schema, en_attente: rows[0]?.n ?? 0 });
  }
  return out;
}

export interface SystemSources {
  processus: ProbedProcess[];
  redis?: Redis;
  pool?: Pool;
  prometheusUrl?: string;
}

export async function readSystemState(s: SystemSources): Promise<SystemState> {
  const erreurs: string[] = [];
  const [processes, g, o, prom] = await Promise.all([
    Promise.all(s.processus.map(etatProcessus)),
    s.redis
      ? withTimeout(groupes(s.redis), BORNE_MS, `redis: pas de réponse en ${BORNE_MS} ms`).catch(
          (e: unknown) => (erreurs.push(`redis: ${(e as Error).message}`), [] as GroupState[]),
        )
      : Promise.resolve([] as GroupState[]),
    s.pool
      ? withTimeout(outbox(s.pool), BORNE_MS, `postgres: pas de réponse en ${BORNE_MS} ms`).catch(
          (e: unknown) => (erreurs.push(`postgres: ${(e as Error).message}`), []),
        )
      : Promise.resolve([]),
    s.prometheusUrl ? sonde(`${s.prometheusUrl}/-/ready`) : Promise.resolve({ erreur: 'PROMETHEUS_URL absent' }),
  ]);
  return { processes, groupes: g, outbox: o, prometheus: { disponible: 'status' in prom && prom.status === 200 }, erreurs };
}
