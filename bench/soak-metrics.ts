/** Just enough of the Prometheus text format for the soak: sums and single values by label subset. */

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export class Metrics {
  constructor(readonly samples: readonly MetricSample[]) {}

  static parse(text: string): Metrics {
    const samples: MetricSample[] = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      // The value is the last field; the registry writes no timestamps.
      const cut = line.lastIndexOf(' ');
      const head = line.slice(0, cut);
      const brace = head.indexOf('{');
      const labels: Record<string, string> = {};
      if (brace !== -1) for (const m of head.slice(brace).matchAll(LABEL)) labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      samples.push({ name: brace === -1 ? head : head.slice(0, brace), labels, value: Number(line.slice(cut + 1)) });
    }
    return new Metrics(samples);
  }

  private matching(name: string, labels: Record<string, string>): MetricSample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** Sum of every sample of `name` whose labels include `labels`; 0 when none. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((a, s) => a + s.value, 0);
  }

  /** The value of `name` (summed over matches); undefined when the family has no such sample. */
  get(name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.matching(name, labels);
    return found.length === 0 ? undefined : found.reduce((a, s) => a + s.value, 0);
  }
}
