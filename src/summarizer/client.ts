import OpenAI from 'openai';
import { SUMMARY_JSON_SCHEMA } from './schema.js';

/**
 * The model endpoint, through the official `openai` SDK. Everything is passed explicitly —
 * baseURL, apiKey (a placeholder when none is configured: vLLM accepts any), no organization or
 * project, logging off — so stray OPENAI_* variables can neither send the prompt elsewhere nor
 * print it; a fetch wrapper also drops any header we did not choose (OPENAI_CUSTOM_HEADERS).
 * Each call has a timeout, the SDK's limited retries (connection errors, 429, 5xx, with backoff)
 * and the caller's AbortSignal (shutdown).
 */

export interface CompletionRequest {
  system: string;
  user: string;
  maxTokens: number;
  signal: AbortSignal;
}

export interface CompletionResult {
  content: string | null;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  /** The response_format that was accepted. */
  format: ResponseFormatKind;
}

export type ResponseFormatKind = 'json_schema' | 'json_object';

/** What the summarizer needs from a client (tests may substitute one). */
export interface CompletionClient {
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

export interface ClientOptions {
  baseURL: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

/** Used when no key is configured: the SDK insists on one, and vLLM ignores it. */
export const PLACEHOLDER_API_KEY = 'not-needed';

const ALLOWED_HEADERS = new Set(['accept', 'content-type', 'content-length', 'user-agent', 'authorization', 'idempotency-key']);

/** fetch with only the headers we mean to send. */
const guardedFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const headers = new Headers(init?.headers);
  for (const name of [...headers.keys()]) if (!ALLOWED_HEADERS.has(name) && !name.startsWith('x-stainless-')) headers.delete(name);
  return fetch(input, { ...init, headers });
};

export class OpenAICompletionClient implements CompletionClient {
  private readonly sdk: OpenAI;
  /** json_schema first; json_object once a server has rejected json_schema (HTTP 400) and accepted json_object. */
  private format: ResponseFormatKind = 'json_schema';

  constructor(private readonly options: ClientOptions) {
    this.sdk = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey === '' ? PLACEHOLDER_API_KEY : options.apiKey,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      logLevel: 'off',
      fetch: guardedFetch,
    });
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    if (this.format === 'json_object') return this.call(request, 'json_object');
    try {
      return await this.call(request, 'json_schema');
    } catch (err) {
      if (!(err instanceof OpenAI.BadRequestError)) throw err;
      // Servers without structured outputs (older vLLM, some proxies) reject json_schema with 400.
      const result = await this.call(request, 'json_object');
      this.format = 'json_object';
      return result;
    }
  }

  private async call(request: CompletionRequest, format: ResponseFormatKind): Promise<CompletionResult> {
    const response = await this.sdk.chat.completions.create(
      {
        model: this.options.model,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
        temperature: 0,
        max_tokens: request.maxTokens,
        response_format:
          format === 'json_schema'
            ? { type: 'json_schema', json_schema: { name: 'burst_summary', schema: SUMMARY_JSON_SCHEMA, strict: true } }
            : { type: 'json_object' },
      },
      { signal: request.signal },
    );
    return {
      content: response.choices[0]?.message.content ?? null,
      promptTokens: response.usage?.prompt_tokens,
      completionTokens: response.usage?.completion_tokens,
      format,
    };
  }
}
