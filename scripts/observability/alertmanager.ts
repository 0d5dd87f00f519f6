/**
 * alertmanager.yml: pages and tickets go to different receivers, notifications are grouped by
 * alert name and model, and symptom alerts are inhibited while their source of truth is down —
 * every llmtail alert of an instance while that sidecar cannot be scraped, its log-quiet alert
 * while it cannot read an input, the GPU alerts while its nvidia-smi collector is down. The end-to-end test renders the same routing with its own
 * webhook URLs and short timers.
 */

export interface WebhookReceiver {
  name: string;
  webhook_configs: { url: string; send_resolved: boolean; max_alerts?: number }[];
}

export interface Route {
  receiver: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: Route[];
}

export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

export interface AlertmanagerConfig {
  global: { resolve_timeout: string };
  route: Route;
  receivers: WebhookReceiver[];
  inhibit_rules: InhibitRule[];
}

export interface AlertmanagerOptions {
  pageUrl: string;
  ticketUrl: string;
  groupWait: string;
  groupInterval: string;
  pageRepeat: string;
  ticketRepeat: string;
}

export const RECEIVERS = { page: 'page', ticket: 'ticket' } as const;

/** Labels that name one sidecar: the same on llmtail's alerts and on `up`. */
const SAME_SIDECAR = ['job', 'instance'];

export function alertmanagerConfig(o: AlertmanagerOptions): AlertmanagerConfig {
  return {
    global: { resolve_timeout: '5m' },
    route: {
      // Alerts without a severity become tickets rather than vanish.
      receiver: RECEIVERS.ticket,
      group_by: ['alertname', 'model'],
      group_wait: o.groupWait,
      group_interval: o.groupInterval,
      repeat_interval: o.ticketRepeat,
      routes: [
        { receiver: RECEIVERS.page, matchers: ['severity="page"'], repeat_interval: o.pageRepeat },
        { receiver: RECEIVERS.ticket, matchers: ['severity="ticket"'] },
      ],
    },
    receivers: [
      { name: RECEIVERS.page, webhook_configs: [{ url: o.pageUrl, send_resolved: true }] },
      { name: RECEIVERS.ticket, webhook_configs: [{ url: o.ticketUrl, send_resolved: true }] },
    ],
    inhibit_rules: [
      {
        // Sidecar down: everything it measured is stale or gone, so only that alert speaks.
        source_matchers: ['alertname="LlmtailSidecarDown"'],
        target_matchers: ['alertname=~"Llmtail.+"', 'alertname!="LlmtailSidecarDown"'],
        equal: [...SAME_SIDECAR],
      },
      {
        // Input down: the log goes quiet because llmtail cannot read it, not because the server is idle.
        source_matchers: ['alertname="LlmtailInputDown"'],
        target_matchers: ['alertname="LlmtailLogQuiet"'],
        equal: [...SAME_SIDECAR],
      },
      {
        // GPU collector down: the per-GPU series are not exported, so GPU symptoms are unknown.
        source_matchers: ['alertname="LlmtailGPUCollectorDown"'],
        target_matchers: ['alertname=~"LlmtailGPU.+"', 'alertname!="LlmtailGPUCollectorDown"'],
        equal: [...SAME_SIDECAR],
      },
    ],
  };
}

/** The shipped example (prometheus/alertmanager.yml): replace the two URLs with your pager and ticket bridges. */
export function exampleAlertmanagerConfig(): AlertmanagerConfig {
  return alertmanagerConfig({
    pageUrl: 'http://pager-bridge.example.internal:9095/alerts',
    ticketUrl: 'http://ticket-bridge.example.internal:9096/alerts',
    groupWait: '30s',
    groupInterval: '5m',
    pageRepeat: '1h',
    ticketRepeat: '24h',
  });
}
