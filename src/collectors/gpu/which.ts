import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The executable a spawn of `command` would run, looked up once at startup so `gpu.enabled: auto`
 * can decide with one log line instead of failing every interval. A name with a slash is taken as
 * a path; a bare name is searched on PATH. Undefined when there is none.
 */
export function findExecutable(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes('/')) return isExecutable(command) ? path.resolve(command) : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    // An empty PATH entry means the working directory: never run nvidia-smi from there.
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return path.resolve(candidate);
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
