/** Stream entry ids compare in stream order, exactly, whatever their size. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareIds } from '../../src/platform/bus/stream-entries.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

test('ids compare by time, then by sequence, as numbers not as text', () => {
  assert.ok(compareIds('9-0', '10-0') < 0);
  assert.ok(compareIds('10-2', '10-10') < 0);
  assert.ok(compareIds('1700000000000-5', '1700000000000-5') === 0);
  assert.ok(compareIds('1700000000001-0', '1700000000000-99') > 0);
  // Beyond 2^53 a Number comparison would call these equal.
  assert.ok(compareIds('1-18446744073709551615', '1-18446744073709551614') > 0);
});
