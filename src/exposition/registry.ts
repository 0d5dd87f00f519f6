import { createRequire } from 'node:module';
import type client from '@prometheus-io/client';

/**
 * The two parts we use, not the package's index: that also loads its Pushgateway (node:https, and
 * with it node:tls), cluster and worker support, ~5.6 MiB of RSS a sidecar never uses. The types are
 * the package's own.
 */
const requireClient = createRequire(import.meta.url);
const Registry = requireClient('@prometheus-io/client/lib/registry') as typeof client.Registry;
const collectDefaultMetrics = requireClient('@prometheus-io/client/lib/defaultMetrics') as typeof client.collectDefaultMetrics;

/**
 * What a scrape-time collector returns for one metric family, in the shape
 * @prometheus-io/client's Registry renders.
 */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Sample[];
}

export interface Sample {
  value: number;
  labels: Readonly<Record<string, string | number>>;
  /** Labels common to many samples (a histogram's series labels); the registry caches their text by identity. */
  sharedLabels?: Readonly<Record<string, string>>;
  metricName?: string;
  exemplar?: { labelSet: Record<string, string>; value: number; timestamp: number };
}

/** The samples of an unlabelled family: one, or none while the value is unknown. */
export function single(value: number | undefined): Sample[] {
  return value === undefined ? [] : [{ value, labels: {} }];
}

/** A family whose samples are computed from our own aggregates when scraped. */
export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: FamilySnapshot['type'];
  collect(): Sample[];
}

const NONCONFORMING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
  'nodejs_eventloop_utilization_histogram',
  'nodejs_eventloop_utilization_summary',
];

type ClientRegistry = InstanceType<typeof Registry>;
type ClientMetric = Parameters<ClientRegistry['registerMetric']>[0];

/**
 * Renders our collectors, plus the library's process and Node.js metrics, in the Prometheus text
 * format or OpenMetrics. The library is used only here, at scrape time, never per line.
 */
export class MetricsRegistry {
  private readonly text = new Registry(Registry.PROMETHEUS_CONTENT_TYPE);
  private readonly own: Collector[] = [];

  constructor(processMetrics = true) {
    if (processMetrics) {
      collectDefaultMetrics({
        register: this.text,
        // The event-loop delay sampler wakes the loop at this period (ms). Measured idle cost here:
        // 10 ms (the default) 0.5 % of a core, 100 ms 0.1 % — against a 0.2 % budget for the whole
        // idle sidecar. At 500 ms it is noise; lag shorter than that is sampled, not seen whole.
        eventLoopMonitoringPrecision: 500,
        // The utilization summary/histogram we drop below sample on a timer (every 100 ms, with a
        // t-digest); the longest timer Node allows keeps that work from ever running.
        eventLoopUtilizationTimeout: 2 ** 31 - 1,
      });
      // These break Prometheus naming rules (gauges ending in _total, type names in metric names)
      // and fail `promtool check metrics`; their per-type or plain twins stay.
      for (const name of NONCONFORMING_DEFAULT_METRICS) this.text.removeSingleMetric(name);
    }
  }

  add(collector: Collector): void {
    this.own.push(collector);
    const family = {
      name: collector.name,
      help: collector.help,
      type: collector.type,
      aggregator: 'sum',
      get: async (): Promise<FamilySnapshot> => ({ name: collector.name, help: collector.help, type: collector.type, values: collector.collect() }),
    };
    this.text.registerMetric(family as unknown as ClientMetric);
  }

  /** Our own families in registration order (not the library's process metrics): `backfill` reads them synchronously between lines. */
  collectors(): readonly Collector[] {
    return this.own;
  }

  async render(openMetrics: boolean): Promise<string> {
    if (!openMetrics) return this.text.metrics();
    // The library renames counters in place when rendering OpenMetrics (it strips `_total` from the
    // family name), which would corrupt later text scrapes. Render through throwaway wrappers
    // that present the OpenMetrics family name instead.
    const om = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const metric of this.text.getMetricsAsArray()) {
      const m = metric as unknown as { name: string; help: string; type: string; get(): Promise<FamilySnapshot> };
      const isCounter = m.type === 'counter';
      const familyName = isCounter ? m.name.replace(/_total$/, '') : m.name;
      om.registerMetric({
        name: familyName,
        help: m.help,
        type: m.type,
        aggregator: 'sum',
        get: async () => ({ ...(await m.get()), name: familyName }),
      } as unknown as ClientMetric);
    }
    return om.metrics();
  }

  static readonly TEXT_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
  static readonly OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;
}
