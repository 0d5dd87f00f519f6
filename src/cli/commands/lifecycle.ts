import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { Sidecar } from '../../sidecar.js';
import { StateDirError } from '../../state/checkpoint-store.js';

const SHUTDOWN_BUDGET_MS = 4500;

/**
 * Run a sidecar until SIGTERM or SIGINT (or `stopAfterMs`), then shut down within the budget.
 * `cleanup` runs on the way out either way (the demo's simulator and temp directory).
 */
export async function serveUntilSignal(
  config: Config,
  log: Logger,
  options: { onListening?: (port: number) => void; cleanup?: () => Promise<void>; stopAfterMs?: number } = {},
): Promise<number> {
  const sidecar = new Sidecar(config, log);
  const stopping = untilSignal(log);
  let port: number;
  try {
    port = await sidecar.start();
  } catch (err) {
    await sidecar.stop();
    await options.cleanup?.();
    throw err instanceof StateDirError ? err : describeListenError(err, config.web.listen_address);
  }
  log.info(
    { address: config.web.listen_address, port, telemetry_path: config.web.telemetry_path, inputs: config.inputs, preset: config.preset, state_dir: config.state_dir || undefined },
    'llmtail started',
  );
  options.onListening?.(port);
  const timer = options.stopAfterMs === undefined ? undefined : setTimeout(() => process.kill(process.pid, 'SIGTERM'), options.stopAfterMs);
  await stopping;
  if (timer !== undefined) clearTimeout(timer);
  await withDeadline(Promise.all([sidecar.stop(), options.cleanup?.()]), SHUTDOWN_BUDGET_MS, log, 'shutdown');
  log.info('stopped');
  return 0;
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once. */
export function untilSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        log.warn({ signal }, 'second signal, exiting now');
        process.exit(130);
      }
      received = true;
      log.info({ signal }, 'shutting down');
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

/** Wait for `work`, but never longer than `ms`: shutdown must finish within its budget. */
export async function withDeadline(work: Promise<unknown>, ms: number, log: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([work.then(() => 'done' as const), deadline]);
  clearTimeout(timer);
  if (outcome === 'late') log.warn({ ms }, `${what} did not finish in time; exiting anyway`);
}

/** A listen error, said plainly. */
export function describeListenError(err: unknown, address: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`cannot listen on ${address}: address already in use (choose another with --web.listen-address)`);
  if (code === 'EACCES') return new Error(`cannot listen on ${address}: permission denied`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new Error(`cannot listen on ${address}: no such local address`);
  return err instanceof Error ? err : new Error(String(err));
}
