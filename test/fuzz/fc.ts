/**
 * fast-check settings shared by the property tests: CI-sized runs by default; `FUZZ_RUNS` and `FUZZ_SEED` make a
 * longer run or replay a failure (fast-check prints the seed and path of any counterexample it finds).
 */
import fc from 'fast-check';

export function fcOptions(defaultRuns: number): fc.Parameters<unknown> {
  const runs = Number(process.env.FUZZ_RUNS ?? '');
  const seed = Number(process.env.FUZZ_SEED ?? '');
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    ...(Number.isInteger(seed) && process.env.FUZZ_SEED ? { seed } : {}),
  };
}

/** Asserts a property with the shared settings (the thrown report carries seed and path). */
export function check<T>(property: fc.IProperty<T>, defaultRuns = 200): void {
  fc.assert(property, fcOptions(defaultRuns) as fc.Parameters<T>);
}

/** Freezes a value deeply, so a function that mutates its input throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
