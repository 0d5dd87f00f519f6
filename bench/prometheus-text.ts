/**
 * A small parser for the Prometheus text format: the soak reads the sidecar's own metrics with it,
 * and the tests (through test/helpers/exposition.ts) make exact assertions with it.
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: ParsedSample[];
  types: Map<string, string>;
  /** Value of the one sample matching name and (a subset of) labels; undefined when none. */
  get(name: string, labels?: Record<string, string>): number | undefined;
  /** Sum over all samples of `name` matching the label subset. */
  sum(name: string, labels?: Record<string, string>): number;
  all(name: string, labels?: Record<string, string>): ParsedSample[];
}

export function parseExposition(text: string): Exposition {
  const samples: ParsedSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name as string, type as string);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    samples.push(parseSample(line));
  }
  const matches = (s: ParsedSample, name: string, labels: Record<string, string>) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  const all = (name: string, labels: Record<string, string> = {}) => samples.filter((s) => matches(s, name, labels));
  return {
    samples,
    types,
    all,
    get(name, labels = {}) {
      const found = all(name, labels);
      if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
    sum(name, labels = {}) {
      return all(name, labels).reduce((a, s) => a + s.value, 0);
    },
  };
}

function parseSample(line: string): ParsedSample {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace === -1 || (space !== -1 && space < brace)) {
    const [name, value] = line.split(' ');
    return { name: name as string, labels: {}, value: parseValue(value as string) };
  }
  const name = line.slice(0, brace);
  const labels: Record<string, string> = {};
  let i = brace + 1;
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i);
    const key = line.slice(i, eq);
    i = eq + 2; // skip ="
    let value = '';
    while (line[i] !== '"') {
      if (line[i] === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : next;
        i += 2;
      } else {
        value += line[i];
        i++;
      }
    }
    labels[key] = value;
    i++; // closing quote
    if (line[i] === ',') i++;
  }
  const rest = line.slice(i + 1).trim().split(' ');
  return { name, labels, value: parseValue(rest[0] as string) };
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}
