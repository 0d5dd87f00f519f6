/** How numbers read in the human formats (table, Markdown, HTML). JSON keeps raw base units. */

export const NONE = '–';

/** A duration: milliseconds below one second ("512 ms", "0.8 ms"), seconds above ("1.234 s"). */
export function fmtSeconds(v: number | null | undefined): string {
  if (v === null || v === undefined) return NONE;
  if (v < 1) return `${round(v * 1000, v * 1000 < 10 ? 2 : 1)} ms`;
  return `${round(v, 3)} s`;
}

/** A whole count with thousands separators. */
export function fmtCount(v: number | null | undefined): string {
  if (v === null || v === undefined) return NONE;
  return Math.round(v).toLocaleString('en-US');
}

/** A token count or rate: whole above 100, one decimal below. */
export function fmtAmount(v: number | null | undefined): string {
  if (v === null || v === undefined) return NONE;
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(round(v, 1));
}

/** A ratio as a percentage with two decimals. */
export function fmtPercent(v: number | null | undefined): string {
  if (v === null || v === undefined) return NONE;
  return `${(v * 100).toFixed(2)} %`;
}

/** A span of time in words: "16 min 39 s", "2 h 5 min", "3 d 4 h". */
export function fmtSpan(seconds: number | null): string {
  if (seconds === null) return NONE;
  if (seconds < 60) return `${round(seconds, 3)} s`;
  const s = Math.round(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min ${s % 60} s`;
}

/** Bytes in binary units. */
export function fmtBytes(v: number | null): string {
  if (v === null) return NONE;
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${round(x, 1)} ${units[i]}`;
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
