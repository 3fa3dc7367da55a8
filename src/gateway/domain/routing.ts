/**
 * Route matching as Kong does it for prefix paths, with one deliberate difference: a prefix matches only at
 * a path boundary (`/catalogue` matches `/catalogue` and `/catalogue/x`, never `/catalogueX`).
 * The longest matching prefix wins, whatever the declaration order.
 */
import type { RouteDef } from './model.ts';

export interface RouteMatch {
  route: RouteDef;
  /** The prefix that matched. */
  prefix: string;
}

interface Entry {
  prefix: string;
  route: RouteDef;
}

export class RoutingTable {
  private readonly entries: Entry[];

  constructor(routes: readonly RouteDef[]) {
    const entries: Entry[] = [];
    for (const route of routes) {
      for (const path of route.paths) entries.push({ prefix: normalisePrefix(path), route });
    }
    // Longest first, so the first hit is the most specific.
    entries.sort((a, b) => b.prefix.length - a.prefix.length);
    this.entries = entries;
  }

  /** `path` is the request path without its query string. */
  match(path: string, method?: string): RouteMatch | undefined {
    for (const { prefix, route } of this.entries) {
      if (!matchesPrefix(path, prefix)) continue;
      if (method !== undefined && route.methods.length > 0 && !route.methods.includes(method)) continue;
      return { route, prefix };
    }
    return undefined;
  }
}

/** Trailing slashes carry no meaning in a prefix (`/api/catalogue/` ≡ `/api/catalogue`), except `/` itself. */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return path.startsWith('/');
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47; // '/'
}

/**
 * The path sent upstream. With strip_path the matched prefix is removed (`/api/catalogue/x` → `/x`,
 * `/api/catalogue` → `/`); the service's own path is prepended (Kong's `path_handling: v0` for `/`).
 */
export function upstreamPath(path: string, prefix: string, stripPath: boolean, servicePath = '/'): string {
  let rest = path;
  if (stripPath && prefix !== '/') rest = path.slice(prefix.length);
  if (rest === '' || !rest.startsWith('/')) rest = `/${rest}`;
  if (servicePath === '' || servicePath === '/') return rest;
  const base = servicePath.endsWith('/') ? servicePath.slice(0, -1) : servicePath;
  return rest === '/' ? base || '/' : `${base}${rest}`;
}

/** Splits a request target into path and query (`?…`, kept verbatim). */
export function splitTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q) };
}
