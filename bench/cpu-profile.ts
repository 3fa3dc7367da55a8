/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) into the top self-time costs, by function and by
 * module, so a benchmark can print where a process spends its time without opening DevTools.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock (the one `process.hrtime` reads, on Linux). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Cost {
  name: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Busy time: everything but `(idle)`. */
  busyMs: number;
  functions: Cost[];
  modules: Cost[];
}

/** `node_modules/undici/lib/x.js` → `undici`, `src/gateway/a/b.js` → `gateway/a/b`, node internals → `node:x`. */
export function moduleOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url.split('/')[0]!;
  const src = url.lastIndexOf('/src/');
  // The launcher's compiled tree lives under node_modules/.cache: it is our code.
  if (src !== -1 && (url.includes('/node_modules/.cache/') || !url.includes('/node_modules/')))
    return url.slice(src + 5).replace(/\.(js|ts)$/, '');
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return path.basename(url);
}

/** `window`: only the samples taken between these `process.hrtime.bigint()` readings / 1000 (µs), e.g. a load phase. */
export function summariseProfile(file: string, top = 15, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const { callFrame } = byId.get(id)!;
    totalMs += ms;
    if (callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const mod = moduleOf(callFrame.url);
    const fn = `${callFrame.functionName || '(anonymous)'} ${mod}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    fns.set(fn, (fns.get(fn) ?? 0) + ms);
    mods.set(mod, (mods.get(mod) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, selfMs: Math.round(ms), percent: Math.round((ms / busyMs) * 1000) / 10 }));
  return { totalMs: Math.round(totalMs), busyMs: Math.round(busyMs), functions: rank(fns), modules: rank(mods) };
}
