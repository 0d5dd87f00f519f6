import { readdir } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';

/** A path or glob from --input, resolved against the file system on each scan. */
export class InputPattern {
  readonly isGlob: boolean;
  /** The directory to watch: the pattern's non-glob prefix (or the file's own directory). */
  readonly baseDir: string;
  private readonly absolute: string;
  private readonly matcher: (p: string) => boolean;
  /** Whether matches can lie below the base directory (a glob in a directory part, or **). */
  private readonly recursive: boolean;

  constructor(readonly pattern: string) {
    const abs = path.resolve(pattern);
    const scan = picomatch.scan(abs);
    this.isGlob = scan.isGlob;
    this.baseDir = scan.isGlob ? scan.base || '/' : path.dirname(abs);
    this.recursive = scan.isGlob && scan.glob.includes('/');
    this.matcher = scan.isGlob ? picomatch(abs, { dot: false }) : (p) => p === abs;
    this.absolute = abs;
  }

  /** Existing files that match, absolute paths, sorted (older rotated names before newer ones). */
  async resolve(): Promise<string[]> {
    if (!this.isGlob) return [this.absolute];
    const found: string[] = [];
    await this.walk(this.baseDir, found);
    return found.sort();
  }

  private async walk(dir: string, found: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // not there yet, or unreadable: the next scan tries again
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if ((e.isFile() || e.isSymbolicLink()) && this.matcher(full)) found.push(full);
      else if (e.isDirectory() && this.recursive) await this.walk(full, found);
    }
  }
}
