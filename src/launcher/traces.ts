/**
 * `npm run traces -- <checkout id | trace id>`: a checkout's (or one trace's) spans from the local trace store
 * (`.data/traces/`, written when no OTLP endpoint is set) as a waterfall, following links from the HTTP request
 * through each consumer's spans. With OTLP configured, look in Jaeger instead.
 */
import { pathToFileURL } from 'node:url';
import { tracesDir } from '../platform/tracing/config.ts';
import { readStore } from '../platform/tracing/store.ts';
import { renderWaterfall, selectSpans } from '../platform/tracing/waterfall.ts';
import { REPO_ROOT } from './paths.ts';

export function tracesCommand(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string[] } {
  const id = args.find((a) => !a.startsWith('-'));
  if (!id) return { code: 2, out: ['usage: npm run traces -- <checkout id | trace id>'] };
  const dir = tracesDir(env, REPO_ROOT);
  const all = readStore(dir);
  if (all.length === 0) return { code: 1, out: [`no spans in ${dir} (tracing off, or traces sent to OTLP instead?)`] };
  const { spans, traces } = selectSpans(all, id);
  if (spans.length === 0) return { code: 1, out: [`no trace for ${id} among ${all.length} spans in ${dir}`] };
  return {
    code: 0,
    out: [
      `${spans.length} spans in ${traces.length} trace(s): ${traces.join(', ')}`,
      '',
      ...renderWaterfall(spans, { width: Number(env.TRACES_WIDTH) || 40 }),
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { code, out } = tracesCommand(process.argv.slice(2));
  (code === 0 ? process.stdout : process.stderr).write(`${out.join('\n')}\n`);
  process.exitCode = code;
}
