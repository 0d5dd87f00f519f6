import { describe, expect, it } from 'vitest';
import { formatHtml } from '../../src/report/format/html.js';
import { formatJson } from '../../src/report/format/json.js';
import { formatMarkdown, inline } from '../../src/report/format/markdown.js';
import { formatTable } from '../../src/report/format/table.js';
import { fmtSeconds, fmtSpan } from '../../src/report/format/units.js';
import { escapeHtml, stripControls } from '../../src/report/escape.js';
import { sampleReport } from './helpers.js';

const report = sampleReport();

describe('table format', () => {
  const text = formatTable(report, { byModel: false });

  it('holds the summary, the distributions and the line accounting, aligned', () => {
    expect(text).toContain('Success rate                         96.00 %');
    expect(text).toContain('End-to-end latency P50 / P95 / P99   500 ms / 950 ms / 990 ms');
    expect(text).toMatch(/end to end\s+100\s+505 ms\s+10 ms\s+500 ms\s+950 ms\s+990 ms\s+1 s/);
    expect(text).toMatch(/invalid: json_syntax\s+2\n/);
    expect(text).toMatch(/invalid: too_long\s+1\n/);
    // Every row of a table is as wide as its rule.
    const lines = text.split('\n');
    const rule = lines.findIndex((l) => /^ {2}-+ {2}-+/.test(l));
    expect(lines[rule - 1]?.trimEnd().length).toBeLessThanOrEqual(lines[rule]?.length ?? 0);
  });

  it('carries no control character from the log (no terminal escape sequences)', () => {
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('\uFFFD['); // the ESC of the color sequence, replaced
  });

  it('--by-model adds one section per model', () => {
    const by = formatTable(report, { byModel: true });
    expect(by).toContain('Model qwen-7b');
    expect(by).toContain('Model qwen|14b <b>');
  });
});

describe('markdown format', () => {
  const md = formatMarkdown(report, { byModel: false });

  it('headings and pipe tables, right-aligned numbers', () => {
    expect(md).toMatch(/^# llmtail report: app\.jsonl\n/);
    expect(md).toContain('## Latency and tokens (all models)');
    expect(md).toContain('| latency | count | mean | min | p50 | p95 | p99 | max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  });

  it('log text cannot break a table, inject HTML or format itself', () => {
    expect(md).toContain('qwen\\|14b &lt;b>');
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<b>');
    expect(inline('a|b *c* `d` <i>&')).toBe('a\\|b \\*c\\* \\`d\\` &lt;i>&amp;');
  });
});

describe('json format', () => {
  it('is the report data, snake_case, base units', () => {
    const parsed = JSON.parse(formatJson(report)) as typeof report;
    expect(parsed).toEqual(report);
    expect(parsed.overall.e2e_latency_seconds).toMatchObject({ p50: 0.5, p95: 0.95, p99: 0.99 });
    const keys = JSON.stringify(parsed).match(/"([a-zA-Z0-9_]+)":/g) ?? [];
    // Keys are snake_case, except the model names and check names used as keys.
    for (const k of keys) expect(k).toMatch(/^"[a-z0-9_]+":$/);
  });
});

describe('html format', () => {
  const html = formatHtml(report, { byModel: true });

  it('escapes every text from the log', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('boom &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('qwen|14b &lt;b&gt;');
    expect(html).not.toContain('<b>');
  });

  it('is self-contained: inline SVG charts, inline style, no fetch of anything', () => {
    expect(html.match(/<svg /g)).toHaveLength(6);
    expect(html).not.toMatch(/\s(src|href|srcset)\s*=/i);
    expect(html).not.toMatch(/url\(|@import|<link|<iframe|<img/i);
    expect(html).toContain("default-src 'none'");
  });
});

describe('escaping and units', () => {
  it('escapeHtml covers text and attributes; stripControls keeps tabs', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(stripControls('a\tb\u001b[2Jc\u0085d\re')).toBe('a\tb\uFFFD[2Jc\uFFFDd\uFFFDe');
  });

  it('durations and spans read naturally', () => {
    expect([0.0008, 0.5, 0.9995, 1, 12.3456, null].map(fmtSeconds)).toEqual(['0.8 ms', '500 ms', '999.5 ms', '1 s', '12.346 s', '–']);
    expect([5.5, 999, 7200 + 300, 3 * 86_400 + 4 * 3600].map(fmtSpan)).toEqual(['5.5 s', '16 min 39 s', '2 h 5 min', '3 d 4 h']);
  });
});
