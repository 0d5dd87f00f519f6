import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown } from '../src/config/reference.js';
import { presetsReferenceMarkdown } from '../src/events/presets-reference.js';
import { metricsReferenceMarkdown } from '../src/exposition/reference.js';
import { extractGenerated } from '../scripts/generated-blocks.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('carries the current generated reference tables (run `npm run docs` when this fails)', async () => {
    expect(extractGenerated(readme, 'config')).toBe(configReferenceMarkdown());
    expect(extractGenerated(readme, 'presets')).toBe(presetsReferenceMarkdown());
    expect(extractGenerated(readme, 'metrics')).toBe(await metricsReferenceMarkdown());
  });

  it('gives exactly the two set-up commands, and they are npm scripts that exist', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
    expect(pkg.scripts.demo).toContain('demo');
    expect(pkg.scripts.test).toContain('vitest run');
  });

  it('documents every metric family and the default port', async () => {
    const metrics = await metricsReferenceMarkdown();
    for (const name of ['llmtail_requests_total', 'llmtail_request_duration_seconds', 'llmtail_lines_total']) expect(metrics).toContain(name);
    expect(readme).toContain('Default port: 9838');
  });
});
