import { describe, expect, it } from 'vitest';
import { LABEL_NAMES } from '../../src/consumers/metrics/definitions.js';
import { configSchema } from '../../src/config/schema.js';
import { PRESET_NAMES, PRESETS } from '../../src/events/presets.js';
import { formatSummary } from '../../src/exposition/summary.js';
import { createLogger } from '../../src/log/logger.js';
import { cellWidth } from '../../src/report/format/cell.js';
import { Sidecar } from '../../src/sidecar.js';
import { Rng } from '../../src/simulator/random.js';
import { expectEveryLineAccounted, expectLabelsWithinCap, expectPromtoolClean } from '../helpers/accounting.js';
import { parseExposition } from '../helpers/exposition.js';
import { corpusText, hostileCorpus, type CorpusLine } from '../helpers/hostile-corpus.js';

/**
 * Property test over every preset (read from PRESET_NAMES, so new ones are covered) and auto: a
 * seeded hostile corpus through the real pipeline, in two halves with a checkpoint restore in
 * between (under a smaller label length), must account for every line once, keep every label
 * value from the log within the cap, and pass promtool.
 */

const silent = createLogger('silent', 'json');
const MAX_LINE_BYTES = 16_384;
const LINES = 600;
const CAPS = [12, 24, 128];

function sidecar(preset: string, cap: number): Sidecar {
  const config = configSchema.parse({
    preset,
    inputs: [],
    labels: { allow: LABEL_NAMES, max_values: 16, max_value_length: cap },
    lines: { max_bytes: MAX_LINE_BYTES },
    gpu: { enabled: 'off' },
  });
  return new Sidecar(config, silent, { processMetrics: false, gpu: false });
}

/** Feeds the lines as bytes in random-sized chunks (multi-byte characters split across them). */
function feed(s: Sidecar, lines: readonly CorpusLine[], rng: Rng): void {
  const bytes = Buffer.from(corpusText(lines));
  const splitter = s.pipeline.splitter();
  for (let at = 0; at < bytes.length; ) {
    const n = rng.intBetween(1, 4096);
    splitter.push(bytes.subarray(at, at + n));
    at += n;
  }
  splitter.flush();
}

/** A restart: everything the checkpoint keeps, through JSON, into a sidecar with a new config. */
function restart(from: Sidecar, to: Sidecar): void {
  const metrics = JSON.parse(JSON.stringify(from.requestMetrics.snapshot())) as ReturnType<Sidecar['requestMetrics']['snapshot']>;
  expect(to.requestMetrics.incompatibility(metrics)).toBeUndefined();
  to.requestMetrics.restore(metrics);
  to.pipeline.stats.restore(from.pipeline.stats.snapshot());
  const anomaly = from.anomaly?.snapshot();
  if (anomaly !== undefined) expect(to.anomaly?.restore(JSON.parse(JSON.stringify(anomaly)) as typeof anomaly)).toBeUndefined();
}

/** The free-text labels (not the status, a fixed set) the preset fills from the log. */
function textLabels(preset: string): string[] {
  const names = preset === 'auto' ? PRESET_NAMES : PRESET_NAMES.filter((p) => p === preset);
  const fields = new Set(names.flatMap((p) => Object.keys(PRESETS[p].mapping.fields)));
  return LABEL_NAMES.filter((l) => l !== 'status' && fields.has(l));
}

describe('a hostile corpus through every preset', () => {
  const presets = [...PRESET_NAMES, 'auto'];

  it.each(presets.map((p, i) => [p, i] as const))('%s: every line counted once, labels within the cap, promtool clean', async (preset, i) => {
    const cap = CAPS[i % CAPS.length] as number;
    const corpus = hostileCorpus({ seed: 16_000 + i, lines: LINES, cap, maxLineBytes: MAX_LINE_BYTES, presets: PRESET_NAMES });
    const rng = new Rng(i);
    const first = sidecar(preset, cap);
    feed(first, corpus.slice(0, LINES / 2), rng);
    const before = await first.registry.render(false);
    expectLabelsWithinCap(parseExposition(before), cap);

    // The second half after a restart under a smaller length: saved values are cut again.
    const second = sidecar(preset, cap - 2);
    restart(first, second);
    feed(second, corpus.slice(LINES / 2), rng);
    const text = await second.registry.render(false);
    const m = parseExposition(text);
    expectEveryLineAccounted(m, corpus);
    // The corpus made requests, folded values and cut ones, or the checks above prove little
    // (for a preset that maps no free-text label, there is nothing to fold or cut).
    expect(m.get('llmtail_lines_total', { result: 'ok' })).toBeGreaterThan(10);
    expect(expectLabelsWithinCap(m, cap - 2)).toBeGreaterThan(100);
    const values = m.all('llmtail_requests_total').flatMap((s) => textLabels(preset).map((l) => s.labels[l] ?? ''));
    if (textLabels(preset).length > 0) {
      expect(values).toContain('__other__');
      expect(values.some((v) => v.length === cap - 2)).toBe(true);
    }
    expectPromtoolClean(text);

    // The summary table: rows as wide as the header, and bounded.
    const rows = formatSummary(second.requestMetrics, second.pipeline.stats).split('\n');
    const table = rows.slice(0, rows.findIndex((r) => r.startsWith('lines: ')));
    const width = cellWidth(table[0] as string);
    for (const r of table) expect(cellWidth(r)).toBe(width);
    expect(width).toBeLessThan(400);
  });
});
