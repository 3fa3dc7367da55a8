/** docs/events.md is generated from the contracts: it must match them, and every type must have a producer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_SCHEMAS } from '../../src/contracts/events.ts';
import { ROUTING, renderCatalogue } from '../../scripts/events-catalogue.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

test('docs/events.md is what the schemas say (run `npm run docs:events` after changing a contract)', () => {
  const committed = readFileSync(path.resolve(import.meta.dirname, '../../docs/events.md'), 'utf8');
  assert.equal(committed, renderCatalogue());
});

test('every stream and type has a documented producer and at least the archive as consumer', () => {
  for (const [stream, types] of Object.entries(EVENT_SCHEMAS)) {
    assert.ok(ROUTING[stream], stream);
    assert.ok('event-store-archive' in ROUTING[stream].groups, stream);
    for (const type of Object.keys(types)) assert.ok(ROUTING[stream].producers[type], `${stream} ${type}`);
  }
});
