import { METRICS_PORT } from './common.js';

/**
 * prometheus.yml: the shipped example and, with other options, the end-to-end test's config. The
 * relabelling is the same in both: `instance` is the host (static targets) or the pod name
 * (Kubernetes), which is what the dashboards list and the alerts name.
 */

export interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: 'replace' | 'keep' | 'drop' | 'labelmap';
}

export interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  metrics_path?: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  kubernetes_sd_configs?: { role: 'pod' }[];
  relabel_configs: RelabelConfig[];
}

export interface PrometheusConfig {
  global: { scrape_interval: string; scrape_timeout: string; evaluation_interval: string };
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: ScrapeConfig[];
}

export interface PrometheusConfigOptions {
  scrapeInterval: string;
  /** At most the scrape interval. */
  scrapeTimeout: string;
  evaluationInterval: string;
  ruleFiles: string[];
  alertmanagers: string[];
  /** host:port of sidecars scraped as static targets. */
  staticTargets: string[];
}

/** instance = the target's host without the port (the port is always llmtail's). */
export const STATIC_INSTANCE_RELABEL: RelabelConfig = {
  source_labels: ['__address__'],
  regex: '(.+):\\d+',
  target_label: 'instance',
  replacement: '$1',
};

/** Pods with a container named `llmtail` exposing a port named `metrics` (see deploy/kubernetes/deployment.yaml). */
export const KUBERNETES_RELABELS: RelabelConfig[] = [
  { source_labels: ['__meta_kubernetes_pod_container_name', '__meta_kubernetes_pod_container_port_name'], regex: 'llmtail;metrics', action: 'keep' },
  { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
  { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
  { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'instance' },
  { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
];

export function prometheusConfig(o: PrometheusConfigOptions): PrometheusConfig {
  const scrape: ScrapeConfig[] = [
    {
      job_name: 'llmtail',
      static_configs: [{ targets: o.staticTargets }],
      relabel_configs: [STATIC_INSTANCE_RELABEL],
    },
  ];
  return {
    global: { scrape_interval: o.scrapeInterval, scrape_timeout: o.scrapeTimeout, evaluation_interval: o.evaluationInterval },
    rule_files: o.ruleFiles,
    alerting: { alertmanagers: [{ static_configs: [{ targets: o.alertmanagers }] }] },
    scrape_configs: scrape,
  };
}

/** The shipped example (prometheus/prometheus.yml); deploy/compose uses it with its own target. */
export function examplePrometheusConfig(
  staticTargets = [`inference-1.example.internal:${METRICS_PORT}`, `inference-2.example.internal:${METRICS_PORT}`],
): PrometheusConfig {
  return prometheusConfig({
    scrapeInterval: '15s',
    scrapeTimeout: '10s',
    evaluationInterval: '15s',
    ruleFiles: ['rules/recording.yml', 'rules/alerts.yml'],
    alertmanagers: ['alertmanager:9093'],
    staticTargets,
  });
}

/**
 * The scrape job for Kubernetes without the Prometheus Operator (with it, the PodMonitor does the
 * same). The example carries it as a comment: Debian's Prometheus build, which checks the example
 * in the tests, is compiled without kubernetes_sd_configs.
 */
export function kubernetesScrapeConfig(): ScrapeConfig {
  return { job_name: 'llmtail-pods', kubernetes_sd_configs: [{ role: 'pod' }], relabel_configs: KUBERNETES_RELABELS };
}
