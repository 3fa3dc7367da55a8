/**
 * Preloaded into every service child (`--import ./src/launcher/orphan-guard.ts`): if the supervisor dies
 * without stopping it (SIGKILL, crash), the child is re-parented; it then stops itself with SIGTERM (its normal
 * graceful shutdown) instead of holding its port forever and making the next `npm start` fail.
 */
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }
}, 1_000);
timer.unref();
