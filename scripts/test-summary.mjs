// A node:test reporter for scripts/run-tests.mjs: writes the file's counts (the same ones the spec reporter prints
// at its end: tests, suites, pass, fail, cancelled, skipped, todo) as one JSON object, so the runner can total them.
const COUNTS = new Set(['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo']);

export default async function* summary(source) {
  const counts = {};
  for await (const event of source) {
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const [key, value] = String(event.data.message).split(' ');
    if (COUNTS.has(key) && /^\d+$/.test(value ?? '')) counts[key] = Number(value);
  }
  yield `${JSON.stringify(counts)}\n`;
}
