/**
 * A small typed builder for Grafana dashboard JSON (schema version 39, Grafana 10.4+/11): rows,
 * stat, time series and heatmap panels laid out left to right on the 24-column grid, and the
 * datasource / query variables. Only what the llmtail dashboards use; the output is plain JSON
 * that Grafana provisions or imports as is.
 */

export const SCHEMA_VERSION = 39;

export interface DataSourceRef {
  type: 'prometheus';
  uid: string;
}

/** Panels and queries read the data source chosen in the `datasource` variable. */
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Target {
  refId: string;
  datasource: DataSourceRef;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format?: 'time_series' | 'heatmap';
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface ThresholdStep {
  color: string;
  value: number | null;
}

export interface FieldConfig {
  defaults: {
    unit: string;
    decimals?: number;
    min?: number;
    max?: number;
    color?: { mode: string };
    thresholds: { mode: 'absolute'; steps: ThresholdStep[] };
    custom?: Record<string, unknown>;
  };
  overrides: unknown[];
}

export interface Panel {
  id: number;
  type: 'stat' | 'timeseries' | 'heatmap';
  title: string;
  description: string;
  datasource: DataSourceRef;
  gridPos: GridPos;
  targets: Target[];
  fieldConfig: FieldConfig;
  options: Record<string, unknown>;
  interval?: string;
}

export interface RowPanel {
  id: number;
  type: 'row';
  title: string;
  collapsed: false;
  gridPos: GridPos;
  panels: [];
}

export interface DatasourceVariable {
  type: 'datasource';
  name: string;
  label: string;
  query: 'prometheus';
  regex: string;
  current: Record<string, never>;
  hide: 0;
  includeAll: false;
  multi: false;
  options: [];
  refresh: 1;
}

export interface QueryVariable {
  type: 'query';
  name: string;
  label: string;
  datasource: DataSourceRef;
  /** `label_values(metric{…}, label)`: Grafana's Prometheus variable query. */
  query: { qryType: 1; query: string; refId: string };
  definition: string;
  regex: string;
  current: Record<string, never>;
  hide: 0;
  includeAll: true;
  multi: true;
  allValue: string;
  options: [];
  refresh: 2;
  sort: 1;
}

export type Variable = DatasourceVariable | QueryVariable;

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'browser';
  editable: true;
  graphTooltip: 1;
  time: { from: string; to: string };
  refresh: string;
  schemaVersion: number;
  version: 1;
  fiscalYearStartMonth: 0;
  liveNow: false;
  weekStart: '';
  links: unknown[];
  annotations: { list: unknown[] };
  templating: { list: Variable[] };
  panels: (Panel | RowPanel)[];
}

export interface Query {
  expr: string;
  legend?: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  queries: Query[];
  unit?: string;
  /** Grid columns out of 24. */
  width?: number;
  height?: number;
  decimals?: number;
  min?: number;
  max?: number;
  /** Threshold steps after the base colour: [value, colour]. */
  thresholds?: [number, string][];
  baseColor?: string;
  stacked?: boolean;
}

export interface HeatmapSpec {
  title: string;
  description: string;
  /** A `sum by (le) (increase(…_bucket[…]))` query; shown as buckets, not recalculated. */
  expr: string;
  unit: string;
  width?: number;
  height?: number;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  time?: string;
  refresh?: string;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class DashboardBuilder {
  private readonly panels: (Panel | RowPanel)[] = [];
  private readonly variables: Variable[] = [];
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  constructor(private readonly spec: DashboardSpec) {}

  datasourceVariable(name = 'datasource', label = 'Data source'): this {
    this.variables.push({
      type: 'datasource',
      name,
      label,
      query: 'prometheus',
      regex: '',
      current: {},
      hide: 0,
      includeAll: false,
      multi: false,
      options: [],
      refresh: 1,
    });
    return this;
  }

  /** A multi-value variable from `label_values(metric{selector}, label)`; "All" matches allValue. */
  queryVariable(name: string, label: string, definition: string, allValue = '.*'): this {
    this.variables.push({
      type: 'query',
      name,
      label,
      datasource: DATASOURCE,
      query: { qryType: 1, query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
      definition,
      regex: '',
      current: {},
      hide: 0,
      includeAll: true,
      multi: true,
      allValue,
      options: [],
      refresh: 2,
      sort: 1,
    });
    return this;
  }

  row(title: string): this {
    this.newLine();
    this.panels.push({ id: this.nextId++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: this.y }, panels: [] });
    this.y += 1;
    return this;
  }

  stat(spec: PanelSpec): this {
    return this.add('stat', { width: 3, height: 4, ...spec }, {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'area',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'auto',
      wideLayout: true,
      showPercentChange: false,
    });
  }

  timeseries(spec: PanelSpec): this {
    return this.add('timeseries', { width: 12, height: 8, ...spec }, {
      legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['mean', 'max', 'lastNotNull'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    });
  }

  heatmap(spec: HeatmapSpec): this {
    const panel = this.place('heatmap', spec.width ?? 12, spec.height ?? 8, spec.title, spec.description);
    panel.targets = [{ refId: 'A', datasource: DATASOURCE, expr: spec.expr, legendFormat: '{{le}}', range: true, instant: false, format: 'heatmap' }];
    panel.fieldConfig = { defaults: { unit: spec.unit, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }] }, custom: { hideFrom: { legend: false, tooltip: false, viz: false }, scaleDistribution: { type: 'linear' } } }, overrides: [] };
    panel.options = {
      calculate: false,
      cellGap: 1,
      color: { mode: 'scheme', scheme: 'Oranges', fill: 'dark-orange', exponent: 0.5, reverse: false, steps: 64 },
      exemplars: { color: 'rgba(255,0,255,0.7)' },
      filterValues: { le: 1e-9 },
      legend: { show: true },
      rowsFrame: { layout: 'auto' },
      tooltip: { mode: 'single', yHistogram: false, showColorScale: false },
      yAxis: { axisPlacement: 'left', reverse: false, unit: spec.unit },
    };
    return this;
  }

  build(): Dashboard {
    return {
      uid: this.spec.uid,
      title: this.spec.title,
      description: this.spec.description,
      tags: this.spec.tags,
      timezone: 'browser',
      editable: true,
      graphTooltip: 1,
      time: { from: this.spec.time ?? 'now-1h', to: 'now' },
      refresh: this.spec.refresh ?? '30s',
      schemaVersion: SCHEMA_VERSION,
      version: 1,
      fiscalYearStartMonth: 0,
      liveNow: false,
      weekStart: '',
      links: [],
      annotations: {
        list: [
          {
            builtIn: 1,
            datasource: { type: 'grafana', uid: '-- Grafana --' },
            enable: true,
            hide: true,
            iconColor: 'rgba(0, 211, 255, 1)',
            name: 'Annotations & Alerts',
            type: 'dashboard',
          },
        ],
      },
      templating: { list: this.variables },
      panels: this.panels,
    };
  }

  private add(type: 'stat' | 'timeseries', spec: PanelSpec & { width: number; height: number }, options: Record<string, unknown>): this {
    if (spec.queries.length === 0 || spec.queries.length > REF_IDS.length) throw new Error(`panel ${spec.title}: 1 to ${REF_IDS.length} queries`);
    const panel = this.place(type, spec.width, spec.height, spec.title, spec.description);
    panel.targets = spec.queries.map((q, i) => ({
      refId: REF_IDS[i] as string,
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend ?? '__auto',
      range: true,
      instant: false,
    }));
    const steps: ThresholdStep[] = [{ color: spec.baseColor ?? 'green', value: null }, ...(spec.thresholds ?? []).map(([value, color]) => ({ color, value }))];
    panel.fieldConfig = {
      defaults: {
        unit: spec.unit ?? 'short',
        ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
        color: { mode: type === 'stat' ? 'thresholds' : 'palette-classic' },
        thresholds: { mode: 'absolute', steps },
        ...(type === 'timeseries'
          ? {
              custom: {
                drawStyle: 'line',
                lineWidth: 1,
                fillOpacity: spec.stacked ? 30 : 10,
                showPoints: 'never',
                spanNulls: false,
                stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
                thresholdsStyle: { mode: spec.thresholds ? 'dashed' : 'off' },
              },
            }
          : {}),
      },
      overrides: [],
    };
    panel.options = options;
    return this;
  }

  /** Next free spot on the grid, wrapping to a new line when the row of panels is full. */
  private place(type: Panel['type'], w: number, h: number, title: string, description: string): Panel {
    if (this.x + w > 24) this.newLine();
    const panel: Panel = {
      id: this.nextId++,
      type,
      title,
      description,
      datasource: DATASOURCE,
      gridPos: { h, w, x: this.x, y: this.y },
      targets: [],
      fieldConfig: { defaults: { unit: 'short', thresholds: { mode: 'absolute', steps: [] } }, overrides: [] },
      options: {},
    };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    this.panels.push(panel);
    return panel;
  }

  private newLine(): void {
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

/** Every query of a dashboard, with its panel title (rows have none). */
export function dashboardQueries(d: Dashboard): { panel: string; refId: string; expr: string }[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? [] : p.targets.map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr }))));
}
