import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { decoderOptions } from '../../src/events/decoder-options.js';
import { TokenBucket } from '../../src/exposition/web/limits.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { OtlpReceiver } from '../../src/sources/otlp/otlp-receiver.js';

/** The receiver in process, with a frozen clock for its rate limit and a checkpoint that fails. */
let server: Server | undefined;
afterEach(() => server?.close());

async function receiver(options: { durable: boolean; rate: number }): Promise<{ url: string; pipeline: Pipeline }> {
  const pipeline = new Pipeline(decoderOptions(configSchema.parse({})), [], 1 << 20);
  const r = new OtlpReceiver(pipeline, { maxBodyBytes: 1 << 20, bucket: new TokenBucket(options.rate, () => 0), afterCount: () => options.durable, stateful: true });
  const app = express();
  app.post('/v1/traces', r.handle);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server?.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server?.address() as AddressInfo).port}/v1/traces`, pipeline };
}

const body = JSON.stringify({
  resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'llm_request', kind: 2, attributes: [{ key: 'gen_ai.latency.e2e', value: { doubleValue: 1.5 } }] }] }] }],
});
const post = (url: string) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

describe('OtlpReceiver', () => {
  it('answers 429 with Retry-After and a Status past its rate, counting nothing from it', async () => {
    const { url, pipeline } = await receiver({ durable: true, rate: 1 });
    expect((await post(url)).status).toBe(200);
    const limited = await post(url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toEqual({ code: 8, message: 'too many export requests; retry later' });
    expect([...pipeline.spanStats.results]).toEqual([1, 0, 0]);
  });

  it('says in partial_success (rejected 0, never a 5xx) when the counts could not be checkpointed', async () => {
    const { url, pipeline } = await receiver({ durable: false, rate: 100 });
    const res = await post(url);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: '0', errorMessage: 'spans were counted but the checkpoint could not be written; a crash now would lose them' },
    });
    expect([...pipeline.spanStats.results]).toEqual([1, 0, 0]);
  });
});
