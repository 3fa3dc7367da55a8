/**
 * A system binary a test needs (prometheus, promtool…). Outside CI a missing binary skips the test with a message;
 * under CI=true it never skips: the test runs and fails, since .ci/run installs it and a silent skip would hide
 * a broken CI (issue 12 item 4).
 */
import assert from 'node:assert/strict';
import { findOnPath } from '../../src/launcher/redis-preflight.ts';

export interface Tool {
  /** Absolute path, or undefined when not on PATH. */
  path: string | undefined;
  /** node:test's `skip` option: a message when the test should be skipped, false when it must run. */
  skip: string | false;
  /** The path, or a failed assertion naming the binary and how to install it. */
  require: () => string;
}

export const inCI = () => process.env.CI === 'true';

export async function tool(name: string, install: string): Promise<Tool> {
  const found = await findOnPath(name);
  const missing = `${name} is not installed (${install})`;
  return {
    path: found,
    skip: found || inCI() ? false : `${missing}: skipped`,
    require: () => {
      if (!found) assert.fail(`${missing}; it is required under CI=true`);
      return found;
    },
  };
}
