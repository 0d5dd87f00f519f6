import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { hostPort, isHealthy, isSameServer } from '../../src/summarizer/same-server.js';

describe('same server', () => {
  it('compares host:port with monitored_url when it is set', () => {
    expect(hostPort('http://LOCALHOST/v1')).toBe('localhost:80');
    expect(hostPort('https://vllm.internal/v1')).toBe('vllm.internal:443');
    expect(isSameServer('http://127.0.0.1:8000/v1', 'x', 'http://127.0.0.1:8000', 'other-model')).toBe(true);
    expect(isSameServer('http://127.0.0.1:8001/v1', 'x', 'http://127.0.0.1:8000', 'x')).toBe(false);
  });

  it('otherwise compares the burst model with the summarizer model, without organization and case', () => {
    expect(isSameServer('http://h/v1', 'Qwen/Qwen2.5-7B-Instruct', '', 'qwen2.5-7b-instruct')).toBe(true);
    expect(isSameServer('http://h/v1', 'Qwen/Qwen2.5-7B-Instruct', '', 'Qwen/Qwen2.5-14B-Instruct')).toBe(false);
  });

  it('health: 2xx, 404 and 405 are healthy; 5xx, refused and silence are not', async () => {
    let status = 200;
    let hang = false;
    const server = createServer((_req, res) => {
      if (!hang) res.writeHead(status).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
    try {
      for (const [s, want] of [
        [200, true],
        [404, true],
        [503, false],
        [500, false],
      ] as const) {
        status = s;
        expect(await isHealthy(url), String(s)).toBe(want);
      }
      hang = true;
      expect(await isHealthy(url, 100)).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
    expect(await isHealthy(url, 500)).toBe(false);
  });
});
