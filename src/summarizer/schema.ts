import { z } from 'zod';

/**
 * What the model must answer, as a zod schema (validation) and as the JSON Schema sent in
 * `response_format` (constrained decoding on vLLM). The JSON Schema is written by hand in the
 * plain subset guided-decoding backends (xgrammar, outlines) accept; a test keeps the two in step.
 * Nothing here carries a count: every number shown to a human comes from our own data.
 */

export const SEVERITIES = ['low', 'medium', 'high'] as const;

const text = (max: number) => z.string().trim().min(1).max(max);

export const anomalySchema = z.object({
  type: text(120),
  severity: z.enum(SEVERITIES),
  template_ids: z.array(z.string().max(32)).max(20),
  evidence: text(1000),
});

export const summarySchema = z.object({
  anomalies: z.array(anomalySchema).max(10),
  root_cause: z.object({
    hypothesis: text(1500),
    confidence: z.number().min(0).max(1),
  }),
  alert_suggestions: z.array(text(500)).max(10),
});

export type Summary = z.output<typeof summarySchema>;
export type SummaryAnomaly = z.output<typeof anomalySchema>;

export const SUMMARY_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['anomalies', 'root_cause', 'alert_suggestions'],
  properties: {
    anomalies: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'severity', 'template_ids', 'evidence'],
        properties: {
          type: { type: 'string' },
          severity: { type: 'string', enum: [...SEVERITIES] },
          template_ids: { type: 'array', items: { type: 'string' } },
          evidence: { type: 'string' },
        },
      },
    },
    root_cause: {
      type: 'object',
      additionalProperties: false,
      required: ['hypothesis', 'confidence'],
      properties: {
        hypothesis: { type: 'string' },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
    alert_suggestions: { type: 'array', maxItems: 10, items: { type: 'string' } },
  },
} as const;

export type ParseOutcome = { ok: true; summary: Summary; discarded: number } | { ok: false; problem: string };

/**
 * The model's answer, checked: JSON (a ```json fence around it is tolerated), the schema, and
 * every anomaly resting only on template ids that were in the prompt — one citing an unknown id,
 * or none, is discarded (counted), since its evidence cannot be traced to our data.
 */
export function parseSummary(content: string | null | undefined, knownTemplateIds: ReadonlySet<string>): ParseOutcome {
  if (content === null || content === undefined || content.trim() === '') return { ok: false, problem: 'empty answer' };
  let json: unknown;
  try {
    json = JSON.parse(unfence(content));
  } catch {
    return { ok: false, problem: 'answer is not JSON' };
  }
  const parsed = summarySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `answer does not fit the schema (${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'})` };
  }
  const kept = parsed.data.anomalies.filter((a) => a.template_ids.length > 0 && a.template_ids.every((id) => knownTemplateIds.has(id)));
  return { ok: true, summary: { ...parsed.data, anomalies: kept }, discarded: parsed.data.anomalies.length - kept.length };
}

function unfence(s: string): string {
  const t = s.trim();
  const m = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(t);
  return m === null ? t : (m[1] as string);
}
