/**
 * The sidecar's footprint beside mtail's (issue 15), measured in one run on this machine: the same
 * writer process appends flat request lines to one file at each rate, `llmtail run --state-dir`
 * (live page on, the defaults, the image's NODE_OPTIONS) and Debian's mtail (bench/mtail/requests.mtail: the same families)
 * follow it side by side, both are scraped every 5 s, and for each: CPU (% of one core, from
 * /proc utime + stime), RSS (idle before the writer starts, then mean and max while it writes),
 * and the lines each counted against the lines written (exact, after the writer stops).
 *
 * Run alone: `npm run build && node dist/bench/footprint.js` (FOOTPRINT_RATES=100,1000,5000,
 * FOOTPRINT_SECONDS=30). mtail is installed with apt-get when missing and we are root, as the
 * test setup does for prometheus.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTicks } from './tailing.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const WRITER = fileURLToPath(new URL('./footprint-writer.js', import.meta.url));
const MTAIL_PROGS = fileURLToPath(new URL('../../bench/mtail/', import.meta.url));
const SCRAPE_MS = 5000;
const IDLE_MS = 10_000;
const WARMUP_MS = 5000;

export interface Footprint {
  cpuPercent: number;
  idleCpuPercent: number;
  idleRssMiB: number;
  meanRssMiB: number;
  maxRssMiB: number;
  /** Private (anonymous) memory, mean while writing: RSS without the executable's shared file pages. */
  meanAnonMiB: number;
  counted: number;
}

export interface FootprintRow {
  rate: number;
  written: number;
  llmtail: Footprint;
  mtail: Footprint;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One "Key:   N kB" line of a /proc/PID file, in MiB. */
function procMiB(pid: number, file: 'status' | 'smaps_rollup', key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const rssMiB = (pid: number) => procMiB(pid, 'status', 'VmRSS');
/** Private memory: RSS without the executable's and libraries' shared file pages. */
const anonMiB = (pid: number) => procMiB(pid, 'smaps_rollup', 'Anonymous');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitFor<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`footprint: timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function scrape(port: number): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The lines a tool counted: llmtail sums its results, mtail's program counts every line. */
function linesCounted(text: string): number {
  let sum = 0;
  for (const m of text.matchAll(/^llmtail_lines_total(?:\{[^}]*\})? (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

interface Tool {
  proc: ChildProcess;
  port: number;
}

/** The V8 options the image runs llmtail with (the Dockerfile's NODE_OPTIONS), so the bench measures that. */
export function imageNodeOptions(): string {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  return /NODE_OPTIONS=(\S+)/.exec(dockerfile)?.[1] ?? '';
}

async function startLlmtail(dir: string, log: string): Promise<Tool> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'run', '--input', log, '--state-dir', path.join(dir, 'state'), '--web.listen-address', `127.0.0.1:${port}`], {
    stdio: 'ignore',
    env: { ...process.env, NODE_OPTIONS: imageNodeOptions() },
  });
  await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined), 20_000, 'llmtail');
  return { proc, port };
}

async function startMtail(log: string): Promise<Tool> {
  const port = await freePort();
  const proc = spawn('mtail', ['-progs', MTAIL_PROGS, '-logs', log, '-address', '127.0.0.1', '-port', String(port), '-emit_prog_label=false', '-logtostderr'], { stdio: 'ignore' });
  await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/metrics`)).ok ? true : undefined), 20_000, 'mtail');
  return { proc, port };
}

/** One rate: both tools on the same file, sampled over `seconds` while the writer runs. */
async function measureRate(rate: number, seconds: number): Promise<FootprintRow> {
  const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-footprint-'));
  const log = path.join(dir, 'requests.jsonl');
  writeFileSync(log, '');
  const tools = { llmtail: await startLlmtail(dir, log), mtail: await startMtail(log) };
  const names = ['llmtail', 'mtail'] as const;
  let writer: ChildProcess | undefined;
  try {
    const pid = (n: (typeof names)[number]) => tools[n].proc.pid as number;
    // Idle: started, nothing written.
    await sleep(2000);
    const idleStart = Object.fromEntries(names.map((n) => [n, cpuTicks(pid(n))]));
    await sleep(IDLE_MS);
    const idle = Object.fromEntries(names.map((n) => [n, { cpu: ((cpuTicks(pid(n)) - (idleStart[n] as number)) / 100 / (IDLE_MS / 1000)) * 100, rss: rssMiB(pid(n)) }]));

    writer = spawn(process.execPath, [WRITER, log, String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let writerOut = '';
    writer.stdout?.on('data', (d: Buffer) => (writerOut += d.toString()));
    const writerDone = new Promise<void>((r) => writer?.once('exit', () => r()));
    await sleep(WARMUP_MS);

    const start = Object.fromEntries(names.map((n) => [n, cpuTicks(pid(n))]));
    const rss: Record<string, number[]> = { llmtail: [], mtail: [] };
    const anon: Record<string, number[]> = { llmtail: [], mtail: [] };
    const t0 = Date.now();
    let nextScrape = t0;
    while (Date.now() - t0 < seconds * 1000) {
      if (Date.now() >= nextScrape) {
        nextScrape += SCRAPE_MS;
        await Promise.all(names.map((n) => scrape(tools[n].port)));
      }
      for (const n of names) {
        rss[n]?.push(rssMiB(pid(n)));
        anon[n]?.push(anonMiB(pid(n)));
      }
      await sleep(1000);
    }
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = Object.fromEntries(names.map((n) => [n, ((cpuTicks(pid(n)) - (start[n] as number)) / 100 / elapsed) * 100]));

    writer.kill('SIGTERM');
    await writerDone;
    const written = Number(writerOut.trim());
    const counted = Object.fromEntries(
      await Promise.all(
        names.map(async (n) => [
          n,
          await waitFor(async () => {
            const c = linesCounted(await scrape(tools[n].port));
            return c >= written ? c : undefined;
          }, 15_000, `${n} to count all ${written} lines`).catch(async () => linesCounted(await scrape(tools[n].port))),
        ]),
      ),
    );
    const row = (n: (typeof names)[number]): Footprint => {
      const xs = rss[n] as number[];
      return {
        cpuPercent: cpu[n] as number,
        idleCpuPercent: idle[n]?.cpu as number,
        idleRssMiB: idle[n]?.rss as number,
        meanRssMiB: xs.reduce((a, b) => a + b, 0) / xs.length,
        maxRssMiB: Math.max(...xs),
        meanAnonMiB: (anon[n] as number[]).reduce((a, b) => a + b, 0) / (anon[n] as number[]).length,
        counted: counted[n] as number,
      };
    };
    return { rate, written, llmtail: row('llmtail'), mtail: row('mtail') };
  } finally {
    writer?.kill('SIGKILL');
    for (const n of names) tools[n].proc.kill('SIGTERM');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
}

function ensureMtail(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v mtail'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.getuid?.() !== 0) return false;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'mtail'], { stdio: 'inherit', env });
    return true;
  }
}

export async function footprintBench(rates: number[], seconds: number): Promise<FootprintRow[] | undefined> {
  if (!ensureMtail()) return undefined;
  const rows: FootprintRow[] = [];
  for (const rate of rates) rows.push(await measureRate(rate, seconds));
  return rows;
}

export function formatFootprint(rows: FootprintRow[] | undefined, seconds: number): string {
  if (rows === undefined) return 'footprint: mtail is not installed (apt-get install mtail, as root), skipped\n';
  const f = (x: number, d = 1) => x.toFixed(d);
  const out = [
    `footprint beside mtail (same writer, same file, scraped every ${SCRAPE_MS / 1000} s, ${seconds} s sampled per rate; CPU in % of one core; llmtail with the image's NODE_OPTIONS=${imageNodeOptions()}):`,
    '| lines/s | written | llmtail CPU | mtail CPU | llmtail RSS idle / mean / max MiB | mtail RSS idle / mean / max MiB | anonymous mean MiB llmtail / mtail | counted llmtail / mtail | idle CPU llmtail / mtail |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const l = r.llmtail;
    const m = r.mtail;
    out.push(
      `| ${r.rate} | ${r.written} | ${f(l.cpuPercent, 2)} | ${f(m.cpuPercent, 2)} | ${f(l.idleRssMiB)} / ${f(l.meanRssMiB)} / ${f(l.maxRssMiB)} | ${f(m.idleRssMiB)} / ${f(m.meanRssMiB)} / ${f(m.maxRssMiB)} | ${f(l.meanAnonMiB)} / ${f(m.meanAnonMiB)} | ${l.counted} / ${m.counted} | ${f(l.idleCpuPercent, 2)} / ${f(m.idleCpuPercent, 2)} |`,
    );
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rates = (process.env.FOOTPRINT_RATES ?? '100,1000,5000').split(',').map(Number);
  const seconds = Number(process.env.FOOTPRINT_SECONDS ?? 30);
  const rows = await footprintBench(rates, seconds);
  process.stdout.write(formatFootprint(rows, seconds));
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}
