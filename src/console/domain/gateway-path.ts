/**
 * What `/console-api/gw/<rest>` may forward: a path on the gateway, nothing else. The rest is decoded and
 * checked so that no trick (`..`, encoded slashes or dots, a scheme, `//host`, backslashes, control characters)
 * reaches another host or a path outside the gateway's routes. Returns the path and query to append to
 * GATEWAY_URL, or null when refused.
 */
export function gatewayPath(reste: string): string | null {
  const q = reste.indexOf('?');
  const brut = q === -1 ? reste : reste.slice(0, q);
  const requete = q === -1 ? '' : reste.slice(q);
  if (brut === '' || brut.startsWith('/') || brut.includes('\\')) return null;
  let decode: string;
  try {
    decode = decodeURIComponent(brut);
  } catch {
    return null;
  }
  // An encoded '/', '\\' or '%' would change meaning once the gateway decodes it: refuse.
  if (/%(2f|5c|25)/i.test(brut)) return null;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\x00-\x20\x7f\\]/.test(decode) || decode.includes('//') || /^[a-z][a-z0-9+.-]*:/i.test(decode)) return null;
  const segments = decode.split('/');
  if (segments.some((s) => s === '.' || s === '..')) return null;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\x00-\x20\x7f#]/.test(requete)) return null;
  return `/${brut}${requete}`;
}
