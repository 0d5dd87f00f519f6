import { stringify } from 'yaml';
import { exampleAlertmanagerConfig } from './alertmanager.js';
import { GENERATED_NOTICE, SLO } from './common.js';
import { overviewDashboard, OVERVIEW_UID } from './grafana/overview.js';
import { composePrometheusConfig } from './compose.js';
import { kustomization, metricsNetworkPolicy, podMonitor, prometheusRule, PROMETHEUS_NAMESPACE, sidecarDeployment } from './kubernetes.js';
import { examplePrometheusConfig, kubernetesScrapeConfig } from './prometheus.js';
import { alertingRules, recordingRules } from './rules.js';

/**
 * Every generated file, by path from the repository root. `generate.ts` writes them; a test fails
 * when a committed file differs, so the TypeScript stays the one source of truth.
 */

/** YAML with a comment header; long lines are never folded (PromQL stays copyable). */
export function yamlFile(header: string[], value: unknown): string {
  const comments = [GENERATED_NOTICE, ...header].map((l) => (l === '' ? '#' : `# ${l}`)).join('\n');
  return `${comments}\n${stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** A YAML value as a comment block (indented as a scrape_configs entry). */
export function commented(header: string[], value: unknown): string {
  const body = stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })
    .trimEnd()
    .split('\n')
    .map((l) => `#   ${l}`);
  return `\n${[...header.map((l) => `# ${l}`), '#', '# scrape_configs:', ...body].join('\n')}\n`;
}

export function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export const DASHBOARD_DIR = 'grafana/dashboards';

export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    'prometheus/rules/recording.yml',
    yamlFile(
      [
        'Recording rules for the llmtail dashboards and alerts: request and failure rates, SLI ratios over the burn-rate',
        'windows, histogram bucket rates and quantiles of successful requests, and sidecar/GPU ratios.',
        'Check: promtool check rules prometheus/rules/recording.yml',
      ],
      recordingRules(),
    ),
  );
  files.set(
    'prometheus/rules/alerts.yml',
    yamlFile(
      [
        'llmtail alerts. Each has severity page or ticket, a summary and a description with the measured value, and a',
        'runbook_url into docs/runbooks.md. Needs rules/recording.yml loaded too.',
        `SLOs: availability ${SLO.availability.objective * 100}% of requests without a server-side failure; latency ${SLO.latency.objective * 100}% of successful`,
        `requests within ${SLO.latency.thresholdSeconds} s end to end (a bucket boundary of llmtail_request_duration_seconds).`,
        'Test: promtool test rules prometheus/tests/*.yml',
      ],
      alertingRules(),
    ),
  );
  files.set(
    'prometheus/prometheus.yml',
    yamlFile(
      [
        'Example Prometheus configuration for llmtail sidecars (default port 9838).',
        'Static targets: instance is relabelled to the host name without the port. Kubernetes (the job commented out at',
        'the end, or deploy/kubernetes/podmonitor.yaml): pods with a container named llmtail exposing a port named',
        'metrics; instance is the pod name, and namespace, pod and node are kept. The recording rules aggregate by job,',
        'namespace, pod, instance and model.',
        'With Grafana, set the data source scrape interval (timeInterval) to scrape_interval for $__rate_interval.',
        'Check: promtool check config prometheus/prometheus.yml',
      ],
      examplePrometheusConfig(),
    ) +
      commented(
        [
          'Kubernetes without the Prometheus Operator (with it, use deploy/kubernetes/podmonitor.yaml): add this job to',
          'scrape_configs. It is a comment here only because Debian\'s Prometheus build, which checks this file in the',
          'tests, is compiled without kubernetes_sd_configs.',
        ],
        [kubernetesScrapeConfig()],
      ),
  );
  files.set(
    'prometheus/alertmanager.yml',
    yamlFile(
      [
        'Example Alertmanager routing for the llmtail alerts: severity=page to the "page" receiver, severity=ticket (and',
        'anything without a severity) to "ticket"; notifications grouped by alertname and model. Inhibition: while',
        'LlmtailSidecarDown fires for an instance, its other llmtail alerts are muted; while LlmtailInputDown fires,',
        'its LlmtailLogQuiet is; while LlmtailGPUCollectorDown fires, its GPU alerts are. Replace the webhook URLs with',
        'your pager and ticket integrations (or swap in pagerduty_configs / opsgenie_configs / slack_configs for the',
        'receivers).',
        'Check: amtool check-config prometheus/alertmanager.yml',
      ],
      exampleAlertmanagerConfig(),
    ),
  );
  files.set(`${DASHBOARD_DIR}/${OVERVIEW_UID}.json`, jsonFile(overviewDashboard()));
  files.set(
    'grafana/provisioning/datasources/llmtail-prometheus.yml',
    yamlFile(
      [
        'Grafana data source provisioning: mount grafana/provisioning at /etc/grafana/provisioning.',
        'timeInterval is the Prometheus scrape interval, so $__rate_interval covers at least four scrapes.',
      ],
      {
        apiVersion: 1,
        datasources: [
          {
            name: 'Prometheus',
            uid: 'prometheus',
            type: 'prometheus',
            access: 'proxy',
            url: 'http://prometheus:9090',
            isDefault: true,
            editable: true,
            jsonData: { timeInterval: '15s', httpMethod: 'POST' },
          },
        ],
      },
    ),
  );
  files.set(
    'grafana/provisioning/dashboards/llmtail.yml',
    yamlFile(
      ['Grafana dashboard provisioning: mount grafana/dashboards at /var/lib/grafana/dashboards/llmtail.'],
      {
        apiVersion: 1,
        providers: [
          {
            name: 'llmtail',
            folder: 'llmtail',
            type: 'file',
            disableDeletion: false,
            allowUiUpdates: false,
            updateIntervalSeconds: 60,
            options: { path: '/var/lib/grafana/dashboards/llmtail', foldersFromFilesStructure: false },
          },
        ],
      },
    ),
  );
  files.set(
    'deploy/kubernetes/prometheusrule.yaml',
    yamlFile(
      [
        'The llmtail recording and alerting rules for the Prometheus Operator: the same groups as prometheus/rules/.',
        "Add the labels your Prometheus' ruleSelector matches (kube-prometheus-stack: release: <release name>).",
      ],
      prometheusRule(),
    ),
  );
  files.set(
    'deploy/kubernetes/podmonitor.yaml',
    yamlFile(
      [
        'Scrapes the llmtail sidecar of every pod labelled llmtail-sidecar=true, in any namespace, every 15 s.',
        "Add the labels your Prometheus' podMonitorSelector matches.",
      ],
      podMonitor(),
    ),
  );
  files.set(
    'deploy/kubernetes/deployment.yaml',
    yamlFile(
      [
        'An inference Deployment with llmtail as a sidecar: the server writes JSONL request logs to the shared request-logs',
        'volume, llmtail reads them (read-only) and serves /metrics on the port named metrics, which the PodMonitor',
        'scrapes. The inference container is a stand-in (llmtail simulate --follow): replace it with your server.',
        'Hardened: uid 1000, read-only root file system, no capabilities, seccomp RuntimeDefault; the state volume is the',
        'only path llmtail writes. Resources sized from measurements: deploy/kubernetes/README.md. GPU metrics need',
        'nvidia-smi in the llmtail container; without it llmtail runs with GPU metrics off.',
        "Both llmtail probes hit /healthz, not /readyz: a sidecar's readiness gates the whole pod's Service endpoints, and",
        '/readyz answers 503 while an input cannot be read, which would stop inference for a monitoring fault; the alert',
        "LlmtailInputDown reports that instead. NODE_OPTIONS here replaces the image's, so it repeats --max-semi-space-size.",
      ],
      sidecarDeployment(),
    ),
  );
  files.set(
    'deploy/kubernetes/networkpolicy.yaml',
    yamlFile(
      [
        `Only Prometheus (pods labelled app.kubernetes.io/name=prometheus in namespace ${PROMETHEUS_NAMESPACE}) may reach llmtail's`,
        'metrics port. Adapt both selectors to where your Prometheus runs. The policy isolates the whole pod, so the',
        "inference server's own port is listed too: change it to your server's, or drop that rule if other policies",
        'already govern it.',
      ],
      metricsNetworkPolicy(),
    ),
  );
  files.set(
    'deploy/kubernetes/kustomization.yaml',
    yamlFile(['kubectl apply -k deploy/kubernetes (needs the Prometheus Operator CRDs for the PodMonitor and PrometheusRule).'], kustomization()),
  );
  files.set(
    'deploy/compose/prometheus.yml',
    yamlFile(
      [
        'Prometheus for deploy/compose: the settings and relabelling of prometheus/prometheus.yml, scraping the compose',
        'service llmtail. docker-compose.yml mounts prometheus/rules/ next to this file.',
      ],
      composePrometheusConfig(),
    ),
  );
  return files;
}
