/**
 * Vite build of the console's web app (ADR 0012): root here, output dist/console-web/ at the repository root, served
 * by the console's BFF. JSX goes through Vite's own Oxc transform (automatic runtime, Preact): no framework plugin.
 * Everything (uPlot, its CSS, icons) is bundled: nothing is fetched from a CDN at run time.
 */
import path from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: path.resolve(root, '../../../dist/console-web'),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
});
