/**
 * nvidia-smi's CSV: one header line (`memory.used [MiB], utilization.gpu [%], …`, units kept even
 * with `nounits`), then one row per device, cells separated by ", ", no quoting. We read columns
 * by header name, never by position, so a driver that reorders or adds columns cannot shift values.
 */

const UNIT_SUFFIX = / \[([^\]]*)\]$/;

export class CsvHeader {
  /** Canonical field name → column. */
  private readonly columns = new Map<string, number>();

  private constructor(
    /** The header line as printed; a stream that repeats it is recognised by equality. */
    readonly line: string,
    readonly names: readonly string[],
    readonly units: readonly (string | undefined)[],
  ) {
    names.forEach((name, i) => {
      if (!this.columns.has(name)) this.columns.set(name, i);
    });
  }

  /** Undefined when the line cannot be a header: empty, or without every field in `required`. */
  static parse(line: string, required: readonly string[], aliases: Readonly<Record<string, string>> = {}): CsvHeader | undefined {
    if (line.trim() === '') return undefined;
    const names: string[] = [];
    const units: (string | undefined)[] = [];
    for (const cell of line.split(',')) {
      const trimmed = cell.trim();
      const m = UNIT_SUFFIX.exec(trimmed);
      const name = m === null ? trimmed : trimmed.slice(0, m.index);
      names.push(aliases[name] ?? name);
      units.push(m?.[1]);
    }
    if (!required.every((f) => names.includes(f))) return undefined;
    return new CsvHeader(line, names, units);
  }

  get width(): number {
    return this.names.length;
  }

  column(name: string): number {
    return this.columns.get(name) ?? -1;
  }

  unit(column: number): string | undefined {
    return column < 0 ? undefined : this.units[column];
  }

  /**
   * The cells of a data row, trimmed; undefined when the row has the wrong number of columns.
   * With `lastTakesRest`, extra commas belong to the last column (a process name with commas).
   */
  cells(line: string, lastTakesRest = false): string[] | undefined {
    const parts = line.split(',');
    if (parts.length === this.width) return parts.map((p) => p.trim());
    if (!lastTakesRest || parts.length < this.width) return undefined;
    const head = parts.slice(0, this.width - 1).map((p) => p.trim());
    head.push(parts.slice(this.width - 1).join(',').trim());
    return head;
  }
}
