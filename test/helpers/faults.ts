/** Shared pieces of the end-to-end fault tests (test/faults/): log lines, scrapes, /proc readings. */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import type { RunningCli } from './cli.js';
import { parseExposition, type Exposition } from './exposition.js';

const MODELS = ['qwen-7b', 'llama-8b', 'mistral-7b'];

/** Request line `i`: a flat-shape success (every 10th an error), always counted as one request. */
export function requestLine(i: number, model = MODELS[i % MODELS.length] as string): string {
  const status = i % 10 === 9 ? 'error' : 'success';
  return `${JSON.stringify({
    timestamp: new Date(Date.UTC(2025, 0, 1) + i * 10).toISOString(),
    request_id: `r${i}`,
    model,
    input_tokens: 100 + (i % 900),
    output_tokens: 10 + (i % 300),
    total_time_ms: 50 + ((i * 37) % 5000),
    queue_time_ms: i % 40,
    status,
    ...(status === 'error' ? { error_type: 'oom' } : {}),
  })}\n`;
}

/** Append lines [from, from + n) to `file`, in one write. */
export function appendLines(file: string, from: number, n: number): void {
  let text = '';
  for (let i = from; i < from + n; i++) text += requestLine(i);
  appendFileSync(file, text);
}

export async function scrape(cli: RunningCli): Promise<Exposition> {
  const res = await fetch(cli.url('/metrics'), { signal: AbortSignal.timeout(20_000) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

/** Lines counted, requests counted: the two numbers every fault test holds to the lines written. */
export async function counts(cli: RunningCli): Promise<{ lines: number; ok: number; requests: number }> {
  const m = await scrape(cli);
  return { lines: m.sum('llmtail_lines_total'), ok: m.get('llmtail_lines_total', { result: 'ok' }) ?? 0, requests: m.sum('llmtail_requests_total') };
}

/** Every process whose parent chain leads to `pid` (from /proc). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): state, ppid, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parent.set(Number(name), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** Resident memory now and at its peak (VmHWM), in bytes, from /proc/PID/status. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Lines of the sidecar's JSON log (stderr) whose msg matches. */
export function logLines(cli: RunningCli, msg: RegExp): Record<string, unknown>[] {
  return cli
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => msg.test(String(l.msg)));
}

export const isRoot = (): boolean => process.getuid?.() === 0;
