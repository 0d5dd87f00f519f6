import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The writer script: a separate process, so its writes race the sidecar as a real server's would. */
export const WRITER = fileURLToPath(new URL('./log-writer.mjs', import.meta.url));

export type WriterAction = 'rename' | 'delete' | 'copytruncate' | 'pause';

export interface WriterEvent {
  /** Done before line `at` (0-based) is written. */
  at: number;
  action: WriterAction;
  /** rename, delete: lines still written to the old fd after it, before reopening by path. */
  late?: number;
  /** copytruncate: ms without writes before the copy. */
  settleMs?: number;
  /** Ask the test (onMessage 'gate') before doing it, and wait for its go. */
  gate?: boolean;
  /** rename: report 'renamed' right after the rename, before anything else, and wait for go. */
  notify?: boolean;
}

export interface WriterPlan {
  file: string;
  lines: number;
  lineBytes: number;
  seed: number;
  maxBatch: number;
  malformedEvery?: number;
  events?: WriterEvent[];
}

export interface WriterStop {
  type: 'gate' | 'renamed' | 'paused';
  at: number;
  action: WriterAction;
  /** Lines written to the files before the one the writer has open now. */
  linesBefore: number;
  written: number;
}

export interface WriterDone {
  type: 'done';
  written: number;
  bytes: number;
  /** Every file written, in write order (a deleted one is named "PATH (deleted)"). */
  files: { path: string; lines: number }[];
}

export interface WriterProcess {
  proc: ChildProcess;
  /** Resolves when the writer has written everything and exited. */
  done: Promise<WriterDone>;
  kill: () => void;
}

/**
 * Start the writer. `onStop` is called at every gate, rename notification and pause; the writer
 * waits until the promise it returns resolves.
 */
export function startWriter(plan: WriterPlan, onStop: (stop: WriterStop) => Promise<void> = async () => undefined): WriterProcess {
  const proc = spawn(process.execPath, [WRITER, JSON.stringify(plan)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<WriterDone>((resolve, reject) => {
    let result: WriterDone | undefined;
    proc.on('message', (raw) => {
      const m = raw as WriterStop | WriterDone;
      if (m.type === 'done') {
        result = m;
        return;
      }
      onStop(m).then(
        () => proc.send({ type: 'go' }),
        (err: unknown) => {
          proc.kill('SIGKILL');
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
    proc.on('exit', (code, signal) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`writer exited with ${code ?? signal}:\n${stderr}`));
    });
  });
  return {
    proc,
    done,
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}
