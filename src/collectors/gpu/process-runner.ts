import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { exitNumber } from './exit-codes.js';

/**
 * Children we can always get rid of. Each runs in its own process group (`detached`), so a kill
 * reaches anything it started too, and nothing here waits on a pipe closing: a grandchild that
 * inherited stdout keeps the pipe open forever, and a child wedged in the driver (D state) may not
 * even die on SIGKILL. We wait for 'exit' at most, bounded by timers, then drop the pipes.
 */

export interface ExitStatus {
  /** Exit code, or 128 + signal number; undefined when the spawn itself failed. */
  readonly code: number | undefined;
  readonly spawnError: string | undefined;
}

export class GroupProcess {
  private running = true;
  private released = false;
  /** Resolves once, on 'exit' or on a spawn error; never rejects. */
  readonly exited: Promise<ExitStatus>;

  private constructor(readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.running = false;
        resolve({ code: exitNumber(code, signal, constants.signals), spawnError: undefined });
      });
      // `on`, not `once`: an 'error' with no listener would throw and take the sidecar down.
      child.on('error', (err: NodeJS.ErrnoException) => {
        // 'error' also fires when a kill fails; only a child that never started ends here.
        if (child.pid !== undefined) return;
        this.running = false;
        resolve({ code: undefined, spawnError: `${err.code ?? 'error'}: ${err.message}` });
      });
    });
    // A read error on a pipe only means we lose the rest of that output.
    child.stdout.on('error', () => {});
    child.stderr.on('error', () => {});
  }

  static spawn(file: string, args: readonly string[], env: NodeJS.ProcessEnv): GroupProcess {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    return new GroupProcess(child);
  }

  /** True until the child exited (or failed to start). */
  get alive(): boolean {
    return this.running;
  }

  /**
   * Signal the whole group; a group that is already gone is fine. Never after release(): by then
   * the pid may be reused, and a stray SIGKILL to a stranger's group is the one thing not allowed.
   */
  signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.released) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // ESRCH: nothing left in the group.
    }
  }

  /**
   * SIGTERM the group, SIGKILL it after `graceMs`, and resolve when the child exited or `graceMs`
   * after the SIGKILL, whichever comes first: true if it exited. Never takes longer than 2×grace.
   */
  async terminate(graceMs: number): Promise<boolean> {
    if (!this.running) return true;
    this.signal('SIGTERM');
    if (await this.exitWithin(graceMs)) return true;
    this.signal('SIGKILL');
    return this.exitWithin(graceMs);
  }

  /** After use: kill whatever is left in the group (grandchildren), close our pipe ends, stop holding the event loop. */
  release(): void {
    this.signal('SIGKILL');
    this.released = true;
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    this.child.unref();
  }

  private exitWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/** Resolves when both pipes closed or after `ms`, whichever is first. */
export function drained(p: GroupProcess, ms: number): Promise<void> {
  const closed = (s: Readable) => (s.closed ? Promise.resolve() : new Promise<void>((r) => s.once('close', () => r())));
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void Promise.all([closed(p.child.stdout), closed(p.child.stderr)]).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface RunOptions {
  readonly timeoutMs: number;
  /** Between SIGTERM and SIGKILL, and how long to wait for an exit after SIGKILL. */
  readonly killGraceMs: number;
  /** After 'exit', how long to wait for the pipes to deliver the rest of the output. */
  readonly drainMs?: number;
  /** Output beyond this is not ours to parse: the run is killed. */
  readonly maxOutputBytes?: number;
  readonly env: NodeJS.ProcessEnv;
  /** Aborting ends the run like a timeout (shutdown must not wait out a hung child's timeout). */
  readonly signal?: AbortSignal;
}

export type RunOutcome =
  | { readonly kind: 'exited'; readonly code: number; readonly stdout: string; readonly stderr: string; readonly durationMs: number }
  | { readonly kind: 'timeout'; readonly stdout: string; readonly durationMs: number; readonly process: GroupProcess }
  | { readonly kind: 'too_much_output'; readonly durationMs: number }
  | { readonly kind: 'spawn_error'; readonly message: string; readonly durationMs: number };

/**
 * Run once with a hard deadline. Resolves by `timeoutMs + 2 × killGraceMs` at the latest, whatever
 * the child does; a timed-out child that did not die is handed back (`process`) so the caller can
 * refuse to start another on top of it.
 */
export function runOnce(file: string, args: readonly string[], options: RunOptions): Promise<RunOutcome> {
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  const maxBytes = options.maxOutputBytes ?? 1 << 20;
  let p: GroupProcess;
  try {
    p = GroupProcess.spawn(file, args, options.env);
  } catch (err) {
    // Most spawn failures arrive as 'error' events; a few (bad arguments, EAGAIN) throw.
    return Promise.resolve({ kind: 'spawn_error', message: String(err), durationMs: elapsed() });
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let bytes = 0;
  let timedOut = false;
  let overflow = false;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', giveUp);
      p.release();
      resolve(outcome);
    };
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
    const take = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxBytes) into.push(chunk);
      else if (!overflow) {
        overflow = true;
        void p.terminate(options.killGraceMs).then(() => finish({ kind: 'too_much_output', durationMs: elapsed() }));
      }
    };
    p.child.stdout.on('data', take(out));
    p.child.stderr.on('data', take(err));

    const giveUp = () => {
      if (timedOut || settled) return;
      timedOut = true;
      void p.terminate(options.killGraceMs).then(() => finish({ kind: 'timeout', stdout: text(out), durationMs: elapsed(), process: p }));
    };
    const timer = setTimeout(giveUp, options.timeoutMs);
    if (options.signal?.aborted === true) giveUp();
    else options.signal?.addEventListener('abort', giveUp, { once: true });

    void p.exited.then(async (status) => {
      if (status.code === undefined) return finish({ kind: 'spawn_error', message: status.spawnError ?? 'spawn failed', durationMs: elapsed() });
      await drained(p, options.drainMs ?? 200);
      if (timedOut) return finish({ kind: 'timeout', stdout: text(out), durationMs: elapsed(), process: p });
      if (overflow) return finish({ kind: 'too_much_output', durationMs: elapsed() });
      finish({ kind: 'exited', code: status.code, stdout: text(out), stderr: text(err), durationMs: elapsed() });
    });
  });
}
