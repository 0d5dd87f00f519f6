import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A test OpenAI-compatible endpoint on loopback (POST /v1/chat/completions, GET /health) that
 * answers as told: a good summary (citing the first template id of the prompt), garbage, a stall,
 * 429, 500, or a 400 for json_schema response formats (older vLLM). Every request is recorded.
 */

export type Behavior = 'good' | 'garbage' | 'stall' | '429' | '500' | 'reject_json_schema' | 'unknown_ids';

export interface RecordedRequest {
  headers: IncomingMessage['headers'];
  raw: string;
  body: { model: string; messages: { role: string; content: string }[]; response_format?: { type: string } };
}

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  /** Requests answered so far (a stalled one is not). */
  answered = 0;
  behavior: Behavior | ((n: number, req: RecordedRequest) => Behavior) = 'good';
  healthStatus = 200;
  healthChecks = 0;
  /** Requests being handled right now, and the most at once. */
  concurrent = 0;
  maxConcurrent = 0;
  delayMs = 0;
  private server: Server | undefined;
  private readonly stalled = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    if (typeof addr !== 'object' || addr === null) throw new Error('no address');
    return `http://127.0.0.1:${addr.port}/v1`;
  }

  async stop(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  /** All text the endpoint ever received (bodies), for leak checks. */
  allText(): string {
    return this.requests.map((r) => r.raw).join('\n');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/health') {
      this.healthChecks++;
      res.writeHead(this.healthStatus).end();
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += (chunk as Buffer).toString();
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const recorded: RecordedRequest = { headers: req.headers, raw, body: JSON.parse(raw) as RecordedRequest['body'] };
    this.requests.push(recorded);
    const n = this.requests.length;
    const behavior = typeof this.behavior === 'function' ? this.behavior(n, recorded) : this.behavior;
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    res.on('close', () => this.concurrent--);
    if (behavior === 'stall') {
      this.stalled.add(res);
      return;
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.answered++;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    switch (behavior) {
      case '429':
        return void json(429, { error: { message: 'rate limited', type: 'rate_limit' } }, { 'retry-after-ms': '10' });
      case '500':
        return void json(500, { error: { message: 'internal error' } }, { 'retry-after-ms': '10' });
      case 'reject_json_schema':
        if (recorded.body.response_format?.type === 'json_schema') return void json(400, { error: { message: 'json_schema is not supported' } });
        return void json(200, completion(goodAnswer(recorded)));
      case 'garbage':
        return void json(200, completion('GARBAGE-ANSWER: the cause is cosmic rays {not json'));
      case 'unknown_ids':
        return void json(200, completion(goodAnswer(recorded, ['T999999'])));
      default:
        return void json(200, completion(goodAnswer(recorded)));
    }
  }
}

/** The template ids a prompt shows ("T12 | 40 lines | …"). */
export function promptTemplateIds(req: RecordedRequest): string[] {
  const user = req.body.messages.find((m) => m.role === 'user')?.content ?? '';
  return [...user.matchAll(/^(T\d+) \| /gm)].map((m) => m[1] as string);
}

function goodAnswer(req: RecordedRequest, extraIds: string[] = []): string {
  const ids = promptTemplateIds(req);
  return JSON.stringify({
    anomalies: [
      { type: 'gpu_oom', severity: 'high', template_ids: [ids[0] ?? 'T1'], evidence: 'CUDA out of memory dominates the burst.' },
      ...(extraIds.length > 0 ? [{ type: 'invented', severity: 'low', template_ids: extraIds, evidence: 'cites a template that was not shown' }] : []),
    ],
    root_cause: { hypothesis: 'KV-cache memory pressure under a load spike.', confidence: 0.7 },
    alert_suggestions: ['Lower --gpu-memory-utilization or max_num_seqs.'],
  });
}

function completion(content: string): unknown {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1,
    model: 'test-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366 },
  };
}
