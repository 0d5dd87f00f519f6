import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseSummary, SUMMARY_JSON_SCHEMA, summarySchema } from '../../src/summarizer/schema.js';
import { summarizerConfigSchema } from '../../src/summarizer/config.js';
import { redactSecrets } from '../../src/summarizer/secrets.js';

const good = {
  anomalies: [{ type: 'gpu_oom', severity: 'high', template_ids: ['T3'], evidence: 'OOM dominates.' }],
  root_cause: { hypothesis: 'KV cache pressure.', confidence: 0.8 },
  alert_suggestions: ['Lower max_num_seqs.'],
};

describe('summary schema', () => {
  it('the JSON Schema sent to the model describes what zod accepts', () => {
    const fromZod = z.toJSONSchema(summarySchema) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(SUMMARY_JSON_SCHEMA.properties).sort()).toEqual(Object.keys(fromZod.properties).sort());
    expect([...SUMMARY_JSON_SCHEMA.required].sort()).toEqual([...fromZod.required].sort());
    expect(SUMMARY_JSON_SCHEMA.properties.anomalies.items.properties.severity.enum).toEqual(['low', 'medium', 'high']);
  });

  it('accepts a good answer, fenced or not', () => {
    const known = new Set(['T3']);
    expect(parseSummary(JSON.stringify(good), known)).toMatchObject({ ok: true, discarded: 0 });
    expect(parseSummary(`\`\`\`json\n${JSON.stringify(good)}\n\`\`\``, known)).toMatchObject({ ok: true });
  });

  it('rejects what is not JSON or does not fit, saying why in a few words', () => {
    const known = new Set(['T3']);
    expect(parseSummary('', known)).toEqual({ ok: false, problem: 'empty answer' });
    expect(parseSummary('The cause is probably memory.', known)).toEqual({ ok: false, problem: 'answer is not JSON' });
    const bad = parseSummary(JSON.stringify({ ...good, root_cause: { hypothesis: 'x', confidence: 7 } }), known);
    expect(bad).toMatchObject({ ok: false });
    expect(!bad.ok && bad.problem).toContain('root_cause.confidence');
    expect(parseSummary(JSON.stringify({ ...good, anomalies: [{ ...good.anomalies[0], severity: 'critical' }] }), known).ok).toBe(false);
  });

  it('discards anomalies citing unknown template ids, or none', () => {
    const r = parseSummary(
      JSON.stringify({
        ...good,
        anomalies: [
          good.anomalies[0],
          { type: 'made_up', severity: 'low', template_ids: ['T3', 'T42'], evidence: 'x' },
          { type: 'uncited', severity: 'low', template_ids: [], evidence: 'x' },
        ],
      }),
      new Set(['T3']),
    );
    expect(r).toMatchObject({ ok: true, discarded: 2 });
    expect(r.ok && r.summary.anomalies.map((a) => a.type)).toEqual(['gpu_oom']);
  });
});

describe('summarizer config', () => {
  it('is off by default and needs a model with a base URL', () => {
    const c = summarizerConfigSchema.parse({});
    expect(c.base_url).toBe('');
    expect(summarizerConfigSchema.safeParse({ base_url: 'http://127.0.0.1:8000/v1' }).success).toBe(false);
    expect(summarizerConfigSchema.safeParse({ base_url: 'ftp://x' , model: 'm'}).success).toBe(false);
    expect(summarizerConfigSchema.safeParse({ base_url: 'http://127.0.0.1:8000/v1', model: 'Qwen/Qwen2.5-7B-Instruct' }).success).toBe(true);
  });

  it('check-config shows the key redacted', () => {
    const shown = redactSecrets({ summarizer: { api_key: 'sk-secret', model: 'm' }, other: { api_key: '' } });
    expect(shown).toEqual({ summarizer: { api_key: '[redacted]', model: 'm' }, other: { api_key: '' } });
  });
});
