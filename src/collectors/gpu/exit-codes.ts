/**
 * Why a collection failed: a bounded set, used as the `reason` label. nvidia-smi exits with the
 * NVML return code of what went wrong (see `man nvidia-smi`, RETURN VALUE).
 */
export const FAILURE_REASONS = [
  'timeout',
  'spawn_error',
  'exit_code',
  'invalid_argument',
  'no_permission',
  'driver_not_loaded',
  'library_not_found',
  'gpu_lost',
  'version_mismatch',
  'parse_error',
  'stale',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/** "No devices were found": a host without GPUs, not a failure. */
export const EXIT_NO_DEVICES = 6;

/** Invalid argument: a field this driver does not know, or (very old drivers) no -lms. */
export const EXIT_INVALID_ARGUMENT = 2;

const BY_CODE: Readonly<Record<number, FailureReason>> = {
  [EXIT_INVALID_ARGUMENT]: 'invalid_argument',
  4: 'no_permission',
  9: 'driver_not_loaded',
  12: 'library_not_found',
  15: 'gpu_lost',
  18: 'version_mismatch',
};

export function reasonForExit(code: number): FailureReason {
  return BY_CODE[code] ?? 'exit_code';
}

/** An exit status as one number: the code, or 128 + signal number like a shell. */
export function exitNumber(code: number | null, signal: NodeJS.Signals | null, signals: Readonly<Record<string, number>>): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (signals[signal] ?? 0));
}
