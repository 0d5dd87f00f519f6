import { METRICS_PORT } from './common.js';
import { alertingRules, recordingRules, type AlertingRule, type RecordingRule, type RuleGroup } from './rules.js';

/**
 * Kubernetes manifests for the Prometheus Operator: the same rule groups as prometheus/rules/ in a
 * PrometheusRule, a PodMonitor for the sidecar's `metrics` port with the same instance/pod
 * relabelling as prometheus.yml, and an inference Pod with llmtail as a sidecar that reads the
 * server's request logs from a shared volume.
 */

/** Label on inference pods that carry the llmtail sidecar; the PodMonitor selects it. */
export const SIDECAR_POD_LABEL = { key: 'llmtail-sidecar', value: 'true' } as const;
const NAME_LABELS = { 'app.kubernetes.io/name': 'llmtail', 'app.kubernetes.io/part-of': 'llmtail' };

export interface PrometheusRuleManifest {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; labels: Record<string, string> };
  spec: { groups: RuleGroup<RecordingRule | AlertingRule>[] };
}

export function prometheusRule(): PrometheusRuleManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'llmtail', labels: { ...NAME_LABELS } },
    spec: { groups: [...recordingRules().groups, ...alertingRules().groups] },
  };
}

export interface PodMonitorManifest {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PodMonitor';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { any: true };
    podMetricsEndpoints: {
      port: string;
      path: string;
      interval: string;
      relabelings: { sourceLabels: string[]; targetLabel?: string; regex?: string; action?: string }[];
    }[];
  };
}

export function podMonitor(): PodMonitorManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: 'llmtail', labels: { ...NAME_LABELS } },
    spec: {
      selector: { matchLabels: { [SIDECAR_POD_LABEL.key]: SIDECAR_POD_LABEL.value } },
      namespaceSelector: { any: true },
      podMetricsEndpoints: [
        {
          port: 'metrics',
          path: '/metrics',
          interval: '15s',
          // The operator already sets namespace, pod and container; instance becomes the pod name
          // (as in prometheus/prometheus.yml), so dashboards and alerts name pods, not IPs.
          relabelings: [
            { sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: 'llmtail', action: 'keep' },
            { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'instance' },
            { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
          ],
        },
      ],
    },
  };
}

interface Probe {
  httpGet: { path: string; port: string };
  periodSeconds: number;
  initialDelaySeconds?: number;
  failureThreshold?: number;
}

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  args: string[];
  env?: { name: string; value: string }[];
  ports?: { name: string; containerPort: number; protocol: 'TCP' }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources: { requests?: Record<string, string>; limits: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

export interface PodManifest {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    containers: Container[];
    volumes: ({ name: string; emptyDir: Record<string, never> })[];
  };
}

export function sidecarPod(): PodManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'qwen-7b-inference',
      labels: { 'app.kubernetes.io/name': 'qwen-7b-inference', [SIDECAR_POD_LABEL.key]: SIDECAR_POD_LABEL.value },
    },
    spec: {
      containers: [
        {
          // Any server that writes one JSON object per request to /var/log/llm/*.jsonl (a vLLM or
          // TGI request-logging middleware, a gateway); see the README's log shapes.
          name: 'inference',
          image: 'vllm/vllm-openai:latest',
          args: ['--model', 'Qwen/Qwen2.5-7B-Instruct', '--port', '8000'],
          ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }],
          volumeMounts: [{ name: 'request-logs', mountPath: '/var/log/llm' }],
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
        {
          name: 'llmtail',
          // Built from this repository's Dockerfile (user node, uid 1000): `docker build -t llmtail:0.1.0 .`, then pushed to your registry.
          image: 'llmtail:0.1.0',
          imagePullPolicy: 'IfNotPresent',
          args: ['run', '--input', '/var/log/llm/*.jsonl'],
          env: [{ name: 'LLMTAIL_WEB_LISTEN_ADDRESS', value: `:${METRICS_PORT}` }],
          ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
          volumeMounts: [
            { name: 'request-logs', mountPath: '/var/log/llm', readOnly: true },
            { name: 'llmtail-state', mountPath: '/var/lib/llmtail' },
          ],
          readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 10, initialDelaySeconds: 10, failureThreshold: 3 },
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
          securityContext: { runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes: [
        { name: 'request-logs', emptyDir: {} },
        // Checkpoints (exactly-once across container restarts); a pod restart starts afresh.
        { name: 'llmtail-state', emptyDir: {} },
      ],
    },
  };
}
