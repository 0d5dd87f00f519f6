/**
 * Tailing figures: how long a written line takes to show in /metrics, and what the sidecar costs
 * while nothing happens. Both run the real CLI as a separate process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export async function startSidecar(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [CLI, 'run', '--web.listen-address', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  // The bound port is in the startup log line.
  const port = await new Promise<number>((resolve, reject) => {
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"port":(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`sidecar exited (${code}): ${err}`)));
  });
  return { proc, port };
}

async function okLines(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^llmtail_lines_total\{result="ok"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

/**
 * `count` lines written at `rate` lines/s; for each, the time from the write() returning to the
 * first scrape that counts it. Scrapes poll as fast as they answer, which is the resolution.
 */
export async function writeToMetricsLatency(dir: string, extraArgs: string[] = [], count = 1000, rate = 100): Promise<{ p50: number; p99: number; max: number }> {
  const log = path.join(dir, `latency-${extraArgs.length}.jsonl`);
  writeFileSync(log, '');
  const { proc, port } = await startSidecar(['--input', log, ...extraArgs]);
  const latencies: number[] = [];
  try {
    const interval = 1000 / rate;
    const t0 = performance.now();
    for (let i = 1; i <= count; i++) {
      const due = t0 + i * interval;
      while (performance.now() < due) await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      appendFileSync(log, `{"request_id":"r${i}","model":"m","total_time_ms":12,"status":"success"}\n`);
      const written = performance.now();
      while ((await okLines(port)) < i) {
        if (performance.now() - written > 5000) throw new Error(`line ${i} not visible after 5 s`);
      }
      latencies.push(performance.now() - written);
    }
  } finally {
    proc.kill('SIGTERM');
  }
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: Math.max(...latencies) };
}

/** CPU seconds the idle sidecar (one followed file, nothing written) uses over `seconds`. */
export async function idleCpu(dir: string, seconds: number): Promise<{ cpuSeconds: number; shareOfCore: number }> {
  const log = path.join(dir, 'idle.jsonl');
  writeFileSync(log, '');
  const { proc, port } = await startSidecar(['--input', log]);
  try {
    await okLines(port); // fully started
    await new Promise((r) => setTimeout(r, 2000)); // let start-up JIT and GC settle
    const before = cpuTicks(proc.pid as number);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = cpuTicks(proc.pid as number);
    const cpuSeconds = (after - before) / 100; // USER_HZ
    return { cpuSeconds, shareOfCore: cpuSeconds / seconds };
  } finally {
    proc.kill('SIGTERM');
  }
}

/** utime + stime of a process, in clock ticks, from /proc. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
