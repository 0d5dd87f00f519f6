import { METRICS_PORT } from './common.js';
import { VERSION } from '../../src/version.js';
import { alertingRules, recordingRules, type AlertingRule, type RecordingRule, type RuleGroup } from './rules.js';

/**
 * Kubernetes manifests for the Prometheus Operator: the same rule groups as prometheus/rules/ in a
 * PrometheusRule, a PodMonitor for the sidecar's `metrics` port with the same instance/pod
 * relabelling as prometheus.yml, an inference Deployment with llmtail as a hardened sidecar that
 * reads the server's request logs from a shared volume, a NetworkPolicy that lets only Prometheus
 * reach the metrics port, and the kustomization that ties them together (deploy/kubernetes/).
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

/** The image built from this repository's Dockerfile; its `node` user is uid/gid 1000. */
export const IMAGE = `llmtail:${VERSION}`;
export const IMAGE_UID = 1000;
const LOG_DIR = '/var/log/llm';
const STATE_DIR = '/var/lib/llmtail';
/** The inference server's own port (vLLM's default), left open by the NetworkPolicy. */
export const INFERENCE_PORT = 8000;
const APP_LABELS = { 'app.kubernetes.io/name': 'qwen-7b-inference' };

/**
 * From deploy/kubernetes/measure-resources.sh (numbers in deploy/kubernetes/README.md): at 1,000
 * lines/s, rotation every minute and a scrape every 5 s, with the options below, the sidecar used
 * ~13m CPU on average (p95 ~23m) and its RSS stayed between ~85 and ~105 MiB. The semi-space cap
 * keeps V8's young generation (which otherwise grows to its default maximum and stepped the RSS
 * from ~105 to ~210 MiB) at 2 x 2 MiB. Requests cover the steady state with ~2x CPU headroom; the
 * old-space cap makes V8 collect long before the memory limit; the CPU limit only bounds catch-up
 * after downtime (throttling slows it, loses nothing).
 */
export const SIDECAR_RESOURCES = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
/**
 * The env value replaces the image's NODE_OPTIONS, so it repeats the Dockerfile's semi-space cap
 * next to the heap cap.
 */
export const SIDECAR_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=128';

interface Probe {
  httpGet: { path: string; port: string; scheme: 'HTTP' | 'HTTPS' };
  periodSeconds: number;
  timeoutSeconds: number;
  initialDelaySeconds?: number;
  failureThreshold: number;
}

interface ContainerSecurityContext {
  readOnlyRootFilesystem: true;
  allowPrivilegeEscalation: false;
  capabilities: { drop: ['ALL'] };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy: 'IfNotPresent';
  args: string[];
  env?: { name: string; value: string }[];
  ports?: { name: string; containerPort: number; protocol: 'TCP' }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: ContainerSecurityContext;
}

export interface PodSpec {
  automountServiceAccountToken: false;
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot: true; runAsUser: number; runAsGroup: number; fsGroup: number; seccompProfile: { type: 'RuntimeDefault' } };
  containers: Container[];
  volumes: { name: string; emptyDir: { sizeLimit?: string; medium?: string } }[];
}

export interface DeploymentManifest {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

const HARDENED: ContainerSecurityContext = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

export function sidecarDeployment(): DeploymentManifest {
  const probe = (path: string, extra: Partial<Probe> = {}): Probe => ({
    httpGet: { path, port: 'metrics', scheme: 'HTTP' },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold: 3,
    ...extra,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'qwen-7b-inference', labels: { ...APP_LABELS } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...APP_LABELS } },
      template: {
        metadata: { labels: { ...APP_LABELS, [SIDECAR_POD_LABEL.key]: SIDECAR_POD_LABEL.value } },
        spec: {
          // Neither container talks to the Kubernetes API.
          automountServiceAccountToken: false,
          // llmtail writes its checkpoint and exits within 5 s of SIGTERM.
          terminationGracePeriodSeconds: 30,
          // uid/gid 1000 is the image's node user; fsGroup makes the volumes group-writable for it.
          securityContext: { runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID, fsGroup: IMAGE_UID, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              // Stand-in for the inference server: the simulator writing JSONL request logs in real
              // time. Replace it with your server (vLLM, TGI, a gateway) writing one JSON object per
              // request to /var/log/llm/*.jsonl, readable by uid 1000 or group 1000.
              name: 'inference',
              image: IMAGE,
              imagePullPolicy: 'IfNotPresent',
              args: ['simulate', '--follow', '--out', `${LOG_DIR}/requests.jsonl`, '--rate', '20', '--shape', 'mixed', '--rotate-every', '3600'],
              volumeMounts: [{ name: 'request-logs', mountPath: LOG_DIR }],
              // Measured: ~100 MiB RSS at 20 lines/s (the whole CLI is loaded).
              resources: { requests: { cpu: '20m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: HARDENED,
            },
            {
              name: 'llmtail',
              image: IMAGE,
              imagePullPolicy: 'IfNotPresent',
              args: ['run', '--input', `${LOG_DIR}/*.jsonl`],
              env: [
                { name: 'LLMTAIL_WEB_LISTEN_ADDRESS', value: `:${METRICS_PORT}` },
                { name: 'LLMTAIL_STATE_DIR', value: STATE_DIR },
                // Heap caps well under the memory limit: V8 collects instead of growing into an OOM kill.
                // This replaces the image's NODE_OPTIONS, so it keeps the image's semi-space cap too.
                { name: 'NODE_OPTIONS', value: SIDECAR_NODE_OPTIONS },
              ],
              ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
              volumeMounts: [
                { name: 'request-logs', mountPath: LOG_DIR, readOnly: true },
                { name: 'llmtail-state', mountPath: STATE_DIR },
              ],
              // /healthz, not /readyz: a sidecar's readiness gates the whole pod's Service endpoints, so an
              // unreadable log (/readyz 503) would take inference out of service for a monitoring fault.
              // LlmtailInputDown alerts on that instead.
              readinessProbe: probe('/healthz'),
              livenessProbe: probe('/healthz', { initialDelaySeconds: 10 }),
              resources: SIDECAR_RESOURCES,
              securityContext: HARDENED,
            },
          ],
          volumes: [
            { name: 'request-logs', emptyDir: { sizeLimit: '2Gi' } },
            // The checkpoint (a few KiB to a few MiB): exactly-once across container restarts. It
            // goes with the pod; a StatefulSet with a volumeClaimTemplate keeps it across pods.
            { name: 'llmtail-state', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}

export interface NetworkPolicyManifest {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: ['Ingress'];
    ingress: {
      from?: { namespaceSelector: { matchLabels: Record<string, string> }; podSelector: { matchLabels: Record<string, string> } }[];
      ports: { protocol: 'TCP'; port: number }[];
    }[];
  };
}

/** Where Prometheus runs: kube-prometheus-stack's defaults. */
export const PROMETHEUS_NAMESPACE = 'monitoring';
export const PROMETHEUS_POD_LABELS = { 'app.kubernetes.io/name': 'prometheus' };

export function metricsNetworkPolicy(): NetworkPolicyManifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'qwen-7b-inference-llmtail', labels: { ...NAME_LABELS } },
    spec: {
      podSelector: { matchLabels: { ...APP_LABELS, [SIDECAR_POD_LABEL.key]: SIDECAR_POD_LABEL.value } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          // Both selectors in one element: Prometheus pods in the Prometheus namespace (AND), nothing else.
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': PROMETHEUS_NAMESPACE } }, podSelector: { matchLabels: { ...PROMETHEUS_POD_LABELS } } }],
          ports: [{ protocol: 'TCP', port: METRICS_PORT }],
        },
        // A policy isolates the whole pod: keep the inference server's own port open as before.
        { ports: [{ protocol: 'TCP', port: INFERENCE_PORT }] },
      ],
    },
  };
}

export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1';
  kind: 'Kustomization';
  resources: string[];
  images: { name: string; newName: string; newTag: string }[];
}

/** The files `kubectl apply -k deploy/kubernetes` applies, in this order. */
export const KUSTOMIZE_RESOURCES = ['deployment.yaml', 'networkpolicy.yaml', 'podmonitor.yaml', 'prometheusrule.yaml'] as const;

export function kustomization(): Kustomization {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...KUSTOMIZE_RESOURCES],
    // Point this at your registry (kustomize edit set image llmtail=registry.example.com/llmtail:0.1.0).
    images: [{ name: 'llmtail', newName: 'llmtail', newTag: VERSION }],
  };
}
