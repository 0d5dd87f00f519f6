// llmtail live page. Plain browser JavaScript, no framework: polls /api/series (incrementally, with
// ?since=) and /api/incidents from this origin only, and draws with the bundled uPlot. Log-derived
// text (templates, model names) only ever goes through textContent, never innerHTML.
/* global uPlot */
(function () {
  'use strict';

  var STATUS_COLORS = {
    success: '#4cc38a', error: '#f06b6b', timeout: '#f0a44b', rejected: '#c084fc', cancelled: '#8b93a3',
    client_error: '#e5c453', unknown: '#6b7a90', __other__: '#2bb8b0', all: '#5aa9ff',
  };
  var QUANTILE_COLORS = { p50: '#5aa9ff', p95: '#f0a44b', p99: '#f06b6b' };
  var PALETTE = ['#5aa9ff', '#4cc38a', '#f0a44b', '#c084fc', '#f06b6b', '#2bb8b0', '#e5c453', '#ff7ab6'];
  var QUANTILES = ['p50', 'p95', 'p99'];
  var INCIDENTS_EVERY_MS = 5000;
  var CHART_HEIGHT = 180;

  // ---- formatting ----------------------------------------------------------------------------
  function num(v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(a >= 1e5 ? 0 : 1) + 'k';
    if (a >= 100 || Number.isInteger(v)) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    if (a === 0) return '0';
    return v.toPrecision(2);
  }
  var fmt = {
    rate: function (v) { return v == null ? '–' : num(v) + '/s'; },
    percent: function (v) { return v == null ? '–' : (v * 100 < 10 ? (v * 100).toFixed(v === 0 ? 0 : 1) : (v * 100).toFixed(0)) + '%'; },
    seconds: function (v) {
      if (v == null) return '–';
      if (v === 0) return '0';
      if (Math.abs(v) < 1) return num(v * 1000) + ' ms';
      return num(v) + ' s';
    },
    bytes: function (v) {
      if (v == null) return '–';
      var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      var i = 0;
      while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
      return (i === 0 ? v.toFixed(0) : v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
    },
    count: function (v) { return v == null ? '–' : num(v); },
  };

  // ---- data: the API's columns, merged incrementally -----------------------------------------
  var data = { resolution: 0, window: 0, capacity: 0, t: [], cols: new Map(), gpus: [], health: null, now: 0 };

  /** The response's value arrays under flat keys, so merging does not care about its nesting. */
  function flatten(r) {
    var cols = new Map();
    Object.keys(r.requests_per_second).forEach(function (k) { cols.set('req.' + k, r.requests_per_second[k]); });
    cols.set('error_ratio', r.error_ratio);
    QUANTILES.forEach(function (q) {
      cols.set('e2e.' + q, r.e2e_latency_seconds[q]);
      cols.set('ttft.' + q, r.ttft_seconds[q]);
    });
    cols.set('tokens.input', r.tokens_per_second.input);
    cols.set('tokens.output', r.tokens_per_second.output);
    cols.set('lines', r.lines_per_second);
    cols.set('invalid', r.invalid_lines_per_second);
    cols.set('files', r.files_followed);
    cols.set('lag', r.max_lag_bytes);
    r.gpus.forEach(function (g) {
      cols.set('gpu.used.' + g.uuid, g.memory_used_bytes);
      cols.set('gpu.total.' + g.uuid, g.memory_total_bytes);
      cols.set('gpu.util.' + g.uuid, g.utilization_ratio);
    });
    return cols;
  }

  function nulls(n) {
    var a = new Array(n);
    for (var i = 0; i < n; i++) a[i] = null;
    return a;
  }

  function merge(r) {
    var incremental = !r.complete && data.t.length > 0 && r.resolution_seconds === data.resolution && r.capacity === data.capacity;
    var cols = flatten(r);
    if (!incremental) {
      data.t = r.timestamps.slice();
      data.cols = cols;
    } else {
      var before = data.t.length;
      var added = r.timestamps.length;
      data.cols.forEach(function (arr, key) {
        var more = cols.get(key) || nulls(added);
        for (var i = 0; i < more.length; i++) arr.push(more[i]);
      });
      cols.forEach(function (arr, key) {
        if (!data.cols.has(key)) data.cols.set(key, nulls(before).concat(arr));
      });
      for (var j = 0; j < added; j++) data.t.push(r.timestamps[j]);
    }
    // Keep what the server keeps: the window, at most `capacity` rows.
    var drop = Math.max(0, data.t.length - r.capacity);
    var last = data.t[data.t.length - 1];
    while (drop < data.t.length && data.t[drop] < last - r.window_seconds) drop++;
    if (drop > 0) {
      data.t.splice(0, drop);
      data.cols.forEach(function (arr) { arr.splice(0, drop); });
    }
    data.resolution = r.resolution_seconds;
    data.window = r.window_seconds;
    data.capacity = r.capacity;
    data.gpus = r.gpus.map(function (g) { return { gpu: g.gpu, uuid: g.uuid, name: g.name }; });
    data.health = r.health;
    data.now = r.now;
  }

  function col(key) {
    return data.cols.get(key) || nulls(data.t.length);
  }

  // ---- charts ----------------------------------------------------------------------------------
  /** "GPU 3"; the model goes into the card's subtitle when every GPU is the same one. */
  function gpuLabel(g) {
    var sameModel = data.gpus.every(function (o) { return o.name === data.gpus[0].name; });
    return 'GPU ' + g.gpu + (sameModel || !g.name ? '' : ' ' + g.name.replace(/^NVIDIA /, ''));
  }

  function gpuModels() {
    var names = [];
    data.gpus.forEach(function (g) { if (g.name && names.indexOf(g.name) < 0) names.push(g.name); });
    return names.length === 1 ? data.gpus.length + ' × ' + names[0] : '';
  }

  /** Each chart: its element, unit formatter, y range, and the series it shows now. */
  var CHARTS = [
    {
      id: 'chart-requests', format: fmt.rate,
      series: function () {
        return Array.from(data.cols.keys()).filter(function (k) { return k.indexOf('req.') === 0; }).map(function (k) {
          var s = k.slice(4);
          return { key: k, label: s, color: STATUS_COLORS[s] || '#5aa9ff' };
        });
      },
    },
    {
      id: 'chart-errors', format: fmt.percent, minMax: 0.01,
      series: function () { return [{ key: 'error_ratio', label: 'failed', color: STATUS_COLORS.error, fill: true }]; },
    },
    {
      id: 'chart-tokens', format: fmt.rate,
      series: function () {
        return [
          { key: 'tokens.input', label: 'input', color: '#2bb8b0' },
          { key: 'tokens.output', label: 'output', color: '#c084fc' },
        ];
      },
    },
    {
      id: 'chart-latency', format: fmt.seconds,
      series: function () { return QUANTILES.map(function (q) { return { key: 'e2e.' + q, label: q.toUpperCase(), color: QUANTILE_COLORS[q] }; }); },
    },
    {
      id: 'chart-ttft', format: fmt.seconds,
      series: function () { return QUANTILES.map(function (q) { return { key: 'ttft.' + q, label: q.toUpperCase(), color: QUANTILE_COLORS[q] }; }); },
    },
    {
      id: 'chart-lines', format: fmt.rate,
      series: function () {
        return [
          { key: 'lines', label: 'read', color: '#5aa9ff' },
          { key: 'invalid', label: 'invalid', color: STATUS_COLORS.error },
        ];
      },
    },
    {
      id: 'chart-gpu-memory', format: fmt.bytes, gpu: true,
      series: function () {
        var s = data.gpus.map(function (g, i) { return { key: 'gpu.used.' + g.uuid, label: gpuLabel(g), color: PALETTE[i % PALETTE.length] }; });
        // One capacity line (the largest GPU), not one per GPU: eight identical dashed lines say nothing.
        if (data.gpus.length > 0) s.push({ key: 'gpu.capacity', label: 'capacity', color: '#8b93a3', dash: [6, 4], derived: gpuCapacity });
        return s;
      },
    },
    {
      // gpu: like the memory card, a notice instead of empty axes and the models in the subtitle.
      id: 'chart-gpu-util', format: fmt.percent, max: 1, gpu: true,
      series: function () {
        return data.gpus.map(function (g, i) { return { key: 'gpu.util.' + g.uuid, label: gpuLabel(g), color: PALETTE[i % PALETTE.length] }; });
      },
    },
    {
      id: 'chart-lag', format: fmt.bytes, minMax: 1024 * 1024,
      series: function () { return [{ key: 'lag', label: 'max lag', color: '#f0a44b', fill: true }]; },
    },
  ];

  function gpuCapacity() {
    var out = nulls(data.t.length);
    data.gpus.forEach(function (g) {
      var total = col('gpu.total.' + g.uuid);
      for (var i = 0; i < out.length; i++) if (total[i] != null && (out[i] == null || total[i] > out[i])) out[i] = total[i];
    });
    return out;
  }

  function theme() {
    var css = getComputedStyle(document.documentElement);
    var v = function (name) { return css.getPropertyValue(name).trim(); };
    return { axis: v('--axis'), grid: v('--grid'), font: '12px ' + getComputedStyle(document.body).fontFamily };
  }

  var instances = new Map();

  function chartWidth(el) {
    return Math.max(200, Math.floor(el.clientWidth));
  }

  /** Axis steps for bytes: 1, 2, 5, 10, 20, 50… of B, KiB, MiB, GiB, TiB (no 46.6 GiB ticks). */
  var BYTE_INCRS = [];
  [1, Math.pow(1024, 1), Math.pow(1024, 2), Math.pow(1024, 3), Math.pow(1024, 4)].forEach(function (unit) {
    [1, 2, 5, 10, 20, 50, 100, 200, 500].forEach(function (m) { BYTE_INCRS.push(m * unit); });
  });

  /** Without a hovered point, the legend shows the newest values instead of dashes. */
  function showLatest(u) {
    if (u.cursor.left >= 0 || u.data[0].length === 0) return;
    u.setLegend({ idx: u.data[0].length - 1 }, false);
  }

  function yRange(spec) {
    return function (u, min, max) {
      if (spec.max != null) return [0, spec.max];
      var top = max == null || !(max > 0) ? (spec.minMax || 1) : Math.max(max * 1.15, spec.minMax || 0);
      return [0, top];
    };
  }

  function build(spec, el, series, t) {
    var axis = function (format) {
      var a = { stroke: t.axis, font: t.font, size: 60, gap: 4, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1, size: 4 } };
      // Set only when given: uPlot would take an undefined key over its own default.
      if (format) a.values = function (u, splits) { return splits.map(format); };
      if (format === fmt.bytes) a.incrs = BYTE_INCRS;
      return a;
    };
    var opts = {
      width: chartWidth(el),
      height: CHART_HEIGHT,
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
      scales: { x: { time: true }, y: { range: yRange(spec) } },
      axes: [axis(null), axis(spec.format)],
      legend: { live: true },
      hooks: { setLegend: [showLatest] },
      series: [{ value: function (u, ts) { return ts == null ? '–' : new Date(ts * 1000).toLocaleTimeString(); } }].concat(series.map(function (s) {
        return {
          label: s.label,
          stroke: s.color,
          width: 1.6,
          dash: s.dash || [],
          fill: s.fill ? s.color + '22' : 'transparent',
          spanGaps: false,
          points: { show: false },
          value: function (u, v) { return spec.format(v); },
        };
      })),
    };
    return new uPlot(opts, [[]].concat(series.map(function () { return []; })), el);
  }

  function renderChart(spec) {
    var el = document.getElementById(spec.id);
    var card = el.parentElement;
    var notice = card.querySelector('.notice');
    var series = spec.series();
    if (spec.gpu) {
      var noGpu = series.length === 0;
      var models = card.querySelector('[data-gpu-models]');
      if (models) models.textContent = gpuModels();
      el.hidden = noGpu;
      if (notice) {
        notice.hidden = !noGpu;
        notice.textContent = noGpu ? gpuNotice(data.health ? data.health.gpu : 'off') : '';
      }
      if (noGpu) {
        el.dataset.points = '0';
        return;
      }
    }
    var signature = series.map(function (s) { return s.key + '|' + s.label; }).join(',');
    var entry = instances.get(spec.id);
    if (entry === undefined || entry.signature !== signature) {
      if (entry !== undefined) entry.chart.destroy();
      entry = { chart: build(spec, el, series, theme()), signature: signature };
      instances.set(spec.id, entry);
    }
    var values = series.map(function (s) { return s.derived ? s.derived() : col(s.key); });
    entry.chart.setData([data.t].concat(values));
    showLatest(entry.chart);
    var points = 0;
    values.forEach(function (arr) { arr.forEach(function (v) { if (v != null) points++; }); });
    el.dataset.points = String(points);
  }

  function gpuNotice(status) {
    if (status === 'off') return 'No GPU: nvidia-smi was not found on this host (or gpu.enabled is off).';
    if (status === 'waiting' || status === 'ok') return 'Waiting for the first nvidia-smi sample…';
    return 'No GPU data: the nvidia-smi collector is failing (' + status + ').';
  }

  function rebuildAll() {
    instances.forEach(function (entry) { entry.chart.destroy(); });
    instances.clear();
    CHARTS.forEach(renderChart);
  }

  // ---- health tiles ----------------------------------------------------------------------------
  function tile(id, text, level) {
    var el = document.getElementById(id);
    el.querySelector('[data-value]').textContent = text;
    if (level) el.dataset.level = level;
    else delete el.dataset.level;
  }

  function renderHealth() {
    var h = data.health;
    if (!h) return;
    var ready = h.inputs.filter(function (i) { return i.ready; }).length;
    tile('tile-inputs', h.inputs.length === 0 ? 'none' : ready + ' of ' + h.inputs.length + ' ready', h.inputs.length > 0 && ready === h.inputs.length ? 'ok' : 'bad');
    tile('tile-files', h.files_followed == null ? 'no files' : String(h.files_followed), h.files_followed === 0 ? 'warn' : undefined);
    tile('tile-lag', h.max_lag_bytes == null ? '–' : fmt.bytes(h.max_lag_bytes), h.max_lag_bytes > 64 * 1024 * 1024 ? 'warn' : undefined);
    tile('tile-lines', num(h.lines_total));
    tile('tile-invalid', num(h.invalid_lines_total), h.invalid_lines_total > 0 ? 'warn' : undefined);
    var gpuText = h.gpu === 'ok' ? data.gpus.length + ' GPU' + (data.gpus.length === 1 ? '' : 's') + (h.dropped_gpus > 0 ? ' (+' + h.dropped_gpus + ' not charted)' : '') : h.gpu;
    tile('tile-gpu', gpuText, h.gpu === 'ok' ? 'ok' : h.gpu === 'off' || h.gpu === 'waiting' ? undefined : 'bad');
    var minutes = data.window / 60;
    document.getElementById('window').textContent =
      'Last ' + (minutes >= 1 ? minutes + ' min' : data.window + ' s') + ' at ' + data.resolution + ' s resolution, ' + data.t.length + ' of ' + data.capacity + ' points';
  }

  // ---- incidents -------------------------------------------------------------------------------
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text != null) e.textContent = text;
    return e;
  }

  function timeOf(iso) {
    return iso ? new Date(iso).toLocaleTimeString() : '';
  }

  function renderIncident(i) {
    var box = el('div', 'incident');
    box.dataset.id = i.id;
    var head = el('div', 'incident-head');
    var badge = el('span', 'badge', i.status);
    badge.dataset.status = i.status;
    head.appendChild(badge);
    head.appendChild(el('span', 'incident-model', i.model));
    head.appendChild(el('span', 'incident-meta',
      timeOf(i.started_at) + (i.ended_at ? ' – ' + timeOf(i.ended_at) : ' – now') + ' · ' + i.duration_seconds + ' s · ' +
      num(i.lines) + ' error lines · ' + String(i.reason).replace(/_/g, ' ') + (i.severity ? ' · ' + i.severity : '')));
    box.appendChild(head);
    if (i.summary) {
      var s = el('p', 'incident-summary', i.summary.root_cause.hypothesis + ' ');
      s.appendChild(el('span', 'confidence', '(confidence ' + Math.round(i.summary.root_cause.confidence * 100) + '%, ' + (i.summarizer.model || 'model') + ')'));
      box.appendChild(s);
    } else {
      box.appendChild(el('p', 'incident-summary muted', i.template_summary));
    }
    var table = el('table', 'templates');
    i.templates.slice(0, 5).forEach(function (t) {
      var row = el('tr');
      row.appendChild(el('td', 'count', num(t.count) + '×'));
      var cell = el('td');
      cell.appendChild(el('code', null, t.template));
      row.appendChild(cell);
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }

  function renderIncidents(list, message) {
    var root = document.getElementById('incidents');
    root.replaceChildren();
    if (message) {
      root.dataset.state = 'unavailable';
      root.appendChild(el('p', 'muted', message));
      return;
    }
    root.dataset.state = list.length === 0 ? 'empty' : 'listed';
    root.dataset.count = String(list.length);
    if (list.length === 0) {
      root.appendChild(el('p', 'muted', 'No error bursts in memory. A burst (many more error lines than the recent baseline, or a new error template repeating) opens one.'));
      return;
    }
    list.slice(0, 10).forEach(function (i) { root.appendChild(renderIncident(i)); });
  }

  var lastIncidents = 0;
  function refreshIncidents() {
    if (Date.now() - lastIncidents < INCIDENTS_EVERY_MS) return Promise.resolve();
    lastIncidents = Date.now();
    return fetch('/api/incidents', { cache: 'no-store', headers: { Accept: 'application/json' } }).then(function (res) {
      if (res.status === 404) return renderIncidents([], 'Anomaly signals are off (anomaly.enabled: false): no incidents are kept.');
      if (!res.ok) throw new Error('incidents: HTTP ' + res.status);
      return res.json().then(function (body) { renderIncidents(body.incidents); });
    });
  }

  // ---- refresh loop ----------------------------------------------------------------------------
  function refreshSeries() {
    var since = data.t.length > 0 ? '?since=' + data.t[data.t.length - 1] : '';
    return fetch('/api/series' + since, { cache: 'no-store', headers: { Accept: 'application/json' } }).then(function (res) {
      if (!res.ok) throw new Error('series: HTTP ' + res.status);
      return res.json();
    }).then(function (r) {
      merge(r);
      CHARTS.forEach(renderChart);
      renderHealth();
    });
  }

  function tick() {
    Promise.all([refreshSeries(), refreshIncidents()]).then(function () {
      document.body.dataset.connection = 'ok';
      document.getElementById('updated').textContent = 'updated ' + new Date(data.now * 1000).toLocaleTimeString();
    }, function (err) {
      // Shown on the page, not the console: a sidecar restart is expected, and the page retries.
      document.body.dataset.connection = 'lost';
      document.getElementById('updated').textContent = 'cannot reach llmtail (' + err.message + '), retrying…';
    }).then(function () {
      setTimeout(tick, Math.max(1, data.resolution || 5) * 1000);
    });
  }

  function onResize() {
    instances.forEach(function (entry, id) {
      var e = document.getElementById(id);
      entry.chart.setSize({ width: chartWidth(e), height: CHART_HEIGHT });
    });
  }

  var resizeTimer;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(onResize, 100);
  });
  var scheme = window.matchMedia('(prefers-color-scheme: light)');
  if (scheme.addEventListener) scheme.addEventListener('change', rebuildAll);

  tick();
})();
