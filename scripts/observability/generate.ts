import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './files.js';

/**
 * Writes the Grafana dashboards and provisioning, the Prometheus rules and example configs, and the
 * Kubernetes manifests from the TypeScript under scripts/observability (`npm run observability`).
 * `--check` writes nothing and exits 1 when a committed file differs from what would be written.
 */

/** The repository root: the nearest directory above this file with llmtail's package.json (works from scripts/ and dist/scripts/). */
export function repoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'llmtail') return dir;
    if (path.dirname(dir) === dir) throw new Error('llmtail package.json not found above scripts/observability');
  }
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const root = repoRoot();
  const stale: string[] = [];
  for (const [rel, content] of generatedFiles()) {
    const file = path.join(root, rel);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === content) continue;
    stale.push(rel);
    if (!check) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`out of date (run npm run observability):\n${stale.map((f) => `  ${f}\n`).join('')}`);
      return 1;
    }
    process.stdout.write('observability files are up to date\n');
    return 0;
  }
  process.stdout.write(stale.length === 0 ? 'observability files were up to date\n' : `wrote:\n${stale.map((f) => `  ${f}\n`).join('')}`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
