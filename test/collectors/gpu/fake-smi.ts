/** Test helpers: a fake `nvidia-smi` on a temporary PATH, a captured log, and exposition snapshots. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { GpuCollector, type GpuCollectorOptions } from '../../../src/collectors/gpu/collector.js';
import { MetricsRegistry } from '../../../src/exposition/registry.js';
import { createLogger } from '../../../src/log/logger.js';
import { parseExposition, type Exposition } from '../../helpers/exposition.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/nvidia-smi/', import.meta.url));
export const fixture = (name: string): string => path.join(FIXTURES, name);
export const MiB = 2 ** 20;

export interface FakeSmi {
  readonly dir: string;
  /** Environment with the fake first on PATH, counting spawns and recording pids. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** nvidia-smi processes started so far. */
  spawns(): number;
  /** Pids the fake recorded, by kind ("self", "grandchild"). */
  pids(kind: 'self' | 'grandchild'): number[];
  /** Write a file into the temp dir; returns its path. */
  write(name: string, text: string): string;
  cleanup(): void;
}

export function makeFakeSmi(): FakeSmi {
  const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-gpu-'));
  const bin = path.join(dir, 'bin');
  // A sh wrapper so the fake runs on this test's node whatever PATH holds; exec keeps the pid.
  const script = `#!/bin/sh\nexec "${process.execPath}" "${fixture('fake-nvidia-smi.mjs')}" "$@"\n`;
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'nvidia-smi'), script);
  chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
  const counter = path.join(dir, 'spawns.txt');
  const pidfile = path.join(dir, 'pids.txt');
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  return {
    dir,
    env: (extra = {}) => ({ PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_SMI_COUNTER: counter, FAKE_SMI_PIDFILE: pidfile, ...extra }),
    spawns: () => read(counter).length,
    pids: (kind) => read(pidfile).filter((l) => l.startsWith(`${kind} `)).map((l) => Number(l.split(' ')[1])),
    write: (name, text) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A logger whose JSON lines are kept in memory. */
export function memoryLog(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger('debug', 'json', stream), lines: () => lines };
}

/** A collector on the fake with short test timings; override anything. */
export function collectorFor(fake: FakeSmi, env: Record<string, string>, options: Partial<GpuCollectorOptions> = {}): { gpu: GpuCollector; logs: () => Record<string, unknown>[] } {
  const { log, lines } = memoryLog();
  const gpu = new GpuCollector({
    enabled: 'on',
    mode: 'poll',
    intervalMs: 50,
    timeoutMs: 3000,
    processes: false,
    nvidiaSmiPath: 'nvidia-smi',
    log,
    env: fake.env(env),
    killGraceMs: 100,
    backoffMinMs: 20,
    backoffMaxMs: 200,
    // Generous, so a loaded test machine cannot make a sample stale between two scrapes.
    staleAfterMs: 2000,
    ...options,
  });
  return { gpu, logs: lines };
}

/** The collector's families rendered through the real registry, parsed back. */
export async function scrape(gpu: GpuCollector): Promise<Exposition> {
  const registry = new MetricsRegistry(false);
  for (const c of gpu.collectors()) registry.add(c);
  return parseExposition(await registry.render(false));
}

/** Poll `check` until it returns true, or fail after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A process that no longer runs (gone, or a zombie nobody reaped yet). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
