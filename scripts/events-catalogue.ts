/**
 * Generates docs/events.md from the event contracts (src/contracts/events.ts): every stream, type and field,
 * with producers and consumers. `npm run docs:events` rewrites it; test/contracts/events-doc.test.ts fails
 * when the committed file differs from what the schemas say.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TSchema } from 'typebox';
import { EVENT_SCHEMAS, EVENT_VERSION, SAGA_EVENT_TYPES, STREAMS } from '../src/contracts/events.ts';

/** Who writes and who reads each stream (consumer group → process). */
export const ROUTING: Record<string, { producers: Record<string, string>; groups: Record<string, string> }> = {
  [STREAMS.checkout]: {
    producers: {
      CheckoutInitiated: 'ecommerce (POST …/checkout/choreo/)',
      StockReserved: 'stock-reservation worker',
      StockReservationFailed: 'stock-reservation worker; ecommerce deadline watcher',
      OrderCreated: 'order-creation worker',
      OrderCreationFailed: 'order-creation worker; ecommerce deadline watcher',
      StockReleased: 'stock-compensation worker',
      CheckoutSucceeded: 'ecommerce (choreo-ecommerce)',
      CheckoutFailed: 'ecommerce (choreo-ecommerce)',
    },
    groups: {
      'checkout-notification': 'notification worker (all types)',
      'checkout-audit': 'audit worker (all types)',
      'checkout-cqrs': 'cqrs-projection worker (builds orders-by-client)',
      'choreo-reservation': 'stock-reservation worker (CheckoutInitiated)',
      'choreo-order': 'order-creation worker (StockReserved)',
      'choreo-compensation': 'stock-compensation worker (OrderCreationFailed, StockReservationFailed)',
      'choreo-ecommerce': 'ecommerce (StockReserved, OrderCreated, StockReservationFailed, OrderCreationFailed, StockReleased)',
      'event-store-archive': 'event store (all types)',
    },
  },
  [STREAMS.catalogue]: {
    producers: { ProduitAjoute: 'catalogue', ProduitModifie: 'catalogue' },
    groups: { 'checkout-audit': 'audit worker', 'event-store-archive': 'event store' },
  },
  [STREAMS.inventaire]: {
    producers: {
      StockAjuste: 'inventaire',
      DemandeReapprovisionnementCreee: 'inventaire',
      DemandeReapprovisionnementApprouvee: 'inventaire',
      DemandeReapprovisionnementRejetee: 'inventaire',
    },
    groups: { 'checkout-audit': 'audit worker', 'event-store-archive': 'event store' },
  },
  [STREAMS.commandes]: {
    producers: { VenteEnregistree: 'commandes', VenteAnnulee: 'commandes' },
    groups: { 'checkout-audit': 'audit worker', 'event-store-archive': 'event store' },
  },
  [STREAMS.saga]: {
    producers: Object.fromEntries(SAGA_EVENT_TYPES.map((t) => [t, 'saga-orchestrator'])),
    groups: { 'checkout-audit': 'audit worker', 'event-store-archive': 'event store' },
  },
};

function describeSchema(schema: TSchema): string {
  const s = schema as {
    type?: string;
    anyOf?: TSchema[];
    const?: unknown;
    format?: string;
    items?: TSchema;
    properties?: Record<string, TSchema>;
  };
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(describeSchema).join(' \\| ');
  if (s.type === 'array') return `${describeSchema(s.items!)}[]`;
  if (s.type === 'object' && s.properties) return 'object';
  if (s.format) return `${s.type} (${s.format})`;
  return s.type ?? 'any';
}

function fieldRows(schema: TSchema, prefix = ''): string[] {
  const s = schema as { properties?: Record<string, TSchema>; required?: string[] };
  const rows: string[] = [];
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    const required = (s.required ?? []).includes(name);
    const full = `${prefix}${name}`;
    rows.push(`| \`${full}\` | ${describeSchema(child)} | ${required ? 'yes' : 'no'} |`);
    const c = child as { type?: string; properties?: object; items?: { type?: string; properties?: object } };
    if (c.type === 'object' && c.properties) rows.push(...fieldRows(child, `${full}.`));
    if (c.type === 'array' && c.items?.type === 'object' && c.items.properties) rows.push(...fieldRows(c.items, `${full}[].`));
  }
  return rows;
}

export function renderCatalogue(): string {
  const out: string[] = [
    '# Event catalogue',
    '',
    '<!-- Generated from src/contracts/events.ts by `npm run docs:events`; a test checks it is current. -->',
    '',
    'Every entry of every stream carries the fields `type`, `payload` (JSON text), `ts` (seconds since the epoch),',
    '`event_id` (UUID, the idempotency key), `correlation_id` (the checkout id for checkout events, else the aggregate id),',
    `\`causation_id\` (the event that caused it, or empty) and \`version\` (now ${EVENT_VERSION}).`,
    'An entry that lacks them or fails its schema goes to `<stream>.dlq` with the reason.',
    '',
  ];
  for (const [stream, types] of Object.entries(EVENT_SCHEMAS) as [string, Record<string, TSchema>][]) {
    const routing = ROUTING[stream];
    out.push(`## Stream \`${stream}\``, '', '| Consumer group | Process |', '|---|---|');
    for (const [group, who] of Object.entries(routing?.groups ?? {})) out.push(`| \`${group}\` | ${who} |`);
    out.push('');
    for (const [type, schema] of Object.entries(types)) {
      out.push(
        `### ${type} (v${EVENT_VERSION})`,
        '',
        `Producer: ${routing?.producers[type] ?? '—'}`,
        '',
        '| Field | Type | Required |',
        '|---|---|---|',
      );
      out.push(...fieldRows(schema), '');
    }
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = path.resolve(import.meta.dirname, '../docs/events.md');
  writeFileSync(file, renderCatalogue());
  console.log(`written ${path.relative(process.cwd(), file)}`);
}
