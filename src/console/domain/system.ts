/** What the system page shows (contract: GET /console-api/system), and the processes the console probes. */
export interface ProbedProcess {
  name: string;
  /** Base URL of the port that answers the probes. */
  url: string;
  health: string;
  ready: string;
}

export interface ProcessState {
  name: string;
  url: string;
  sante: 'ok' | 'ko';
  pret: boolean;
  details: unknown;
}

export interface GroupState {
  stream: string;
  group: string;
  lag: number | null;
  pending: number;
  plus_ancien_pending_s: number;
}

export interface SystemState {
  processes: ProcessState[];
  groupes: GroupState[];
  outbox: { service: string; en_attente: number }[];
  prometheus: { disponible: boolean };
  /** Sources that could not be read (Redis, PostgreSQL), so an empty list is never mistaken for "all clear". */
  erreurs: string[];
}

/** CONSOLE_PROCESSES (JSON from the launcher) → the probe list; anything malformed is left out. */
export function readProcesses(json: string | undefined): ProbedProcess[] {
  if (!json) return [];
  let brut: unknown;
  try {
    brut = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(brut)) return [];
  const chemin = (v: unknown) => typeof v === 'string' && v.startsWith('/');
  return (brut as unknown[]).filter((p): p is ProbedProcess => {
    if (typeof p !== 'object' || p === null) return false;
    const o = p as Partial<Record<keyof ProbedProcess, unknown>>;
    return typeof o.name === 'string' && typeof o.url === 'string' && /^https?:\/\//.test(o.url) && chemin(o.health) && chemin(o.ready);
  });
}

/** Prometheus query parameters passed on: PromQL and times (Unix seconds or RFC 3339) and steps (`15`, `15s`, `1m`). */
export function prometheusParams(q: Record<string, unknown>, plage: boolean): URLSearchParams | null {
  const out = new URLSearchParams();
  const query = q.query;
  if (typeof query !== 'string' || query.length === 0 || query.length > 4000) return null;
  out.set('query', query);
  const temps = /^[0-9A-Za-z.:+-]{1,40}$/;
  const names = plage ? ['start', 'end', 'step'] : ['time'];
  for (const name of names) {
    const v = q[name];
    if (v === undefined) {
      if (plage) return null;
      continue;
    }
    if (typeof v !== 'string' || !temps.test(v)) return null;
    out.set(name, v);
  }
  return out;
}
