import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface RunningCli {
  proc: ChildProcess;
  port: number;
  url: (path: string) => string;
  stderr: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; ms: number }>;
}

/** Start `llmtail ARGS` as a real process and wait until it logs that it is serving. */
export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: boolean;
  /** Run the command line through something else (`nsenter …`): gets [node, main.js, ...args]. */
  wrap?: (argv: string[]) => string[];
  /** Run as this user and group (tests of permission faults; needs root). */
  uid?: number;
  gid?: number;
}

export async function startCli(args: string[], options: StartOptions = {}): Promise<RunningCli> {
  const [file, ...rest] = options.wrap?.([process.execPath, CLI, ...args]) ?? [process.execPath, CLI, ...args];
  const proc = spawn(file as string, rest, {
    env: { ...process.env, ...options.env },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
  });
  let err = '';
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`llmtail did not start in 15 s:\n${err}`)), 15_000);
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"msg":"llmtail started"/.test(err) ? /"port":(\d+)/.exec(err) : null;
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`llmtail exited with ${code} before starting:\n${err}\n${out}`));
    });
  });
  return {
    proc,
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stderr: () => err,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        const t0 = Date.now();
        if (proc.exitCode !== null) return resolve({ code: proc.exitCode, ms: 0 });
        proc.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
        proc.kill(signal);
      }),
  };
}

/** Run `llmtail ARGS` to completion. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(options.input ?? '');
  });
}

/** Poll until `check` returns a value that is not undefined (or time out). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
