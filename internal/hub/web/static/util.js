// Small helpers shared by the dashboard's modules: DOM building (text only, never HTML from
// data), formatting, the API client, colours and tile geometry.

export const $ = (sel, root = document) => root.querySelector(sel);

// el builds an HTML element: el('td', {class: 'x', title: 't'}, 'text', child…).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  for (const c of children) if (c != null && c !== false) e.append(c);
  return e;
}

const SVGNS = 'http://www.w3.org/2000/svg';

// svg builds an SVG element the same way; attribute values are numbers or strings.
export function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  setAttrs(e, attrs);
  for (const c of children) if (c != null && c !== false) e.append(c);
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

// title is an SVG tooltip child.
export const title = (text) => svg('title', { text });

// ---- the API ----

// api fetches a path relative to the page (so a hub mounted under a prefix works) as JSON;
// a non-2xx answer throws with the API's error text.
export async function api(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  const url = 'api/v1/' + path + (q.size ? '?' + q : '');
  const resp = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!resp.ok) {
    let msg = resp.status + ' ' + resp.statusText;
    try { msg = (await resp.json()).error || msg; } catch { /* not JSON */ }
    throw new Error(path + ': ' + msg);
  }
  return resp.json();
}

// apiURL is a download link for the same endpoint.
export function apiURL(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  return 'api/v1/' + path + (q.size ? '?' + q : '');
}

// ---- formatting ----

const pad = (n) => String(n).padStart(2, '0');

// fmtTime is a local wall-clock time, with the date when it is not today.
export function fmtTime(t) {
  if (t == null) return '—';
  const d = new Date(t);
  if (isNaN(d)) return '—';
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return hms;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

export const fmtHM = (t) => { const d = new Date(t); return `${pad(d.getHours())}:${pad(d.getMinutes())}`; };

// fmtAge: "42 s", "3 min 05 s", "12 min", "2 h 07 min", "3 d 4 h" (seconds only while they matter).
export function fmtAge(ms) {
  if (!(ms >= 0)) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m} min ${pad(s % 60)} s`;
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${pad(m % 60)} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

// fmtDur is a duration in its largest unit: "40 s", "6 min", "2.5 h".
export function fmtDur(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${fmtNum(s / 3600, s < 36000 ? 1 : 0)} h`;
}

export function fmtNum(v, digits = 0) {
  if (v == null || !isFinite(v)) return '—';
  return Number(v).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

// fmtCompact is an axis label: 950, 1.5k, 200k, 1.2M.
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
export const fmtCompact = (v) => (v == null || !isFinite(v) ? '—' : compact.format(v));

// localInput formats a Date for <input type="datetime-local">.
export function localInput(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// ---- colours (Okabe–Ito for categories, viridis for magnitudes: both colour-blind safe) ----

export const OI = {
  orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442',
  blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7', grey: '#BBBBBB',
};

// Hazard categories: a colour and, in the legend, a name. Edge hazards are triangles and
// authority hazards diamonds, so the shape tells the origin without colour.
export const CATEGORIES = [
  { key: 'danger', label: 'danger on the road', colour: OI.vermillion, causes: [2, 10, 11, 12, 14, 15, 92, 95, 97, 98, 99] },
  { key: 'queue', label: 'stopped or slow traffic', colour: OI.orange, causes: [1, 26, 27, 91, 93, 94] },
  { key: 'surface', label: 'road surface and weather', colour: OI.sky, causes: [6, 7, 9, 17, 18, 19, 96] },
  { key: 'works', label: 'road works and closures', colour: OI.yellow, causes: [3, 5] },
  { key: 'other', label: 'other', colour: OI.purple, causes: [] },
];

export function category(cause) {
  return CATEGORIES.find((c) => c.causes.includes(cause)) || CATEGORIES[CATEGORIES.length - 1];
}

// viridis(t), t in [0, 1], from its published control points (starting above the darkest
// purple, which would vanish on the dark map).
const VIRIDIS = ['#482475', '#414487', '#355f8d', '#2a788e', '#21918c', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'];
export function viridis(t) {
  t = Math.min(1, Math.max(0, t || 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const a = hex(VIRIDIS[i]), b = hex(VIRIDIS[i + 1]), f = t - i;
  return `rgb(${a.map((x, k) => Math.round(x + (b[k] - x) * f)).join(',')})`;
}
const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

// ---- tiles (Bing quadkeys, as the API names traffic tiles) ----

// quadkeyBox returns [minLon, minLat, maxLon, maxLat] of a quadkey's tile.
export function quadkeyBox(qk) {
  let x = 0, y = 0;
  const z = qk.length;
  for (let i = 0; i < z; i++) {
    const d = qk.charCodeAt(i) - 48, bit = 1 << (z - 1 - i);
    if (d & 1) x |= bit;
    if (d & 2) y |= bit;
  }
  const n = 2 ** z;
  const lon = (xx) => (xx / n) * 360 - 180;
  const lat = (yy) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * yy) / n))) * 180) / Math.PI;
  return [lon(x), lat(y + 1), lon(x + 1), lat(y)];
}

// quadkeyXY returns the tile column and row of a quadkey.
export function quadkeyXY(qk) {
  let x = 0, y = 0;
  for (let i = 0; i < qk.length; i++) {
    const d = qk.charCodeAt(i) - 48, bit = 1 << (qk.length - 1 - i);
    if (d & 1) x |= bit;
    if (d & 2) y |= bit;
  }
  return [x, y];
}

// tileKey is the zoom-z tile (as "x/y") containing a point.
export function tileKey(lon, lat, z) {
  const n = 2 ** z, r = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return `${x}/${y}`;
}

// niceStep is 1, 2 or 5 × 10^k, about span/n.
export function niceStep(span, n) {
  const raw = span / Math.max(1, n), p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

// CAUSES are the ETSI DENM cause codes (EN 302 637-3) offered as a filter; the API names any
// other code it meets.
export const CAUSES = {
  1: 'traffic condition', 2: 'accident', 3: 'roadworks', 5: 'impassability', 6: 'adhesion', 7: 'aquaplaning',
  9: 'surface condition', 10: 'obstacle', 11: 'animal', 12: 'human presence on the road', 14: 'wrong-way driving',
  15: 'rescue and recovery', 17: 'extreme weather', 18: 'visibility', 19: 'precipitation', 26: 'slow vehicle',
  27: 'dangerous end of queue', 91: 'vehicle breakdown', 92: 'post crash', 93: 'human problem',
  94: 'stationary vehicle', 95: 'emergency vehicle approaching', 96: 'dangerous curve', 97: 'collision risk',
  98: 'signal violation', 99: 'dangerous situation',
};

// humanise turns an ETSI name ("hazardousLocation-ObstacleOnTheRoad") into words.
export const humanise = (s) => String(s || '').replace(/.*-/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

// causeLabel is a cause for people: "Stationary vehicle"; the ETSI name where it is not listed.
export function causeLabel(cause, etsiName) {
  const s = CAUSES[cause] || humanise(etsiName) || `cause ${cause}`;
  return s[0].toUpperCase() + s.slice(1);
}
