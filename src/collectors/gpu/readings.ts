import { CsvHeader } from './csv.js';
import { APP_HEADER_ALIASES, APP_QUERY_FIELDS, GAUGE_FIELDS, GPU_HEADER_ALIASES, bytesOf, isAbsent, toBaseUnits, type GaugeField } from './fields.js';

/** One GPU in one sample. Values align with GAUGE_FIELDS; undefined means absent (no series). */
export interface GpuReading {
  readonly uuid: string;
  readonly index: string;
  /** `{ gpu, uuid }`, built once per reading and shared by all its series. */
  readonly labels: Readonly<Record<string, string>>;
  readonly info: Readonly<Record<string, string>>;
  readonly values: readonly (number | undefined)[];
  /** The `count` column: GPUs in the system when this row was written, if reported. */
  readonly count: number | undefined;
}

export interface ProcessReading {
  readonly pid: string;
  readonly uuid: string;
  readonly name: string;
  readonly bytes: number | undefined;
}

/** Result of reading a whole CSV output: the good rows, and how many rows could not be used. */
export interface Parsed<T> {
  readonly rows: T[];
  readonly badRows: number;
}

const INDEX = /^\d+$/;

/** Column positions of the --query-gpu fields, resolved once per header so a row costs one split. */
export class GpuTable {
  private readonly identity: { index: number; uuid: number; name: number; busId: number; driver: number; count: number };
  private readonly gauges: { field: GaugeField; column: number; unit: string | undefined }[];

  private constructor(readonly header: CsvHeader) {
    const col = (f: string) => header.column(f);
    this.identity = { index: col('index'), uuid: col('uuid'), name: col('name'), busId: col('pci.bus_id'), driver: col('driver_version'), count: col('count') };
    this.gauges = GAUGE_FIELDS.map((field) => ({ field, column: col(field.field), unit: header.unit(col(field.field)) }));
  }

  /** A table for a header line naming at least index and uuid; undefined for anything else. */
  static fromHeader(line: string): GpuTable | undefined {
    const header = CsvHeader.parse(line, ['index', 'uuid'], GPU_HEADER_ALIASES);
    return header === undefined ? undefined : new GpuTable(header);
  }

  /** A reading, or undefined for a row with the wrong column count or no usable uuid/index. */
  row(line: string): GpuReading | undefined {
    const cells = this.header.cells(line);
    if (cells === undefined) return undefined;
    const text = (column: number) => (column < 0 ? '' : (cells[column] as string));
    const uuid = text(this.identity.uuid);
    const index = text(this.identity.index);
    if (isAbsent(uuid) || !INDEX.test(index)) return undefined;
    const label = (column: number) => {
      const v = text(column);
      return isAbsent(v) ? '' : v;
    };
    const countText = text(this.identity.count);
    const count = INDEX.test(countText) ? Number(countText) : undefined;
    return {
      uuid,
      index,
      labels: { gpu: index, uuid },
      info: { gpu: index, uuid, name: label(this.identity.name), driver_version: label(this.identity.driver), pci_bus_id: label(this.identity.busId) },
      values: this.gauges.map((g) => (g.column < 0 ? undefined : toBaseUnits(cells[g.column] as string, g.unit, g.field))),
      count,
    };
  }
}

/** Non-empty lines of a whole output, without trailing \r. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '');
}

/**
 * A one-shot --query-gpu output. Undefined when it is not our CSV at all (no header naming index
 * and uuid): the caller counts that as a parse error. A repeated uuid is a bad row.
 */
export function parseGpuCsv(text: string): Parsed<GpuReading> | undefined {
  const [first, ...rest] = lines(text);
  const table = first === undefined ? undefined : GpuTable.fromHeader(first);
  if (table === undefined) return undefined;
  const rows: GpuReading[] = [];
  const seen = new Set<string>();
  let badRows = 0;
  for (const line of rest) {
    if (line === table.header.line) continue;
    const r = table.row(line);
    if (r === undefined || seen.has(r.uuid)) badRows++;
    else {
      seen.add(r.uuid);
      rows.push(r);
    }
  }
  return { rows: sortByIndex(rows), badRows };
}

/** Output order is not index order (the fact); exposition is sorted for stable diffs. */
export function sortByIndex(rows: GpuReading[]): GpuReading[] {
  return rows.sort((a, b) => Number(a.index) - Number(b.index) || (a.uuid < b.uuid ? -1 : 1));
}

/** A --query-compute-apps output (pid, gpu_uuid, used_gpu_memory, process_name). */
export function parseAppsCsv(text: string): Parsed<ProcessReading> | undefined {
  const [first, ...rest] = lines(text);
  const header = first === undefined ? undefined : CsvHeader.parse(first, APP_QUERY_FIELDS.slice(0, 2), APP_HEADER_ALIASES);
  if (header === undefined) return undefined;
  const [pid, uuid, mem, name] = APP_QUERY_FIELDS.map((f) => header.column(f)) as [number, number, number, number];
  const lastTakesRest = name === header.width - 1;
  const rows: ProcessReading[] = [];
  let badRows = 0;
  for (const line of rest) {
    const cells = header.cells(line, lastTakesRest);
    const at = (c: number) => (c < 0 || cells === undefined ? '' : (cells[c] as string));
    if (cells === undefined || !INDEX.test(at(pid)) || isAbsent(at(uuid))) {
      badRows++;
      continue;
    }
    rows.push({ pid: at(pid), uuid: at(uuid), name: isAbsent(at(name)) ? '' : at(name), bytes: bytesOf(at(mem), header.unit(mem)) });
  }
  return { rows, badRows };
}
