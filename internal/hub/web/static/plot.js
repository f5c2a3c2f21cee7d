// Small SVG plots: time series (edge health) and bar charts (planning). Each is drawn at the
// container's current width, in the page's font size, and re-drawn by the caller on resize.
// Series differ by colour and dash, so they read without colour too.

import { svg, el, fmtHM, fmtTime, fmtNum, fmtCompact, niceStep, OI } from './util.js';

export const SERIES = [
  { colour: OI.sky, dash: null },
  { colour: OI.orange, dash: '6 4' },
  { colour: OI.green, dash: '2 3' },
];

// frame sizes a plot: the container's width, heightEm font sizes high (a CSS custom property
// --plot-em on the container overrides it, e.g. for a wall display).
function frame(container, heightEm) {
  const style = getComputedStyle(container);
  const fs = parseFloat(style.fontSize) || 14;
  heightEm = parseFloat(style.getPropertyValue('--plot-em')) || heightEm;
  const w = Math.max(120, container.clientWidth || 300);
  const h = Math.round(fs * heightEm);
  return { fs, w, h, m: { l: fs * 3, r: fs * 0.8, t: fs * 0.7, b: fs * 1.5 } };
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const s = niceStep(v, 4);
  return Math.ceil(v / s) * s;
}

// swatch is a short line in a series' colour and dash, for legends.
export function swatch(i) {
  const s = SERIES[i % SERIES.length];
  return svg('svg', { class: 'swatch', viewBox: '0 0 24 8', width: '1.6em', height: '0.6em', 'aria-hidden': 'true' },
    svg('line', { x1: 0, y1: 4, x2: 24, y2: 4, stroke: s.colour, 'stroke-width': 3, 'stroke-dasharray': s.dash }));
}

// linePlot draws series of [timeMs, value] points between t0 and t1 under a title line that
// shows each series' latest value. A gap longer than three typical intervals breaks the line.
export function linePlot(container, { label, unit = '', digits = 0, t0, t1, series, heightEm = 6, empty = 'no samples yet' }) {
  const head = el('div', { class: 'plot-head' }, el('span', { class: 'plot-title', text: label }));
  series.forEach((s, i) => {
    const shown = s.points.filter((p) => isFinite(p[1])); // a gap (NaN) is no value
    const last = shown.length ? shown[shown.length - 1][1] : null;
    head.append(el('span', { class: 'plot-key' }, swatch(i), ` ${s.label} `, el('b', { text: fmtNum(last, digits) }), unit ? ` ${unit}` : ''));
  });
  const { fs, w, h, m } = frame(container, heightEm);
  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => isFinite(v));
  const ymax = niceMax(Math.max(0, ...all));
  const x = (t) => m.l + ((t - t0) / Math.max(1, t1 - t0)) * (w - m.l - m.r);
  const y = (v) => h - m.b - (v / ymax) * (h - m.t - m.b);
  const plot = svg('svg', { class: 'plot', dataset: { t0, t1 }, viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', 'aria-label': label });
  const grid = svg('g', { class: 'axis' });
  for (const v of [0, ymax / 2, ymax]) {
    grid.append(svg('line', { x1: m.l, x2: w - m.r, y1: y(v), y2: y(v) }),
      svg('text', { x: m.l - 0.3 * fs, y: y(v) + 0.35 * fs, 'text-anchor': 'end', text: fmtCompact(v) }));
  }
  const fmtT = t1 - t0 <= 5 * 60_000 ? fmtTime : fmtHM; // seconds matter on a short window
  grid.append(svg('text', { x: m.l, y: h - 0.3 * fs, text: fmtT(t0) }),
    svg('text', { x: w - m.r, y: h - 0.3 * fs, 'text-anchor': 'end', text: fmtT(t1) }));
  plot.append(grid);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[0] >= t0 && p[0] <= t1 && isFinite(p[1]));
    if (!pts.length) return;
    const gaps = pts.slice(1).map((p, k) => p[0] - pts[k][0]).sort((a, b) => a - b);
    const typical = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
    let d = '';
    pts.forEach((p, k) => {
      const brk = k === 0 || (typical > 0 && p[0] - pts[k - 1][0] > 3 * typical);
      d += `${brk ? 'M' : 'L'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`;
    });
    const st = SERIES[i % SERIES.length];
    plot.append(svg('path', { class: 'line', d, stroke: st.colour, 'stroke-dasharray': st.dash }));
    const lp = pts[pts.length - 1];
    plot.append(svg('circle', { class: 'last', cx: x(lp[0]), cy: y(lp[1]), r: fs * 0.22, fill: st.colour }));
  });
  if (!all.length) plot.append(svg('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle', class: 'plot-empty', text: empty }));
  container.replaceChildren(head, plot);
}

// barChart draws one bar per entry ({label, value, title}) with an optional line over it
// (values on a right-hand axis), e.g. vehicle-minutes per hour and their mean speed.
export function barChart(container, { label, bars, unit = '', line = null, lineLabel = '', lineUnit = '', heightEm = 11, every = 1 }) {
  const head = el('div', { class: 'plot-head bars-head' }, el('span', { class: 'plot-title', text: label }),
    el('span', { class: 'plot-key' }, swatch(0), ` ${unit}`));
  if (line) head.append(el('span', { class: 'plot-key' }, swatch(1), ` ${lineLabel}`));
  const { fs, w, h, m } = frame(container, heightEm);
  if (line) m.r = fs * 3;
  const ymax = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const lmax = line ? niceMax(Math.max(0, ...line.filter((v) => v != null))) : 1;
  const n = Math.max(1, bars.length), bw = (w - m.l - m.r) / n;
  const y = (v) => h - m.b - (v / ymax) * (h - m.t - m.b);
  const ly = (v) => h - m.b - (v / lmax) * (h - m.t - m.b);
  const plot = svg('svg', { class: 'plot bars', viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', 'aria-label': label });
  const grid = svg('g', { class: 'axis' });
  for (const v of [0, ymax / 2, ymax]) {
    grid.append(svg('line', { x1: m.l, x2: w - m.r, y1: y(v), y2: y(v) }),
      svg('text', { x: m.l - 0.3 * fs, y: y(v) + 0.35 * fs, 'text-anchor': 'end', text: fmtCompact(v) }));
    if (line) grid.append(svg('text', { x: w - m.r + 0.3 * fs, y: ly(v / ymax * lmax) + 0.35 * fs, text: fmtCompact(v / ymax * lmax) }));
  }
  plot.append(grid);
  const g = svg('g', { class: 'bar-group' });
  bars.forEach((b, i) => {
    const x0 = m.l + i * bw;
    g.append(svg('rect', { class: 'bar', x: x0 + bw * 0.12, width: Math.max(1, bw * 0.76), y: y(b.value), height: Math.max(0, y(0) - y(b.value)), fill: SERIES[0].colour },
      svg('title', { text: b.title || `${b.label}: ${fmtNum(b.value)} ${unit}` })));
    if (i % every === 0) g.append(svg('text', { class: 'bar-label', x: x0 + bw / 2, y: h - 0.3 * fs, 'text-anchor': 'middle', text: b.label }));
  });
  plot.append(g);
  if (line) {
    let d = '';
    line.forEach((v, i) => {
      if (v == null) return;
      d += `${d && line[i - 1] != null ? 'L' : 'M'}${(m.l + (i + 0.5) * bw).toFixed(1)} ${ly(v).toFixed(1)}`;
    });
    if (d) plot.append(svg('path', { class: 'line', d, stroke: SERIES[1].colour, 'stroke-dasharray': SERIES[1].dash }));
  }
  if (!bars.length) plot.append(svg('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle', class: 'plot-empty', text: 'no data in this period' }));
  container.replaceChildren(head, plot);
}
