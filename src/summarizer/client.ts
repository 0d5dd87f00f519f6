import type OpenAI from 'openai';
import { SUMMARY_JSON_SCHEMA } from './schema.js';

let sdk: typeof OpenAI | undefined;

/**
 * The SDK is loaded on the first call: ~25 MiB of RSS that a sidecar without a summarizer (the
 * default) never pays, and one with it only once a burst needs a summary (issue 15).
 */
async function loadSdk(): Promise<typeof OpenAI> {
  sdk ??= (await import('openai')).default;
  return sdk;
}

/** The SDK's classes once loaded (its errors can only exist after a call loaded it). */
export function loadedSdk(): typeof OpenAI | undefined {
  return sdk;
}

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
  private sdk: Promise<OpenAI> | undefined;
  /** json_schema first; json_object once a server has rejected json_schema (HTTP 400) and accepted json_object. */
  private format: ResponseFormatKind = 'json_schema';

  constructor(private readonly options: ClientOptions) {}

  private client(): Promise<OpenAI> {
    const o = this.options;
    this.sdk ??= loadSdk().then(
      (Sdk) =>
        new Sdk({
          baseURL: o.baseURL,
          apiKey: o.apiKey === '' ? PLACEHOLDER_API_KEY : o.apiKey,
          organization: null,
          project: null,
          webhookSecret: null,
          timeout: o.timeoutMs,
          maxRetries: o.maxRetries,
          logLevel: 'off',
          fetch: guardedFetch,
        }),
    );
    return this.sdk;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    if (this.format === 'json_object') return this.call(request, 'json_object');
    try {
      return await this.call(request, 'json_schema');
    } catch (err) {
      const Sdk = loadedSdk();
      if (Sdk === undefined || !(err instanceof Sdk.BadRequestError)) throw err;
      // Servers without structured outputs (older vLLM, some proxies) reject json_schema with 400.
      const result = await this.call(request, 'json_object');
      this.format = 'json_object';
      return result;
    }
  }

  private async call(request: CompletionRequest, format: ResponseFormatKind): Promise<CompletionResult> {
    const client = await this.client();
    const response = await client.chat.completions.create(
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
