import { z } from 'zod';

/**
 * The `summarizer` configuration section: an OpenAI-compatible endpoint (vLLM serving
 * Qwen2.5-7B-Instruct, as in seed 000) that explains error bursts. Off unless both base_url and
 * model are set. Mounted into src/config/schema.ts.
 */

const positiveInt = (max = Number.MAX_SAFE_INTEGER) => z.number().int().positive().max(max);

const httpUrl = (what: string) =>
  z.string().refine((s) => s === '' || /^https?:\/\/[^\s/]+/.test(s), { message: `expected an http(s) URL (${what}), or empty` });

export const summarizerConfigSchema = z
  .object({
    base_url: httpUrl('e.g. http://127.0.0.1:8000/v1')
      .default('')
      .describe('OpenAI-compatible API base URL, e.g. http://127.0.0.1:8000/v1 (vLLM). Empty: no summaries (templates still are).'),
    model: z.string().default('').describe('Model to ask, e.g. Qwen/Qwen2.5-7B-Instruct. Required with base_url.'),
    api_key: z
      .string()
      .default('')
      .describe('API key sent to base_url (never logged; prefer LLMTAIL_SUMMARIZER_API_KEY). Empty: a placeholder (vLLM accepts any). OPENAI_* variables are never read.'),
    timeout_ms: positiveInt(600_000).default(20_000).describe('Limit on one model call (each retry gets its own).'),
    max_retries: z.number().int().min(0).max(5).default(1).describe('Retries of a failed call (connection errors, 429, 5xx), with backoff.'),
    max_completion_tokens: positiveInt(8192).default(700).describe('Most tokens the model may answer with.'),
    prompt_token_budget: z
      .number()
      .int()
      .min(800)
      .max(100_000)
      .default(1500)
      .describe('Prompt size limit in tokens (estimated conservatively), whatever the burst size; templates beyond it are left out and counted.'),
    rate_per_minute: z.number().positive().max(600).default(6).describe('Token-bucket limit on model calls (at most 3 back to back).'),
    cooldown_ms: z
      .number()
      .int()
      .nonnegative()
      .max(86_400_000)
      .default(300_000)
      .describe('After 3 failed calls in a row, no calls for this long.'),
    wait_for_summary_ms: z
      .number()
      .int()
      .nonnegative()
      .max(600_000)
      .default(10_000)
      .describe("How long a burst's first Alertmanager post waits for the summary (Alertmanager does not notify again when only annotations change)."),
    skip_when_same_server: z
      .boolean()
      .default(true)
      .describe('Make no call while the model endpoint is the server that is failing and its /health is not OK.'),
    monitored_url: httpUrl('the inference server whose log is tailed')
      .default('')
      .describe('URL of the inference server whose log is tailed, compared (host:port) with base_url. Empty: the same server when the burst model is the summarizer model.'),
  })
  .strict()
  .refine((s) => s.base_url === '' || s.model !== '', { message: 'expected summarizer.model when summarizer.base_url is set', path: ['model'] });

export type SummarizerConfig = z.output<typeof summarizerConfigSchema>;

export function summarizerEnabled(c: SummarizerConfig): boolean {
  return c.base_url !== '' && c.model !== '';
}
