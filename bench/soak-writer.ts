/**
 * The soak's log writer, run as its own process (dist/bench/soak-writer.js) so its writes race the
 * sidecar the way an inference server's do. It is the demo's traffic simulator (all five log
 * shapes mixed, error bursts, 0.2 % malformed lines) at a fixed rate, rotating the file on a
 * schedule:
 * - `rename`: logrotate's default, PATH → PATH.1 (replacing the previous PATH.1) and a new PATH;
 * - `copytruncate`: writing pauses, the parent is asked to let the sidecar catch up (IPC 'gate' →
 *   'go'), then PATH is copied to PATH.c and truncated in place. Without the pause, lines written
 *   between the sidecar's last read and the truncation would be lost to any tailer (copytruncate's
 *   own race, counted in llmtail_file_bytes_lost_total); with it, the soak can demand equality.
 *
 * argv[2]: JSON WriterOptions. IPC to the parent: {type:'stats'} every second, {type:'gate'} before
 * a copytruncate, {type:'done'} after a {type:'stop'} from the parent (or on its own deadline).
 */
import { copyFile, truncate } from 'node:fs/promises';
import { startSimulator, type SimulatorStats } from '../src/simulator/index.js';

export type Rotation = 'rename' | 'copytruncate';

export interface WriterOptions {
  path: string;
  ratePerSecond: number;
  rotateEveryMs: number;
  rotation: Rotation;
  seed: number;
}

export type WriterCounts = Pick<SimulatorStats, 'linesWritten' | 'requestsWritten' | 'malformedWritten' | 'bytesWritten' | 'writeErrors'> & { rotations: number };

export type WriterMessage =
  | { type: 'stats'; counts: WriterCounts }
  | { type: 'gate'; counts: WriterCounts }
  | { type: 'done'; counts: WriterCounts };

export type ParentMessage = { type: 'go' } | { type: 'stop' };

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as WriterOptions;
  const send = (m: WriterMessage) => process.send?.(m);
  const sim = await startSimulator({
    path: options.path,
    ratePerSecond: options.ratePerSecond,
    // Load 0.8: latencies stay realistic instead of every request queueing into a timeout.
    capacityPerSecond: options.ratePerSecond * 1.25,
    shape: 'mixed',
    seed: options.seed,
    burstEverySeconds: 120,
    malformedFraction: 0.002,
    onError: (err) => process.stderr.write(`soak writer: ${err.message}\n`),
  });
  let rotations = 0;
  const counts = (): WriterCounts => {
    const s = sim.stats();
    return { linesWritten: s.linesWritten, requestsWritten: s.requestsWritten, malformedWritten: s.malformedWritten, bytesWritten: s.bytesWritten, writeErrors: s.writeErrors, rotations };
  };

  let go: (() => void) | undefined;
  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'go') go?.();
    if (m.type === 'stop') stopRequested?.();
  });
  // The parent going away must not leave a writer filling the disk.
  process.on('disconnect', () => stopRequested?.());

  let rotating = false;
  const rotate = async () => {
    if (rotating) return;
    rotating = true;
    try {
      if (options.rotation === 'rename') {
        await sim.rotate();
      } else {
        // Rate 0: the ticks go on but write nothing; the batch in flight lands first.
        sim.setRate(0);
        await new Promise((r) => setTimeout(r, 250));
        await new Promise<void>((resolve) => {
          go = resolve;
          send({ type: 'gate', counts: counts() });
        });
        go = undefined;
        await copyFile(options.path, `${options.path}.c`);
        await truncate(options.path, 0);
        sim.setRate(options.ratePerSecond);
      }
      rotations++;
    } finally {
      rotating = false;
    }
  };
  const rotateTimer = setInterval(() => void rotate(), options.rotateEveryMs);
  const statsTimer = setInterval(() => send({ type: 'stats', counts: counts() }), 1000);

  await stopped;
  clearInterval(rotateTimer);
  clearInterval(statsTimer);
  go?.();
  while (rotating) await new Promise((r) => setTimeout(r, 20));
  await sim.stop();
  process.send?.({ type: 'done', counts: counts() } satisfies WriterMessage, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`soak writer failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
