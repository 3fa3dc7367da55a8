/**
 * The HTTP fuzzer (issue 12, item 3): reads every service's OpenAPI document, generates requests for every route
 * with fast-check — valid-ish and invalid bodies, path parameters, query strings and headers (wrong types, huge and
 * negative numbers, long and unicode strings, missing and extra fields, bad UUIDs, broken JSON, wrong content types)
 * — and sends them through the gateway with the API key. Two phases:
 *   A. "4xx candidates", one at a time: requests that write (POST, PUT, PATCH, DELETE) made invalid on purpose.
 *      Around each one every table's row count and every stream's length are read: a 4xx must leave them unchanged.
 *   B. anything, a few at a time: no answer may be a 5xx (nor a 503: no dependency is down) or missing.
 * Then no process may have crashed or restarted (the launcher's status) and every service's /health answers 200.
 * Pure of any test framework: test/fuzz/http-fuzz.test.ts (CI-sized) and scripts/fuzz.ts (`npm run fuzz`) drive it.
 * The same seed generates the same requests, so any failure replays.
 */
import http from 'node:http';
import fc from 'fast-check';
import pg from 'pg';
import { Redis } from 'ioredis';
import { SEED } from '../src/contracts/common.ts';

// ------------------------------------------------------------------------------------------------ target
/** A service behind the gateway: where its routes are reached and where its OpenAPI document is read. */
export interface ServiceSpec {
  name: string;
  /** Gateway prefix stripped before the service sees the path ('' when the gateway keeps it: event store). */
  prefix: string;
  /** The launcher's process name (its port gives the direct URL of the document when the gateway hides it). */
  process: string;
}

export const SERVICES: ServiceSpec[] = [
  { name: 'catalogue', prefix: '/api/catalogue', process: 'catalogue-1' },
  { name: 'inventaire', prefix: '/api/inventaire', process: 'inventaire' },
  { name: 'commandes', prefix: '/api/commandes', process: 'commandes' },
  { name: 'supply-chain', prefix: '/api/supply-chain', process: 'supply-chain' },
  { name: 'ecommerce', prefix: '/api/ecommerce', process: 'ecommerce' },
  { name: 'saga-orchestrator', prefix: '/api/saga', process: 'saga-orchestrator' },
  { name: 'event-store', prefix: '', process: 'event-store' },
];

export interface Target {
  gateway: string;
  apiKey: string;
  /** Direct URL of a process (the documents the gateway does not route, each /health). */
  url: (process: string) => string;
  /** Where row counts are read; without it the write check is skipped (and said so). */
  databaseUrl?: string;
  redisUrl?: string;
  /** The launcher's process list: name → {pid, restarts, state, ready}. */
  processes: () => Promise<ProcessState[]>;
}

export interface ProcessState {
  name: string;
  pid: number | null;
  restarts: number;
  state: string;
  ready: boolean;
}

// ------------------------------------------------------------------------------------------------ OpenAPI
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  $ref?: string;
  example?: unknown;
}

export interface Operation {
  service: string;
  method: string;
  /** The path as the gateway serves it, with `{name}` placeholders. */
  path: string;
  params: { name: string; in: 'path' | 'query' | 'header'; required: boolean; schema: Schema }[];
  body?: Schema;
  bodyRequired: boolean;
}

/**
 * Routes not fuzzed: documentation and metrics pages (no input), server-sent event streams (an answer that never
 * ends by design), and anything that would stop the system.
 */
const SKIP = /\/(swagger|documentation|metrics|sse)(\/|$)|\/(shutdown|stop|kill|freeze|chaos)(\/|$)/;

/** Every operation of every service, from its OpenAPI document (through the gateway, else directly). */
export async function loadOperations(target: Target, log: (line: string) => void = () => undefined): Promise<Operation[]> {
  const ops: Operation[] = [];
  for (const service of SERVICES) {
    const doc = await readDocument(target, service);
    if (!doc)
      throw new Error(
        `no OpenAPI document for ${service.name} (tried ${target.gateway}${service.prefix}/swagger.json and ${target.url(service.process)}/swagger.json)`,
      );
    const resolve = (s: Schema | undefined): Schema | undefined => {
      if (!s?.$ref) return s;
      const name = s.$ref.split('/').at(-1)!;
      return resolve(doc.components?.schemas?.[name]);
    };
    let n = 0;
    for (const [p, methods] of Object.entries(doc.paths ?? {})) {
      if (SKIP.test(p)) continue;
      // Without a prefix to strip, only the paths under the service's own route reach it (the event store's).
      if (service.prefix === '' && !p.startsWith(`/api/${service.name}/`)) continue;
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const params = (op.parameters ?? []).map((x) => ({
          name: x.name,
          in: x.in,
          required: x.required === true || x.in === 'path',
          schema: resolve(x.schema) ?? {},
        }));
        const content = op.requestBody?.content ?? {};
        const json = content['application/json'] ?? Object.values(content)[0];
        ops.push({
          service: service.name,
          method: method.toUpperCase(),
          path: `${service.prefix}${p}`,
          params: params.filter((x): x is Operation['params'][number] => x.in === 'path' || x.in === 'query' || x.in === 'header'),
          ...(json?.schema ? { body: resolve(json.schema) } : {}),
          bodyRequired: op.requestBody?.required === true,
        });
        n++;
      }
    }
    log(`${service.name}: ${n} operations`);
  }
  return ops;
}

interface OpenApiDoc {
  paths?: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
        requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

async function readDocument(target: Target, service: ServiceSpec): Promise<OpenApiDoc | undefined> {
  // The gateway keeps the event store's path as is: its document (at the service's root) is read directly.
  const urls =
    service.prefix === ''
      ? [`${target.url(service.process)}/swagger.json`]
      : [`${target.gateway}${service.prefix}/swagger.json`, `${target.url(service.process)}/swagger.json`];
  for (const url of urls) {
    try {
      const res = await fetch(url, { headers: { 'X-API-Key': target.apiKey }, signal: AbortSignal.timeout(10_000) });
      if (res.ok) {
        const doc = (await res.json()) as OpenApiDoc;
        if (doc.paths) return doc;
      }
    } catch {
      // try the next address
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------ generators
const KNOWN_IDS = [...Object.values(SEED.produits), ...Object.values(SEED.magasins), ...Object.values(SEED.clients)];
const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** Strings that break naive code: long, unicode, control characters, injections, paths. */
const nastyString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'null',
    'undefined',
    '-1',
    '1e309',
    'NaN',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '../../etc/passwd',
    '%00',
    '%',
    '💥🧨',
    '\u202e\u0301',
    'é'.normalize('NFD'),
    '\ud800',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: 256, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
const nastyNumber = fc.oneof(
  fc.constantFrom(-1, 0, -0, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE, 1e-7, 999_999_999_999),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const badUuid = fc.constantFrom(
  'not-a-uuid',
  '550e8400-e29b-41d4-a716-44665544000',
  '550e8400e29b41d4a716446655440001',
  'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
  '550e8400-e29b-41d4-a716-446655440001x',
  '{}',
  '0',
);
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
);

/** A value the schema accepts (as far as this reader understands it: good enough to get past validation often). */
export function validArb(s: Schema | undefined, depth = 0, name = ''): fc.Arbitrary<unknown> {
  if (!s || depth > 6) return anyJson;
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => validArb(a, depth + 1)));
  if (s.allOf?.length) return validArb(Object.assign({}, ...s.allOf) as Schema, depth + 1);
  const types = typesOf(s);
  const type = types.find((t) => t !== 'null') ?? (s.properties ? 'object' : undefined);
  let arb: fc.Arbitrary<unknown>;
  switch (type) {
    case 'string':
      arb = stringArb(s, name);
      break;
    case 'integer': {
      const min = lower(s) ?? 0;
      const max = upper(s) ?? Math.max(min + 100, 100);
      // Mostly small quantities (they pass the business rules: stock, cart limits), sometimes the bounds.
      arb = fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, Math.max(min, 1) + 4)) }) },
        { weight: 1, arbitrary: fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, min + 1_000)) }) },
        { weight: 1, arbitrary: fc.constantFrom(Math.ceil(min), Math.floor(max)) },
      );
      break;
    }
    case 'number': {
      const min = lower(s) ?? 0;
      const max = upper(s) ?? 1_000;
      arb = fc.integer({ min: Math.ceil(min * 100), max: Math.floor(Math.min(max, min + 1_000) * 100) }).map((c) => c / 100);
      break;
    }
    case 'boolean':
      arb = fc.boolean();
      break;
    case 'array':
      arb = fc.array(validArb(s.items, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 3, Math.max(s.minItems ?? 0, 3)),
      });
      break;
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = validArb(v, depth + 1, k);
      arb = fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
      break;
    }
    default:
      arb = anyJson;
  }
  return types.includes('null') || s.nullable ? fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) }) : arb;
}

const lower = (s: Schema) => (typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : s.minimum);
const upper = (s: Schema) => (typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : s.maximum);

/** Plausible values by field name: what the business rules accept beyond the schema (a known category, a postal code). */
const HINTS: Record<string, fc.Arbitrary<string>> = {
  email: fc.emailAddress(),
  code_postal: fc.constantFrom('H2X 1Y4', 'H3B 2Y5', 'G1R 4P5'),
  adresse_code_postal: fc.constantFrom('H2X 1Y4', 'H3B 2Y5', 'G1R 4P5'),
  telephone: fc.stringMatching(/^[0-9]{10}$/),
  categorie: fc.constantFrom('Informatique', 'Boissons', 'Confiserie', 'Électronique', 'Meubles', 'Vêtements'),
  sku: fc.stringMatching(/^[A-Z]{3}[0-9]{4}$/),
};

function stringArb(s: Schema, name = ''): fc.Arbitrary<string> {
  if (s.format === 'uuid' || s.pattern?.includes('0-9a-fA-F]{8}-')) {
    // The seed's ids of the kind the field names (a store for magasin_id…), else any seed id, sometimes an unknown one.
    const kind = name.includes('magasin')
      ? SEED.magasins
      : name.includes('produit')
        ? SEED.produits
        : name.includes('client')
          ? SEED.clients
          : undefined;
    const known = kind ? Object.values(kind) : KNOWN_IDS;
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...known) },
      { weight: 1, arbitrary: fc.constantFrom(...KNOWN_IDS) },
      { weight: 1, arbitrary: fc.uuid() },
    );
  }
  switch (s.format) {
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress();
    default:
  }
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Infinity;
  // Code points, as JSON Schema counts length.
  const fits = (x: string) => Array.from(x).length >= min && Array.from(x).length <= max;
  const hinted = HINTS[name];
  if (hinted)
    return fc
      .oneof({ weight: 4, arbitrary: hinted }, { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, min + 20) }) })
      .filter(fits);
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
    } catch {
      // a pattern this engine cannot generate from: fall through
    }
  }
  const upTo = Math.max(min, Math.min(max, min + 30));
  const ways: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [
    { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{1,24}[A-Za-z0-9]$/) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: upTo }) },
    { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: upTo }) },
  ];
  if (typeof s.example === 'string') ways.push({ weight: 2, arbitrary: fc.constant(s.example) });
  return fc.oneof(...ways).filter(fits);
}

/** A value the schema refuses: wrong type, out of range, bad format, too long, not in the enum. */
export function invalidArb(s: Schema | undefined): fc.Arbitrary<unknown> | undefined {
  if (!s || s.anyOf || s.oneOf || s.allOf) return undefined;
  const types = typesOf(s);
  const options: fc.Arbitrary<unknown>[] = [];
  const nullable = types.includes('null') || s.nullable;
  if (s.enum) options.push(nastyString.filter((x) => !s.enum!.includes(x)));
  if (types.includes('string')) {
    options.push(
      fc.oneof(
        nastyNumber,
        fc.boolean(),
        fc.array(fc.string(), { minLength: 1, maxLength: 2 }),
        fc.dictionary(fc.string(), fc.string(), { minKeys: 1, maxKeys: 1 }),
      ),
    );
    if (s.format === 'uuid') options.push(badUuid);
    if (s.maxLength !== undefined) options.push(fc.constant('é'.repeat(s.maxLength + 1)));
  }
  if (types.includes('integer') || types.includes('number')) {
    options.push(
      fc.oneof(
        fc.string({ minLength: 1 }).filter((x) => x.trim() === '' || Number.isNaN(Number(x))),
        fc.boolean(),
        fc.array(fc.integer(), { minLength: 1, maxLength: 2 }),
      ),
    );
    if (types.includes('integer')) options.push(fc.constantFrom(1.5, -0.25, 1e-9 + 1));
    const min = lower(s);
    const max = upper(s);
    if (min !== undefined) options.push(fc.constantFrom(min - 1, -1e308, -(2 ** 53)).filter((x) => x < min));
    if (max !== undefined) options.push(fc.constantFrom(max + 1, 1e308, 2 ** 53).filter((x) => x > max));
  }
  if (types.includes('boolean'))
    options.push(fc.oneof(fc.constantFrom('true', 'yes', 1, 0), fc.array(fc.boolean(), { minLength: 1, maxLength: 1 })));
  if (types.includes('array'))
    options.push(fc.oneof(fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string(), { minKeys: 1, maxKeys: 1 })));
  if (types.includes('object') || s.properties) options.push(fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 2 })));
  if (!nullable && types.length > 0) options.push(fc.constant(null));
  return options.length ? fc.oneof(...options) : undefined;
}

/** An object body that its schema refuses: a required field missing or wrong, an unknown field where none is allowed. */
function invalidBodyArb(s: Schema): fc.Arbitrary<unknown> | undefined {
  const ways: fc.Arbitrary<unknown>[] = [];
  const props = s.properties ?? {};
  const required = (s.required ?? []).filter((k) => k in props);
  const base = validArb(s) as fc.Arbitrary<Record<string, unknown>>;
  if (typesOf(s).includes('object') || s.properties) {
    const whole = invalidArb({ type: 'object', properties: props });
    if (whole) ways.push(whole);
    for (const k of required) {
      ways.push(base.map((b) => Object.fromEntries(Object.entries(b ?? {}).filter(([key]) => key !== k))));
      const bad = invalidArb(props[k]);
      if (bad) ways.push(fc.tuple(base, bad).map(([b, v]) => ({ ...b, [k]: v })));
    }
    if (s.additionalProperties === false)
      ways.push(
        fc
          .tuple(
            base,
            fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !(k in props) && k !== '__proto__'),
            anyJson,
          )
          .map(([b, k, v]) => ({ ...b, [k]: v })),
      );
  }
  return ways.length ? fc.oneof(...ways) : undefined;
}

// ------------------------------------------------------------------------------------------------ requests
export interface FuzzRequest {
  op: Operation;
  method: string;
  /** Path with parameters filled in and a query string. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Why it should be refused (phase A), for the report. */
  invalid?: string;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=x',
];

/** `String.prototype.toWellFormed` (Node 20 has it; the ES2023 lib does not declare it): lone surrogates → U+FFFD. */
declare global {
  interface String {
    toWellFormed(): string;
  }
}
/** Percent-encoding of any string (a lone surrogate becomes U+FFFD, as a browser sends it). */
const encode = (v: string) => encodeURIComponent(v.toWellFormed());

function fill(op: Operation, values: Record<string, unknown>): string {
  let p = op.path;
  for (const x of op.params.filter((q) => q.in === 'path')) p = p.replace(`{${x.name}}`, encode(String(values[x.name])));
  const query = new URLSearchParams();
  for (const x of op.params.filter((q) => q.in === 'query')) {
    const v = values[`?${x.name}`];
    if (v !== undefined) query.append(x.name, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const qs = query.toString();
  return qs ? `${p}?${qs}` : p;
}

const paramValue = (x: Operation['params'][number]) =>
  x.in === 'path' ? validArb(x.schema, 0, x.name) : fc.option(validArb(x.schema, 0, x.name), { nil: undefined, freq: 3 });

/** Anything for an operation: mostly plausible values, sometimes nasty ones, sometimes a broken body. */
export function anyRequestArb(op: Operation): fc.Arbitrary<FuzzRequest> {
  const values = fc.record(
    Object.fromEntries(
      op.params
        .filter((x) => x.in !== 'header')
        .map((x) => [
          x.in === 'query' ? `?${x.name}` : x.name,
          fc.oneof(
            { weight: 4, arbitrary: paramValue(x) },
            {
              weight: 1,
              arbitrary:
                x.in === 'path'
                  ? fc.oneof(
                      badUuid,
                      nastyString.filter((v) => v !== ''),
                    )
                  : anyJson,
            },
          ),
        ]),
    ),
  );
  const extraQuery = fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), nastyString), { freq: 4 });
  const bodyKind =
    op.method === 'GET' || op.method === 'DELETE'
      ? fc.constantFrom('none', 'none', 'none', 'json')
      : fc.oneof(
          { weight: 30, arbitrary: fc.constantFrom('valid', 'valid', 'valid', 'invalid', 'broken', 'none', 'any') },
          { weight: 1, arbitrary: fc.constant('huge') },
        );
  return fc
    .record({
      values,
      extraQuery,
      bodyKind,
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      extraHeader: fc.option(
        fc.tuple(
          fc.constantFrom('X-Request-Id', 'Idempotency-Key', 'Accept', 'X-Forwarded-For', 'X-Unknown'),
          nastyString.filter((v) => /^[\t\x20-\x7e]*$/.test(v) && v.length < 2_000),
        ),
        { freq: 3 },
      ),
    })
    .chain((r) => {
      const bodyArb: fc.Arbitrary<string | undefined> =
        r.bodyKind === 'none'
          ? fc.constant(undefined)
          : r.bodyKind === 'broken'
            ? brokenJson
            : r.bodyKind === 'huge'
              ? hugeJson
              : r.bodyKind === 'invalid' && op.body
                ? (invalidBodyArb(op.body) ?? anyJson).map((b) => JSON.stringify(b))
                : r.bodyKind === 'valid' && op.body
                  ? validArb(op.body).map((b) => JSON.stringify(b))
                  : anyJson.map((b) => JSON.stringify(b));
      return bodyArb.map((body): FuzzRequest => {
        let url = fill(op, r.values);
        if (r.extraQuery) url += `${url.includes('?') ? '&' : '?'}${encode(r.extraQuery[0])}=${encode(r.extraQuery[1])}`;
        const headers: Record<string, string> = {};
        if (body !== undefined) headers['content-type'] = r.contentType;
        if (r.extraHeader) headers[r.extraHeader[0]] = r.extraHeader[1];
        return { op, method: op.method, url, headers, ...(body !== undefined ? { body } : {}) };
      });
    });
}

/** Bodies past the size limits: 100,000 nested arrays, a 1.5 MB string, 50,000 keys. */
const hugeJson = fc.constantFrom(
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  JSON.stringify({ nom: 'x'.repeat(1_500_000), categorie: 'Informatique', prix: 1 }),
  JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]))),
);

const brokenJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    '{"quantite": 1,}',
    "{'a': 1}",
    'nul',
    '"',
    '\u0000',
    '{"a": NaN}',
    '{"__proto__": {"x": 1}}',
    '{"constructor": {"prototype": {"x": 1}}}',
  ),
  fc.string({ maxLength: 30 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);

/**
 * A request that writes, made invalid on purpose — each way only where the document says it must be refused:
 * broken JSON, a wrong content type, a body its schema refuses, a path parameter its schema refuses, no API key.
 */
export function invalidRequestArb(op: Operation): fc.Arbitrary<FuzzRequest> | undefined {
  if (op.method === 'GET') return undefined;
  const values = fc.record(
    Object.fromEntries(op.params.filter((x) => x.in !== 'header').map((x) => [x.in === 'query' ? `?${x.name}` : x.name, paramValue(x)])),
  );
  const body = op.body ? validArb(op.body).map((b) => JSON.stringify(b)) : fc.constant(undefined);
  const ways: fc.Arbitrary<FuzzRequest>[] = [];
  const make = (
    invalid: string,
    v: fc.Arbitrary<Record<string, unknown>>,
    b: fc.Arbitrary<string | undefined>,
    ct: fc.Arbitrary<string> = fc.constant('application/json'),
    key = true,
  ) =>
    fc.tuple(v, b, ct).map(([vals, bo, c]): FuzzRequest => ({
      op,
      method: op.method,
      url: fill(op, vals),
      headers: { ...(bo !== undefined ? { 'content-type': c } : {}), ...(key ? {} : { 'X-API-Key': 'wrong-key' }) },
      ...(bo !== undefined ? { body: bo } : {}),
      invalid,
    }));
  if (op.body) {
    ways.push(make('broken JSON', values, brokenJson));
    ways.push(
      make('wrong content type', values, body, fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded')),
    );
    const bad = invalidBodyArb(op.body);
    if (bad)
      ways.push(
        make(
          'body refused by its schema',
          values,
          bad.map((b) => JSON.stringify(b)),
        ),
      );
  }
  for (const x of op.params.filter((p) => p.in === 'path')) {
    const bad =
      x.schema.format === 'uuid'
        ? badUuid
        : x.schema.pattern
          ? nastyString.filter((v) => v !== '' && !new RegExp(x.schema.pattern!).test(v))
          : undefined;
    if (bad)
      ways.push(
        make(
          `path parameter ${x.name} refused by its schema`,
          fc.tuple(values, bad).map(([v, b]) => ({ ...v, [x.name]: b })),
          body,
        ),
      );
  }
  ways.push(make('wrong API key', values, body, fc.constant('application/json'), false));
  return fc.oneof(...ways);
}

// ------------------------------------------------------------------------------------------------ sending
export interface Answer {
  req: FuzzRequest;
  status: number;
  retryAfter: string | null;
  text: string;
  /** Set when no answer came (connection refused, reset, timeout). */
  error?: string;
}

/**
 * Sends one request with node:http, not fetch: fetch refuses a body on GET and normalises paths, and a fuzzer must be
 * able to send both.
 */
export function send(target: Target, req: FuzzRequest, timeoutMs = 30_000): Promise<Answer> {
  const headers: Record<string, string> = { 'X-API-Key': target.apiKey, ...req.headers };
  const body = req.body === undefined ? undefined : Buffer.from(req.body.toWellFormed(), 'utf8');
  if (body) headers['content-length'] = String(body.length);
  const url = new URL(target.gateway);
  return new Promise((resolve) => {
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.url, headers, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const retry = res.headers['retry-after'];
          resolve({
            req,
            status: res.statusCode ?? 0,
            retryAfter: typeof retry === 'string' ? retry : null,
            text: Buffer.concat(chunks).toString('utf8').slice(0, 500),
          });
        });
        res.on('error', (error) => resolve({ req, status: 0, retryAfter: null, text: '', error: error.message }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (error) => resolve({ req, status: 0, retryAfter: null, text: '', error: error.message }));
    r.end(body);
  });
}

/** One line to paste into a terminal: the request as curl. */
export function asCurl(target: Target, req: FuzzRequest): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const h = Object.entries({ 'X-API-Key': '$API_KEY', ...req.headers }).map(
    ([k, v]) => `-H ${k === 'X-API-Key' && v === '$API_KEY' ? `"X-API-Key: $API_KEY"` : q(`${k}: ${v}`)}`,
  );
  const body = req.body === undefined ? '' : ` --data-binary ${q(req.body.length > 300 ? `${req.body.slice(0, 300)}…` : req.body)}`;
  return `curl -s -X ${req.method} ${h.join(' ')} ${q(`${target.gateway}${req.url}`)}${body}`;
}

// ------------------------------------------------------------------------------------------------ what was written
export type Snapshot = Record<string, number>;

/** Every table's row count and every stream's length: what a 4xx must not change. */
export class WriteProbe {
  private pool: pg.Pool;
  private redis: Redis;
  private tables: string[] = [];

  constructor(databaseUrl: string, redisUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    this.pool.on('error', () => undefined);
    this.redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  }

  async snapshot(): Promise<Snapshot> {
    if (this.tables.length === 0) {
      const { rows } = await this.pool.query<{ s: string; t: string }>(
        `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
          WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      );
      this.tables = rows.map((r) => `"${r.s}"."${r.t}"`);
    }
    const out: Snapshot = {};
    if (this.tables.length > 0) {
      const { rows } = await this.pool.query<{ t: string; n: string }>(
        this.tables.map((t) => `SELECT '${t.replace(/'/g, "''")}' AS t, count(*) AS n FROM ${t}`).join(' UNION ALL '),
      );
      for (const r of rows) out[r.t] = Number(r.n);
    }
    if (this.redis.status === 'wait') await this.redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'COUNT', 1000, 'TYPE', 'stream');
      cursor = next;
      for (const k of keys) out[`stream ${k}`] = await this.redis.xlen(k);
    } while (cursor !== '0');
    return out;
  }

  /** Waits until two snapshots `gapMs` apart agree (the system is idle), up to `timeoutMs`. */
  async settled(gapMs = 500, timeoutMs = 30_000): Promise<{ snapshot: Snapshot; settled: boolean }> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.snapshot();
    for (;;) {
      await new Promise((r) => setTimeout(r, gapMs));
      const next = await this.snapshot();
      if (diff(last, next).length === 0) return { snapshot: next, settled: true };
      if (Date.now() > deadline) return { snapshot: next, settled: false };
      last = next;
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
    this.redis.disconnect();
  }
}

export function diff(a: Snapshot, b: Snapshot): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k] ?? 0} → ${b[k] ?? 0}`);
}

// ------------------------------------------------------------------------------------------------ the run
export interface FuzzOptions {
  seed: number;
  /** Requests of phase B (anything). */
  runs: number;
  /** Invalid writes per writing operation in phase A. */
  invalidPerOperation: number;
  concurrency?: number;
  log?: (line: string) => void;
}

export interface Finding {
  kind: '5xx' | 'no answer' | 'write on 4xx' | 'invalid write accepted' | 'crash' | 'unhealthy';
  detail: string;
  curl?: string;
}

export interface FuzzReport {
  seed: number;
  operations: number;
  sent: number;
  statuses: Record<string, number>;
  findings: Finding[];
  /** Why the write check did not run, when it did not. */
  writeCheck: string;
}

export async function runFuzz(target: Target, options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => undefined);
  const ops = await loadOperations(target, log);
  const findings: Finding[] = [];
  const statuses: Record<string, number> = {};
  const count = (a: Answer) => (statuses[String(a.status)] = (statuses[String(a.status)] ?? 0) + 1);
  const before = await target.processes();
  let sent = 0;

  // Phase A: invalid writes, one at a time, the counts read around each.
  let writeCheck = 'done';
  const probe = target.databaseUrl && target.redisUrl ? new WriteProbe(target.databaseUrl, target.redisUrl) : undefined;
  if (!probe) writeCheck = 'skipped: no database or redis URL';
  const writers = ops
    .map((op) => ({ op, arb: invalidRequestArb(op) }))
    .filter((x): x is { op: Operation; arb: fc.Arbitrary<FuzzRequest> } => x.arb !== undefined);
  const invalid = writers.flatMap(({ arb }, i) => fc.sample(arb, { seed: options.seed + i, numRuns: options.invalidPerOperation }));
  log(`phase A: ${invalid.length} invalid writes over ${writers.length} writing operations`);
  try {
    let state = probe ? await probe.settled() : undefined;
    if (state && !state.settled) writeCheck = 'skipped: the system never went idle (counts kept changing)';
    for (const req of invalid) {
      const a = await send(target, req);
      sent++;
      count(a);
      check(target, a, findings);
      if (!probe || !state?.settled) continue;
      if (a.status >= 400 && a.status < 500) {
        const after = await probe.snapshot();
        const changed = diff(state.snapshot, after);
        if (changed.length > 0) {
          findings.push({
            kind: 'write on 4xx',
            detail: `${req.method} ${short(req.url)} (${req.invalid}) → ${a.status}, yet ${changed.join(', ')}`,
            curl: asCurl(target, req),
          });
          state = await probe.settled();
        }
      } else if (a.status >= 200 && a.status < 300) {
        findings.push({
          kind: 'invalid write accepted',
          detail: `${req.method} ${short(req.url)} (${req.invalid}) → ${a.status}: ${a.text.slice(0, 200)}`,
          curl: asCurl(target, req),
        });
        state = await probe.settled();
      }
    }
  } finally {
    await probe?.close();
  }

  // Phase B: anything, a few at a time.
  const anyArb = fc.constantFrom(...ops).chain((op) => anyRequestArb(op));
  const requests = fc.sample(anyArb, { seed: options.seed, numRuns: options.runs });
  log(`phase B: ${requests.length} requests over ${ops.length} operations`);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const a = await send(target, req);
      sent++;
      count(a);
      check(target, a, findings);
      if (sent % 200 === 0) log(`${sent} sent, ${findings.length} findings`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));

  // Nothing crashed: same pids, no restart, everything ready; every service's /health answers.
  const after = await target.processes();
  for (const p of before) {
    const q = after.find((x) => x.name === p.name);
    // A process still starting may become ready meanwhile (Prometheus); one that was ready must still be, unrestarted.
    const lost = p.ready && (q?.ready !== true || q.state !== p.state);
    if (q?.pid !== p.pid || q.restarts !== p.restarts || lost) {
      findings.push({ kind: 'crash', detail: `${p.name}: ${JSON.stringify(p)} → ${JSON.stringify(q ?? null)}` });
    }
  }
  for (const s of SERVICES) {
    const res = await fetch(`${target.url(s.process)}${s.prefix === '' ? '/api/event-store' : ''}/health`, {
      signal: AbortSignal.timeout(10_000),
    }).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    if (res instanceof Error || res.status !== 200)
      findings.push({ kind: 'unhealthy', detail: `${s.name} /health: ${res instanceof Error ? res.message : res.status}` });
  }
  return { seed: options.seed, operations: ops.length, sent, statuses, findings, writeCheck };
}

const short = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…(${s.length} chars)` : s);

function check(target: Target, a: Answer, findings: Finding[]): void {
  const what = `${a.req.method} ${short(a.req.url)}${a.req.invalid ? ` (${a.req.invalid})` : ''}`;
  if (a.status === 0) findings.push({ kind: 'no answer', detail: `${what}: ${a.error}`, curl: asCurl(target, a.req) });
  else if (a.status >= 500) {
    const retry =
      a.status === 503 ? (a.retryAfter ? ` (Retry-After ${a.retryAfter}, but no dependency is down)` : ' without Retry-After') : '';
    findings.push({ kind: '5xx', detail: `${what} → ${a.status}${retry}: ${a.text.slice(0, 300)}`, curl: asCurl(target, a.req) });
  }
}

// ------------------------------------------------------------------------------------------------ a running system
/**
 * The target of a system the launcher runs from `dataDir` (`npm start`'s `.data`, or a test system's): ports and
 * processes from its supervisor, the key from API_KEY or `dataDir/api-key` unless given, the database from the
 * supervisor's embedded PGlite or DATABASE_URL, Redis from REDIS_URL or the supervisor's.
 */
export async function targetFromDataDir(
  dataDir: string,
  given: { apiKey?: string; databaseUrl?: string; redisUrl?: string } = {},
): Promise<Target> {
  const { readFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const { SECRET_HEADER } = await import('../src/launcher/control.ts');
  const info = JSON.parse(await readFile(path.join(dataDir, 'supervisor.json'), 'utf8')) as {
    controlPort?: number;
    port: number;
    secret?: string;
    pglitePort?: number;
    databaseUrl?: string;
    redisUrl?: string;
  };
  const control = `http://127.0.0.1:${info.controlPort ?? info.port}`;
  const status = async () => {
    const res = await fetch(`${control}/status`, {
      headers: info.secret ? { [SECRET_HEADER]: info.secret } : {},
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`launcher status: HTTP ${res.status}`);
    const body = (await res.json()) as { processes: (ProcessState & { port: number | null })[] };
    return body.processes;
  };
  const ports = new Map((await status()).map((p) => [p.name, p.port]));
  const portOf = (name: string) => {
    const port = ports.get(name);
    if (!port) throw new Error(`the launcher reports no port for ${name}`);
    return port;
  };
  const apiKey = given.apiKey ?? (process.env.API_KEY || (await readFile(path.join(dataDir, 'api-key'), 'utf8')).trim());
  // A launcher running its embedded PGlite says so (its port): that is the database, whatever DATABASE_URL says here.
  const databaseUrl =
    given.databaseUrl ??
    (info.pglitePort ? `postgres://postgres@127.0.0.1:${info.pglitePort}/postgres` : process.env.DATABASE_URL || undefined);
  const redisUrl = given.redisUrl ?? (process.env.REDIS_URL || info.redisUrl);
  return {
    gateway: `http://127.0.0.1:${portOf('gateway')}`,
    apiKey,
    url: (name) => `http://127.0.0.1:${portOf(name)}`,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    processes: async () => (await status()).map(({ name, pid, restarts, state, ready }) => ({ name, pid, restarts, state, ready })),
  };
}

/** The report as text: counts by status, then each finding with the curl that replays it. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.sent} requests over ${r.operations} operations; statuses ${Object.entries(r.statuses)
      .sort()
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
    `write check on 4xx: ${r.writeCheck}`,
    r.findings.length === 0 ? 'no finding' : `${r.findings.length} finding(s):`,
  ];
  for (const f of r.findings.slice(0, 50)) lines.push(`- [${f.kind}] ${f.detail}${f.curl ? `\n    ${f.curl}` : ''}`);
  if (r.findings.length > 50) lines.push(`… and ${r.findings.length - 50} more`);
  return lines.join('\n');
}
