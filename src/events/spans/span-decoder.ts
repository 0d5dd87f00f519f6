import type { LineStats } from '../../pipeline/line-stats.js';
import { compileMapping, type CompiledMapping, type FieldProblemSink, type ValueLimits } from '../compile.js';
import { derivedTimePerOutputToken } from '../decoder.js';
import type { InferenceEvent } from '../event.js';
import { mappingSpecSchema, type MappingSpec } from '../mapping-spec.js';
import { SPAN_MAPPINGS } from './span-mappings.js';
import type { SpanRecord } from './span-record.js';
import type { SpanStats } from './span-stats.js';

/**
 * SpanRecord → InferenceEvent through a span mapping, compiled like a log preset. A span the
 * mapping does not match is counted as not_request and ignored; a field it cannot use is dropped
 * and counted (llmtail_field_errors_total), as for log lines.
 */
export class SpanDecoder {
  private readonly mapping: CompiledMapping;
  private readonly onProblem: FieldProblemSink;

  constructor(
    spec: MappingSpec | undefined,
    limits: ValueLimits,
    private readonly defaultModel: string,
    lineStats: LineStats,
    private readonly stats: SpanStats,
  ) {
    this.mapping = compileMapping(spec === undefined ? 'vllm_spans' : 'custom_spans', spec ?? mappingSpecSchema.parse(SPAN_MAPPINGS.vllm.mapping), limits);
    this.onProblem = (field, problem) => lineStats.fieldProblem(field, problem);
  }

  decode(span: SpanRecord): InferenceEvent | undefined {
    const record = span as unknown as Record<string, unknown>;
    if (!this.mapping.isRequest(record)) {
      this.stats.notRequest();
      return undefined;
    }
    const event = this.mapping.extract(record, this.onProblem);
    if (event.model === undefined) event.model = this.defaultModel;
    if (event.tpotSeconds === undefined) event.tpotSeconds = derivedTimePerOutputToken(event);
    this.stats.request();
    return event;
  }
}
