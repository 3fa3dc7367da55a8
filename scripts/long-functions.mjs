// Lists the functions longer than N lines (default 60) under the given files or folders, longest first:
//   node scripts/long-functions.mjs 60 src/gateway src/platform/resilient-client.ts
// CONTRIBUTING.md keeps functions to about 60 lines; test/architecture.test.ts enforces it on the bus, gateway and saga
// paths with `longFunctions`. A function's length counts from its first token to its closing brace, both included.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Every .ts file under `target` (a file or a folder), skipping node_modules and the web app's `web/` folders. */
function tsFiles(target) {
  if (!fs.statSync(target).isDirectory()) return target.endsWith('.ts') ? [target] : [];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .filter((e) => !(e.isDirectory() && (e.name === 'node_modules' || e.name === 'web')))
    .flatMap((e) => tsFiles(path.join(target, e.name)));
}

function nameOf(node) {
  if (node.name) return node.name.getText();
  if (node.parent && ts.isVariableDeclaration(node.parent)) return node.parent.name.getText();
  if (node.parent && ts.isPropertyAssignment(node.parent)) return node.parent.name.getText();
  return '<anonymous>';
}

/**
 * The functions (declarations, methods, arrows, expressions) longer than `maxLines` lines in `targets`.
 * @param {number} maxLines
 * @param {string[]} targets files or folders
 * @returns {{ lines: number, file: string, line: number, name: string }[]} longest first
 */
export function longFunctions(maxLines, targets) {
  const found = [];
  for (const file of targets.flatMap(tsFiles)) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
        const last = source.getLineAndCharacterOfPosition(node.end).line;
        const lines = last - first + 1;
        if (lines > maxLines) found.push({ lines, file, line: first + 1, name: nameOf(node) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found.sort((a, b) => b.lines - a.lines);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [max = '60', ...targets] = process.argv.slice(2);
  if (targets.length === 0) targets.push('src');
  for (const f of longFunctions(Number(max), targets)) console.log(`${f.lines}\t${f.file}:${f.line}\t${f.name}`);
}
