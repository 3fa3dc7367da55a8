/**
 * A file-level timeout (issue 12 item 5), for test files whose tests are not all inside a `describe(…, { timeout })`.
 * `node --test` runs each file in its own process: once `ms` have passed this one says so and exits 1, so a hang fails
 * the file (and names it) instead of stalling the CI job. The timer is unref'd: a file that finishes exits at once.
 * Files that start a whole system use a describe timeout instead, so their `after` hooks still stop it.
 */
export function fileTimeout(ms: number): void {
  const timer = setTimeout(() => {
    process.stderr.write(`\n# test file timed out after ${ms} ms (fileTimeout): ${process.argv[1] ?? ''}\n`);
    process.exit(1);
  }, ms);
  timer.unref();
}
