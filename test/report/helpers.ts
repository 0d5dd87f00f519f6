import { anomalyConfigSchema } from '../../src/consumers/anomaly/config.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { LineStats } from '../../src/pipeline/line-stats.js';
import { ReportAggregate } from '../../src/report/aggregate.js';
import { buildReport, type Report } from '../../src/report/report-data.js';

export const T0 = Date.UTC(2025, 0, 1) / 1000;

/** A small report: 100 requests over 99 s, latencies 10..1000 ms, one hostile error message and model name. */
export function sampleReport(extra: InferenceEvent[] = []): Report {
  const agg = new ReportAggregate({ exactValueLimit: 1e6, maxModels: 10, maxModelNameLength: 64, anomaly: anomalyConfigSchema.parse({}) });
  for (let i = 1; i <= 100; i++) {
    agg.consume({
      status: i % 25 === 0 ? 'error' : 'success',
      model: i % 2 ? 'qwen-7b' : 'qwen|14b <b>',
      timestamp: T0 + i - 1,
      e2eSeconds: i / 100,
      ttftSeconds: i / 1000,
      promptTokens: i,
      completionTokens: 2 * i,
      errorType: i % 25 === 0 ? 'oom' : undefined,
      errorMessage: i % 25 === 0 ? 'boom <script>alert("x")</script> \u001b[31mred\u001b[0m | *bold*' : undefined,
      output: 'ok',
    });
  }
  for (const e of extra) agg.consume(e);
  const stats = new LineStats();
  for (let i = 0; i < 100; i++) stats.ok();
  stats.invalidLine('json_syntax');
  stats.invalidLine('json_syntax');
  stats.invalidLine('too_long');
  return buildReport(agg, stats, { generator: 'llmtail test', inputs: [{ path: 'app.jsonl', bytes: 1234, gzip: false, warning: null }], exactValueLimit: 1e6 });
}
