/**
 * Command-line flags that set configuration keys. Names follow the Prometheus exporter
 * conventions where one exists (--web.listen-address, --log.level); their help text and defaults
 * come from the schema.
 */
export interface ConfigFlag {
  flag: string;
  key: string;
  type: 'string' | 'boolean' | 'list' | 'csv' | 'int';
  arg?: string;
  /** A boolean flag that sets its key to false (`--web.disable-ui` → ui.enabled: false). */
  negate?: true;
}

export const CONFIG_FLAGS: readonly ConfigFlag[] = [
  { flag: 'input', key: 'inputs', type: 'list', arg: 'PATH|GLOB|-' },
  { flag: 'preset', key: 'preset', type: 'string', arg: 'NAME' },
  { flag: 'default-model', key: 'default_model', type: 'string', arg: 'NAME' },
  { flag: 'from-beginning', key: 'from_beginning', type: 'boolean' },
  { flag: 'state-dir', key: 'state_dir', type: 'string', arg: 'DIR' },
  { flag: 'web.listen-address', key: 'web.listen_address', type: 'string', arg: '[HOST]:PORT' },
  { flag: 'web.telemetry-path', key: 'web.telemetry_path', type: 'string', arg: 'PATH' },
  { flag: 'web.enable-ingest', key: 'web.enable_ingest', type: 'boolean' },
  { flag: 'web.enable-otlp', key: 'web.enable_otlp', type: 'boolean' },
  { flag: 'web.config.file', key: 'web.config_file', type: 'string', arg: 'FILE' },
  { flag: 'web.disable-ui', key: 'ui.enabled', type: 'boolean', negate: true },
  { flag: 'log.level', key: 'log.level', type: 'string', arg: 'LEVEL' },
  { flag: 'log.format', key: 'log.format', type: 'string', arg: 'json|logfmt' },
  { flag: 'labels', key: 'labels.allow', type: 'csv', arg: 'NAME,…' },
  { flag: 'max-label-values', key: 'labels.max_values', type: 'int', arg: 'N' },
  { flag: 'gpu', key: 'gpu.enabled', type: 'string', arg: 'auto|on|off' },
  { flag: 'gpu-processes', key: 'gpu.processes', type: 'boolean' },
  { flag: 'summarizer.base-url', key: 'summarizer.base_url', type: 'string', arg: 'URL' },
  { flag: 'summarizer.model', key: 'summarizer.model', type: 'string', arg: 'NAME' },
  { flag: 'alertmanager.url', key: 'alertmanager.url', type: 'string', arg: 'URL' },
];
