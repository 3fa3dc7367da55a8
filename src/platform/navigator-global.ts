/**
 * Defines `globalThis.navigator` as Node 21 and later do, on Node 20 where it is missing. Imported first by the
 * services' preload (tracing/preload.ts), before any package loads.
 *
 * Why: pg asks whether it runs in a Cloudflare Worker when it loads. Without `navigator` it tells by building a
 * `Response`, which makes Node load its bundled copy of undici: 5 % of a service's start-up CPU, for nothing.
 */
if (!('navigator' in globalThis)) {
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.freeze({ userAgent: `Node.js/${process.versions.node.split('.')[0]}` }),
    configurable: true,
    writable: true,
  });
}
