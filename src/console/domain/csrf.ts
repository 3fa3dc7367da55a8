/**
 * CSRF rule: a state-changing call must come from the console's own origin. A cross-site page can make a browser
 * send the (SameSite=Strict) cookie in fewer cases, but the cookie alone is never enough: the Origin header must
 * equal the request's own origin, or the browser must say `Sec-Fetch-Site: same-origin`.
 */
const SURES = new Set(['GET', 'HEAD', 'OPTIONS']);

export function changesState(methode: string): boolean {
  return !SURES.has(methode.toUpperCase());
}

export interface OriginHeaders {
  origin?: string;
  secFetchSite?: string;
  /** The origins this request was addressed to (`http://host:port`), e.g. its Host and a proxy's X-Forwarded-Host. */
  originesPropres: string[];
}

export function sameOrigin(h: OriginHeaders): boolean {
  // A browser sets Sec-Fetch-Site itself and no page can forge it: when present, it decides (it also holds behind a
  // proxy that rewrote Host or a port mapping that changed the port).
  if (h.secFetchSite !== undefined && h.secFetchSite !== '') return h.secFetchSite === 'same-origin';
  if (h.origin === undefined || h.origin === '' || h.origin === 'null') return false;
  const origine = h.origin.toLowerCase();
  return h.originesPropres.some((o) => o.toLowerCase() === origine);
}
