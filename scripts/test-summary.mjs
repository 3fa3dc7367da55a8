// A node:test reporter for scripts/run-tests.mjs: writes the file's counts (the same ones the spec reporter prints
// at its end: tests, suites, pass, fail, cancelled, skipped, todo) and its failed tests' names and messages as one
// JSON object, so the runner can total them and repeat the failures at the end of a long run, where a CI log's
// tail shows them.
const COUNTS = new Set(['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo']);
const MESSAGE_MAX = 4_000;

export default async function* summary(source) {
  const counts = {};
  const failures = [];
  for await (const event of source) {
    if (event.type === 'test:fail' && event.data.details?.type !== 'suite') {
      const error = event.data.details?.error;
      // node:test wraps a test's own error (ERR_TEST_FAILURE): its cause is the assertion.
      const message = String(error?.cause?.message ?? error?.message ?? error ?? 'failed');
      failures.push({ name: event.data.name, message: message.slice(0, MESSAGE_MAX) });
    }
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const [key, value] = String(event.data.message).split(' ');
    if (COUNTS.has(key) && /^\d+$/.test(value ?? '')) counts[key] = Number(value);
  }
  yield `${JSON.stringify({ ...counts, failures })}\n`;
}
