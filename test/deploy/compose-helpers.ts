/** Reading docker-compose.yml for the deploy tests (no Docker needed: the file is parsed as YAML). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: unknown;
  entrypoint?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | Record<string, unknown>)[];
  expose?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: { test?: unknown; disable?: boolean };
  profiles?: string[];
  volumes?: (string | Record<string, unknown>)[];
  networks?: unknown;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Parses with YAML merge keys (`<<: *anchor`), as Compose does; any YAML error or warning fails. */
export function loadCompose(file = COMPOSE_FILE): ComposeFile {
  const doc = parseDocument(readFileSync(file, 'utf8'), { merge: true, uniqueKeys: true });
  const issues = [...doc.errors, ...doc.warnings].map((e) => e.message);
  if (issues.length > 0) throw new Error(`${file}: ${issues.join('; ')}`);
  return doc.toJS({ maxAliasCount: -1 }) as ComposeFile;
}

export function composeServices(compose: ComposeFile): Record<string, ComposeService> {
  return compose.services;
}

export function envOf(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((line) => [line.split('=')[0] ?? '', line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export interface PortMapping {
  hostIp?: string;
  published?: number;
  target: number;
}

/** Short (`[ip:]host:container[/proto]`, `container`) and long (`{target, published, host_ip}`) port syntaxes. */
export function portsOf(svc: ComposeService): PortMapping[] {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === 'object') {
      const published = p.published === undefined ? undefined : Number(p.published);
      return { hostIp: p.host_ip as string | undefined, published, target: Number(p.target) };
    }
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    if (parts.length === 1) return { target: Number(parts[0]) };
    if (parts.length === 2) return { published: Number(parts[0]), target: Number(parts[1]) };
    return { hostIp: parts.slice(0, -2).join(':'), published: Number(parts.at(-2)), target: Number(parts.at(-1)) };
  });
}

/** The ports a service listens on inside the network: its port env vars, published targets and `expose`. */
export function containerPortsOf(svc: ComposeService): number[] {
  const env = envOf(svc);
  const fromEnv = ['PORT', 'METRICS_PORT', 'GATEWAY_PORT', 'GATEWAY_ADMIN_PORT'].flatMap((k) => (env[k] ? [Number(env[k])] : []));
  const fromPorts = portsOf(svc).map((p) => p.target);
  const fromExpose = (svc.expose ?? []).map(Number);
  return [...new Set([...fromEnv, ...fromPorts, ...fromExpose])].sort((a, b) => a - b);
}

export function dependsOn(svc: ComposeService): Record<string, { condition?: string; required?: boolean }> {
  const d = svc.depends_on ?? {};
  return Array.isArray(d) ? Object.fromEntries(d.map((name) => [name, { condition: 'service_started' }])) : d;
}

/** Services built from this repository's Dockerfile (the app image), as opposed to third-party images. */
export function isAppService(svc: ComposeService): boolean {
  return svc.build !== undefined;
}
