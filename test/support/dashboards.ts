/** The PromQL the project ships: every `expr` of the Grafana dashboards and of the Prometheus alert/recording rules. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');

export function dashboardAndRuleExpressions(): string[] {
  const exprs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'expr' && typeof v === 'string') exprs.push(v);
        else walk(v);
      }
    }
  };
  const dir = path.join(root, 'deploy', 'grafana', 'dashboards');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) walk(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
  walk(parse(readFileSync(path.join(root, 'deploy', 'prometheus', 'rules.yml'), 'utf8')));
  return exprs;
}
