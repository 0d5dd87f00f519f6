import type { LineStats } from '../../pipeline/line-stats.js';
import { parseLineObject } from '../line-object.js';
import { decodeTraceRequestJson } from './otlp-json.js';
import { OtlpDecodeError, type SpanRecord } from './span-record.js';
import type { SpanStats } from './span-stats.js';

/**
 * `--preset otlp`: each line is one OTLP JSON ExportTraceServiceRequest, as the OpenTelemetry
 * Collector's file exporter writes them, holding any number of spans. The line is counted once
 * (ok, invalid, unmapped — a JSON object that is not an export request — or empty) and its spans
 * are returned for the span decoder; spans that cannot be read are counted as rejected.
 */
export class OtlpLineDecoder {
  constructor(
    private readonly lines: LineStats,
    private readonly spans: SpanStats,
  ) {}

  decode(text: string): SpanRecord[] | undefined {
    const parsed = parseLineObject(text, this.lines);
    if (parsed === undefined) return undefined;
    // Another signal's export (resourceMetrics, resourceLogs) is valid JSON but not spans.
    if (!('resourceSpans' in parsed)) {
      this.lines.unmapped();
      return undefined;
    }
    try {
      const batch = decodeTraceRequestJson(parsed);
      this.spans.rejected(batch.rejected);
      this.lines.ok();
      return batch.spans;
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) throw err;
      this.lines.unmapped();
      return undefined;
    }
  }
}
