import { describe, expect, it } from 'vitest';
import { Drain } from '../../../src/consumers/anomaly/drain.js';
import { maskMessage } from '../../../src/consumers/anomaly/masking.js';
import { Rng } from '../../../src/simulator/index.js';

/** Real-looking inference-server errors: PyTorch's two CUDA OOM wordings, vLLM/TGI timeouts and validation errors. */
function families(rng: Rng, i: number): Record<string, string> {
  const gib = (lo: number, hi: number) => rng.range(lo, hi).toFixed(2);
  const gpu = rng.int(8);
  const id = `req_${rng.id(16)}`;
  const hex = Array.from({ length: 32 }, () => '0123456789abcdef'[rng.int(16)]).join('');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
  return {
    oomOld: `CUDA out of memory. Tried to allocate ${gib(0.1, 8)} GiB (GPU ${gpu}; 79.15 GiB total capacity; ${gib(60, 78)} GiB already allocated; ${gib(10, 900)} MiB free; ${gib(70, 79)} GiB reserved in total by PyTorch)`,
    oomNew: `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${rng.intBetween(20, 8000)}.00 MiB. GPU ${gpu} has a total capacity of 79.25 GiB of which ${gib(1, 900)} MiB is free. Process ${rng.intBetween(1000, 99999)} has ${gib(60, 79)} GiB memory in use. Of the allocated memory ${gib(50, 78)} GiB is allocated by PyTorch, and ${gib(0, 3)} GiB is reserved by PyTorch but unallocated.`,
    timeout: `Request ${id} timed out after ${rng.pick([30, 60, 120])}.0s`,
    timeoutKv: `Timed out waiting for generation (request_id=${id}, waited ${rng.intBetween(30000, 120000)} ms)`,
    aborted: `Aborted request ${uuid}.`,
    validation: `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= 8192. Given: ${rng.intBetween(6000, 9000)} \`inputs\` tokens and ${rng.pick([256, 512, 1024, 2048])} \`max_new_tokens\``,
    upstream: `upstream connect error to http://10.0.${i % 250}.${rng.intBetween(1, 250)}:8000/v1/chat/completions at 2025-04-05T10:23:${String(i % 60).padStart(2, '0')}.${rng.intBetween(100, 999)}Z: connection refused`,
  };
}

describe('Drain', () => {
  it("caches a message's masked tokens only once it repeats", () => {
    const drain = new Drain();
    const rng = new Rng(11);
    for (let i = 0; i < 2000; i++) {
      // Each message once (an id and a size in each): none is cached.
      const message = `Request req_${i} failed: tried to allocate ${rng.intBetween(20, 8000)} MiB`;
      drain.add(message, i);
    }
    expect(drain.cachedMessages).toBe(0);
    expect(drain.add('Model is overloaded', 1).id).toBe(drain.add('Model is overloaded', 2).id);
    expect(drain.cachedMessages).toBe(1);
    // Served from the cache: same cluster, counted.
    const c = drain.add('Model is overloaded', 3);
    expect(c.count).toBe(3);
    expect(drain.cachedMessages).toBe(1);
  });

  it('groups each family of real-looking server errors into exactly one template', () => {
    const drain = new Drain();
    const rng = new Rng(7);
    const ids = new Map<string, Set<number>>();
    for (let i = 0; i < 2000; i++) {
      for (const [family, message] of Object.entries(families(rng, i))) {
        const c = drain.add(message, i);
        let set = ids.get(family);
        if (set === undefined) ids.set(family, (set = new Set()));
        set.add(c.id);
      }
    }
    for (const [family, set] of ids) expect(set.size, family).toBe(1);
    expect(new Set([...ids.values()].map((s) => [...s][0])).size).toBe(ids.size);
    expect(drain.size).toBe(ids.size);
    const templates = [...drain.clusters()].map((c) => c.template);
    expect(templates).toContain(
      'CUDA out of memory. Tried to allocate <NUM> GiB (GPU <NUM>; <NUM> GiB total capacity; <NUM> GiB already allocated; <NUM> MiB free; <NUM> GiB reserved in total by PyTorch)',
    );
    expect(templates).toContain('Request <ID> timed out after <NUM>s');
    expect(templates).toContain('Timed out waiting for generation (request_id=<ID>, waited <NUM> ms)');
    expect(templates.find((t) => t.startsWith('upstream'))).toBe('upstream connect error to <URL> at <TS>: connection refused');
    expect(templates.find((t) => t.startsWith('Aborted'))).toBe('Aborted request <UUID>.');
  });

  it('keeps distinct errors apart', () => {
    const drain = new Drain();
    const a = drain.add('AsyncEngineDeadError: Background loop has errored already.', 0);
    const b = drain.add('RuntimeError: CUDA error: an illegal memory access was encountered', 0);
    const c = drain.add('Model is overloaded', 0);
    const d = drain.add('Rate limit exceeded: 120 requests per minute', 0);
    expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(4);
    expect(drain.add('Model is overloaded', 1)).toBe(c);
    expect(c.count).toBe(2);
  });

  it('generalizes a differing word to <*> when most of the message matches', () => {
    const drain = new Drain({ similarity: 0.5 });
    const a = drain.add('worker shard alpha lost heartbeat during decode step', 0);
    const b = drain.add('worker shard beta lost heartbeat during decode step', 1);
    expect(b).toBe(a);
    expect(a.template).toBe('worker shard <*> lost heartbeat during decode step');
  });

  it('keeps at most maxClusters templates, dropping the least recently seen', () => {
    const drain = new Drain({ maxClusters: 100 });
    const word = (n: number) => n.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] as string);
    const keep = drain.add('the one that keeps coming back', 0);
    for (let i = 0; i < 2000; i++) {
      drain.add(`${word(i)} ${word(i * 7 + 3)} ${word(i * 13 + 5)} failed`, i);
      if (i % 50 === 0) drain.add('the one that keeps coming back', i);
    }
    expect(drain.size).toBe(100);
    expect(drain.evicted).toBe(1901);
    expect(drain.get(keep.id)).toBe(keep);
    // Empty branches go with their last template: the tree stays as small as what it holds.
    expect(drain.nodeCount()).toBeLessThanOrEqual(1 + 2 + 2 * 100);
  });

  it('masks numbers, hex, UUIDs, IPs, e-mails, URLs, timestamps and long quoted strings', () => {
    expect(
      maskMessage(
        'at 2025-04-05 14:23:11 user bob@example.com at 192.168.1.7:8080 got 0xdeadbeef and 3f2a9c4e1b7d in a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d via https://api.example.com/v1?x=1 said "this is a long quoted user string that varies" after 1.5s',
      ),
    ).toBe('at <TS> user <EMAIL> at <IP>:<NUM> got <HEX> and <HEX> in <UUID> via <URL> said "<STR>" after <NUM>s');
  });
});
