import { METRICS_PORT } from './common.js';
import { examplePrometheusConfig, type PrometheusConfig } from './prometheus.js';

/**
 * Prometheus for deploy/compose: the shipped example's settings and relabelling, scraping the
 * compose service `llmtail`. The rule files are prometheus/rules/, mounted next to it.
 */
export function composePrometheusConfig(): PrometheusConfig {
  return examplePrometheusConfig([`llmtail:${METRICS_PORT}`]);
}
