// Turns the query results of one dashboard row into an HTML page that draws each panel as Grafana
// would lay it out (uPlot for time series, a canvas for the heatmap, bars for tables), for headless
// Chromium to screenshot.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../test/support/process.js';

export interface Series {
  readonly name: string;
  readonly values: ReadonlyArray<number | null>;
}

export interface PanelData {
  readonly title: string;
  readonly unit: string;
  readonly kind: 'timeseries' | 'table' | 'heatmap';
  /** Grid columns out of 24. */
  readonly width: number;
  /** Unix seconds of each point. */
  readonly times: readonly number[];
  readonly series: readonly Series[];
}

const uplot = (file: string): string => readFileSync(join(ROOT, 'node_modules/uplot/dist', file), 'utf8');

// Runs in the page: the unit formats of Grafana's that the dashboard uses.
const FORMAT = `function format(unit, v) {
  if (v == null || !isFinite(v)) return '';
  const n = (x, d) => Number(x.toFixed(d)).toString();
  switch (unit) {
    case 'reqps': return n(v, 1) + ' req/s';
    case 'percentunit': return n(v * 100, 1) + ' %';
    case 's': return v >= 1 ? n(v, 2) + ' s' : v >= 0.001 ? n(v * 1000, 1) + ' ms' : n(v * 1e6, 0) + ' µs';
    case 'bytes': return v >= 1048576 ? n(v / 1048576, 0) + ' MiB' : n(v / 1024, 0) + ' KiB';
    default: return v >= 1000 ? n(v / 1000, 1) + 'k' : n(v, 2);
  }
}`;

const DRAW = `const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a', '#37872d', '#c4162a'];
function timeseries(el, p) {
  const series = [{}, ...p.series.map((s, i) => ({ label: s.name, stroke: COLORS[i % COLORS.length], fill: COLORS[i % COLORS.length] + '1a', width: 1.5, points: { show: false }, value: (u, v) => format(p.unit, v) }))];
  new uPlot({ width: el.clientWidth, height: 210, series, legend: { live: false }, cursor: { show: false },
    axes: [{ stroke: '#ccc', grid: { stroke: '#333' } }, { stroke: '#ccc', grid: { stroke: '#333' }, size: 70, values: (u, vs) => vs.map((v) => format(p.unit, v)) }] },
    [p.times, ...p.series.map((s) => s.values)], el);
}
function heatmap(el, p) {
  // Buckets are cumulative (le): each row shows only the requests between its bound and the one below, as Grafana does.
  const rows = p.series.map((s, r) => ({ name: s.name, values: s.values.map((v, i) => r === 0 ? v : v - p.series[r - 1].values[i]) }));
  const c = document.createElement('canvas');
  const w = el.clientWidth, h = 230, left = 60;
  c.width = w; c.height = h; el.appendChild(c);
  const g = c.getContext('2d');
  const cols = p.times.length;
  let max = 0; for (const s of rows) for (const v of s.values) if (v > max) max = v;
  const cw = (w - left) / cols, ch = (h - 20) / rows.length;
  g.font = '10px sans-serif';
  rows.forEach((s, r) => {
    const y = h - 20 - (r + 1) * ch;
    g.fillStyle = '#ccc';
    if (r % 2 === 0) g.fillText(s.name === '+Inf' ? '+Inf' : format('s', Number(s.name)), 2, y + ch / 2 + 3);
    s.values.forEach((v, i) => {
      if (!v) return;
      const t = Math.sqrt(v / max);
      g.fillStyle = 'rgba(' + Math.round(255 * t) + ',' + Math.round(120 + 100 * t) + ',' + Math.round(200 - 170 * t) + ',' + (0.25 + 0.75 * t) + ')';
      g.fillRect(left + i * cw, y, Math.ceil(cw), Math.ceil(ch) - 1);
    });
  });
}
function table(el, p) {
  const rows = p.series.map((s) => ({ name: s.name, v: s.values[s.values.length - 1] })).sort((a, b) => b.v - a.v);
  const max = Math.max(...rows.map((r) => r.v));
  el.innerHTML = '<table>' + rows.map((r) => '<tr><td class="n">' + r.name + '</td><td class="b"><div style="width:' + (100 * r.v / max) + '%"></div></td><td class="v">' + format(p.unit, r.v) + '</td></tr>').join('') + '</table>';
}
for (const [i, p] of PANELS.entries()) {
  const el = document.getElementById('p' + i);
  if (p.series.length === 0) el.innerHTML = '<div class="none">No data</div>';
  else ({ timeseries, heatmap, table })[p.kind](el, p);
}`;

/** The page for one row: its title, then the panels in Grafana's 24-column grid. */
export function rowPage(title: string, panels: readonly PanelData[], pageWidth: number): string {
  const cell = (p: PanelData, i: number): string =>
    `<div class="panel" style="width:${(p.width / 24) * pageWidth - 12}px"><div class="title">${p.title}</div><div id="p${i}" class="plot"></div></div>`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>${uplot('uPlot.min.css')}
body { margin: 0; padding: 8px 6px; background: #111217; color: #ccccdc; font: 13px sans-serif; width: ${pageWidth}px; }
h1 { font-size: 15px; margin: 0 6px 8px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px 12px; }
.panel { background: #181b1f; border: 1px solid #2c3235; border-radius: 3px; padding: 6px; box-sizing: border-box; height: 280px; overflow: hidden; }
.title { font-weight: 600; margin-bottom: 4px; }
.u-legend { font-size: 11px; text-align: left; } .u-legend .u-series { padding: 0 6px 0 0; } .u-legend th { font-weight: normal; }
table { width: 100%; border-collapse: collapse; } td { padding: 2px 4px; font-size: 12px; } .n { width: 30%; } .v { width: 15%; text-align: right; }
.b div { background: #5794f2; height: 12px; }
.none { color: #8e8e8e; font-size: 16px; text-align: center; padding-top: 95px; }
</style><script>${uplot('uPlot.iife.min.js')}</script></head><body><h1>${title}</h1><div class="grid">${panels.map(cell).join('')}</div>
<script>const PANELS = ${JSON.stringify(panels)};
${FORMAT}
${DRAW}</script></body></html>`;
}
