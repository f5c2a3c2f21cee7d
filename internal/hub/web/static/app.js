// michi operations dashboard. Modules: app.js (state, API and stream, hazard table, edge
// health), map.js (the SVG map), plot.js (plots), planning.js (the planning view), util.js.
//
// Data: the REST views are loaded at start and refreshed periodically (hazards and edges every
// 10 s, live traffic every 30 s, roads and health history every 5 min); between refreshes the
// hub's Server-Sent Events stream (api/v1/stream) updates them as records arrive. A refresh
// replaces what the stream added, so the page never drifts from the hub for long.

import { $, el, api, apiURL, fmtTime, fmtAge, fmtDur, fmtNum, category, causeLabel, humanise, quadkeyBox, quadkeyXY, CATEGORIES } from './util.js';
import { MapView } from './map.js';
import { linePlot, swatch } from './plot.js';
import { initPlanning } from './planning.js';

const MIN = 60_000;
const HEAT_WINDOW = 15 * MIN; // traffic heat: the last 15 minutes
const HEALTH_WINDOW = 30 * MIN; // health plots: at most the last 30 minutes, loaded at start
// The plots show the smallest of these windows that holds every edge's samples, so a young edge
// (a two-minute demo) fills its plots rather than being a stub at the right edge of 30 minutes.
const WINDOWS = [10_000, 20_000, 30_000, ...[1, 2, 5, 10, 15, 30].map((m) => m * MIN)];
const RECENT = '-6h'; // ended hazards listed in the table
// The edge's part of alert latency, named as internal/alertlatency names it (the browser test
// holds them equal); index.html's note over the edge cards defines it.
const HANDOFF = 'Edge hand-off';

const state = {
  edges: new Map(), // id → {id, connected, last_seen, health}
  health: new Map(), // edge id → [{t, clients, vehicles, ingest, p50, p99}] (p50/p99: the edge's hand-off, ms)
  hazards: new Map(), // id → hazard (see hazardOf)
  traffic: new Map(), // "quadkey|minute" → {qk, t, count, speed}
  roadTiles: new Set(), // quadkeys with traffic in the last 24 h
  selected: null,
  lifecycle: null, // {id, events: [...] | null while loading, error}
  heatBy: 'count',
  activeOnly: false,
};

// ---- hazards ----

const ms = (s) => (s ? Date.parse(s) : NaN);

// hazardOf turns a GeoJSON hazard (edge or authority) into what the table and map use.
function hazardOf(f) {
  const p = f.properties;
  const [lon, lat] = f.geometry.coordinates;
  const auth = p.origin === 'authority';
  const state = p.state || 'active';
  return {
    id: String(f.id), lon, lat, props: p, origin: auth ? 'authority' : 'edge', edge: p.edge_id,
    cause: p.cause, causeName: causeLabel(p.cause, p.cause_name), subName: p.sub_cause && p.sub_cause_name ? humanise(p.sub_cause_name) : '',
    radius: p.radius_m, quality: p.quality, state,
    created: ms(auth ? p.created_at : p.first_at),
    since: ms(auth ? p.start : p.first_at) || ms(p.detection_time),
    updated: ms(p.updated_at),
    ended: auth ? ms(p.terminated_at) || (state === 'ended' ? ms(p.end) : NaN) : state === 'active' ? NaN : ms(p.updated_at),
    expiry: ms(auth ? p.end : p.expiry),
    sources: auth ? (p.issuer ? [p.issuer] : []) : p.sources || [],
  };
}

const isActive = (h, now) => h.state === 'active' && !(h.expiry <= now);

// originOf names the hazard an edge's hazard copies: an authority hazard the hub sent down
// (props.authority is its id) or another edge's hazard relayed to this edge ("relay:EDGE:ACTION").
function originOf(h) {
  const a = h.props.authority;
  if (!a) return null;
  const m = /^relay:(.+):(\d+\/\d+)$/.exec(a);
  return m ? `${m[1]}/${m[2]}` : a;
}

// shown lists the hazards to draw and list: each once, with the edges that carry a copy of it
// (h.carriers); a copy whose original the page does not know stands for itself.
function shown(now) {
  const carriers = new Map();
  const out = [];
  for (const h of state.hazards.values()) {
    const o = originOf(h);
    if (o && state.hazards.has(o)) {
      if (isActive(h, now)) carriers.set(o, [...(carriers.get(o) || []), h.edge]);
      continue;
    }
    out.push(h);
  }
  return out.map((h) => ({ ...h, active: isActive(h, now), carriers: (carriers.get(h.id) || []).sort() }));
}

async function loadHazards() {
  const [active, recent] = await Promise.all([api('hazards', { active: 'true', limit: 1000 }), api('hazards', { since: RECENT, limit: 1000 })]);
  const next = new Map();
  for (const f of [...recent.features, ...active.features]) next.set(String(f.id), hazardOf(f));
  state.hazards = next;
  schedule('map', 'table', 'summary');
}

// onHazardEvent merges one lifecycle event from the stream (a hazard-events Feature).
function onHazardEvent(f) {
  const p = f.properties;
  const id = String(f.id);
  const old = state.hazards.get(id);
  const ended = p.event === 'terminated' || p.event === 'expired';
  const props = {
    ...(old ? old.props : {}), ...p, origin: 'edge',
    state: ended ? (p.event === 'expired' ? 'expired' : 'terminated') : 'active',
    first_at: old ? old.props.first_at : p.at, updated_at: p.at,
  };
  state.hazards.set(id, hazardOf({ ...f, properties: props }));
  if (state.lifecycle && state.lifecycle.id === id && state.lifecycle.events) state.lifecycle.events.push(p);
  schedule('map', 'table', 'summary', 'lifecycle');
  later('hazards', loadHazards, 2000); // the hub's view (first_at, state) after the burst
}

function onAuthority(f) {
  state.hazards.set(String(f.id), hazardOf(f));
  schedule('map', 'table', 'summary', 'lifecycle');
}

// ---- edges and health ----

async function loadEdges() {
  const { edges } = await api('edges');
  const next = new Map();
  for (const e of edges) next.set(e.id, e);
  state.edges = next;
  await Promise.all(edges.filter((e) => !state.health.has(e.id)).map((e) => loadHealth(e.id)));
  schedule('map', 'edges', 'summary');
}

// An interval without alerts reports a hand-off of 0: no sample, not a 0 ms one (a gap in the line).
const handoff = (v) => (v > 0 ? v : NaN);
const sampleOf = (h) => ({ t: ms(h.at), seq: h.seq, clients: h.clients, vehicles: h.vehicles, objects: h.objects, ingest: h.ingest_per_s,
  p50: handoff(h.alert_handoff_p50_ms), p99: handoff(h.alert_handoff_p99_ms) });

async function loadHealth(id) {
  const r = await api(`edges/${encodeURIComponent(id)}/health`, { from: `-${HEALTH_WINDOW / MIN}m`, limit: 10000 });
  state.health.set(id, r.samples.map(sampleOf));
  schedule('edges');
}

function onEdgeEvent(ev) {
  let e = state.edges.get(ev.id);
  if (!e) { later('edges', loadEdges, 200); return; }
  if (ev.event === 'health' && ev.health) {
    e.health = ev.health;
    e.last_seen = new Date().toISOString();
    const list = state.health.get(ev.id) || [];
    const s = sampleOf(ev.health);
    if (!list.length || list[list.length - 1].seq < s.seq) list.push(s);
    state.health.set(ev.id, list);
    schedule('edges', 'summary');
    if (ev.health.coverage) schedule('map');
  } else {
    e.connected = !!ev.connected;
    schedule('edges', 'summary', 'map');
  }
}

// ---- traffic ----

async function loadTraffic() {
  const r = await api('traffic', { from: `-${HEAT_WINDOW / MIN}m`, bucket: '1m', geometry: 'point', limit: 50000 });
  const next = new Map();
  for (const f of r.features) {
    const p = f.properties;
    next.set(`${p.quadkey}|${p.bucket}`, { qk: p.quadkey, t: ms(p.bucket), count: p.count, speed: p.mean_speed_mps });
    state.roadTiles.add(p.quadkey);
  }
  state.traffic = next;
  schedule('map');
}

async function loadRoads() {
  const r = await api('traffic', { from: '-24h', bucket: '1d', geometry: 'point', limit: 100000 });
  for (const f of r.features) state.roadTiles.add(f.properties.quadkey);
  schedule('map');
}

function onTraffic(ev) {
  for (const c of ev.cells) {
    const key = `${c.quadkey}|${c.minute}`;
    const o = state.traffic.get(key);
    if (o) {
      const n = o.count + c.count;
      o.speed = n ? (o.speed * o.count + c.mean_speed_mps * c.count) / n : c.mean_speed_mps;
      o.count = n;
    } else {
      state.traffic.set(key, { qk: c.quadkey, t: ms(c.minute), count: c.count, speed: c.mean_speed_mps });
    }
    state.roadTiles.add(c.quadkey);
  }
  schedule('map');
}

// heatTiles gives each tile's vehicles per minute, averaged over the minutes of the last
// HEAT_WINDOW the hub has traffic for (an edge reports each tile's distinct vehicles per
// closed minute), and their mean speed.
function heatTiles(now) {
  const per = new Map(), minutes = new Set();
  for (const [key, c] of state.traffic) {
    if (c.t < now - HEAT_WINDOW - MIN) { state.traffic.delete(key); continue; }
    minutes.add(c.t);
    const o = per.get(c.qk) || { qk: c.qk, box: quadkeyBox(c.qk), count: 0, sum: 0 };
    o.count += c.count;
    o.sum += c.speed * c.count;
    per.set(c.qk, o);
  }
  const n = Math.max(1, minutes.size);
  return [...per.values()].map((o) => {
    const value = o.count / n;
    return { ...o, value, speed: o.count ? o.sum / o.count : 0, text: `${fmtNum(value, value < 10 ? 1 : 0)}/min`,
      tip: `${fmtNum(value, 1)} vehicles per minute (mean of the last ${n} min)` };
  });
}

// roadSegments joins the centres of neighbouring tiles that carried traffic: a sketch of the
// roads at tile resolution (zoom 16, ≈ 400 m), drawn where no road map is known. A diagonal is
// drawn only where no two straight steps already join the tiles.
function roadSegments(qks) {
  const at = new Map();
  for (const qk of qks) {
    const [x, y] = quadkeyXY(qk);
    const b = quadkeyBox(qk);
    at.set(`${qk.length}/${x}/${y}`, [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
  }
  const segs = [];
  for (const qk of qks) {
    const [x, y] = quadkeyXY(qk), z = qk.length;
    const has = (dx, dy) => at.get(`${z}/${x + dx}/${y + dy}`);
    const c = at.get(`${z}/${x}/${y}`);
    for (const [dx, dy] of [[1, 0], [0, 1], [1, 1], [1, -1]]) {
      const n = has(dx, dy);
      if (!n) continue;
      if (dx && dy && (has(dx, 0) || has(0, dy))) continue;
      segs.push([c[0], c[1], n[0], n[1]]);
    }
  }
  return segs;
}

// ---- rendering ----

const dirty = new Set();
let frame = 0;
function schedule(...what) {
  for (const w of what) dirty.add(w);
  if (!frame) frame = requestAnimationFrame(flush);
}
function flush() {
  frame = 0;
  const todo = [...dirty];
  dirty.clear();
  for (const w of todo) {
    try { renderers[w](); } catch (err) { showError(err); }
  }
}

const timers = {};
function later(name, fn, delay) {
  clearTimeout(timers[name]);
  timers[name] = setTimeout(() => guard(fn)(), delay);
}

const guard = (fn) => async () => {
  try { await fn(); clearError(fn.name); } catch (err) { showError(err, fn.name); }
};

const errors = new Map();
function showError(err, key = 'render') {
  errors.set(key, err.message || String(err));
  $('#problems').textContent = [...errors.values()].join(' · ');
  $('#problems').hidden = false;
}
function clearError(key) {
  if (!errors.delete(key)) return;
  $('#problems').textContent = [...errors.values()].join(' · ');
  $('#problems').hidden = errors.size === 0;
}

let map;

const renderers = {
  map() {
    const now = Date.now();
    const tiles = heatTiles(now);
    const hazards = shown(now);
    const heatMax = Math.max(1, ...tiles.map((t) => t.value));
    map.setData({
      edges: [...state.edges.values()].map((e) => {
        const c = e.health && e.health.coverage;
        return { id: e.id, connected: e.connected, box: c ? [c.min_lon, c.min_lat, c.max_lon, c.max_lat] : null };
      }),
      tiles, hazards, heatMax, heatBy: state.heatBy, roads: roadSegments([...state.roadTiles]),
    });
    $('#heat-min').textContent = state.heatBy === 'speed' ? '0 km/h' : '0';
    $('#heat-max').textContent = state.heatBy === 'speed' ? '130 km/h' : `${fmtNum(heatMax)} vehicles/min`;
  },
  table: renderTable,
  edges: renderEdges,
  summary: renderSummary,
  lifecycle: renderLifecycle,
};

function renderSummary() {
  const now = Date.now();
  const edges = [...state.edges.values()];
  const active = shown(now).filter((h) => h.active).length;
  // clients: every MQTT connection and native session (vehicles, roadside sensors, tools such as
  // the demo's observers); vehicles: the self-reporting vehicles the edges track.
  const sum = (f) => edges.reduce((n, e) => n + (e.connected && e.health ? e.health[f] : 0), 0);
  $('#sum-edges').textContent = `${edges.filter((e) => e.connected).length}/${edges.length}`;
  $('#sum-hazards').textContent = String(active);
  $('#sum-clients').textContent = fmtNum(sum('clients'));
  $('#sum-vehicles').textContent = fmtNum(sum('vehicles'));
}

// The table keeps one row per hazard and updates it in place, so a click is never lost to a
// re-render and the selection stays put.
const rows = new Map();
function renderTable() {
  const now = Date.now();
  const list = shown(now)
    .map((h) => ({ h, active: h.active }))
    .filter((x) => x.active || !state.activeOnly)
    .sort((a, b) => b.active - a.active || (a.active ? b.h.created - a.h.created : b.h.updated - a.h.updated));
  const tbody = $('#hazard-rows');
  const seen = new Set();
  for (const { h, active } of list) {
    seen.add(h.id);
    let tr = rows.get(h.id);
    if (!tr) {
      tr = el('tr', { tabindex: 0, dataset: { id: h.id } });
      rows.set(h.id, tr);
    }
    const stateText = active ? 'active' : h.state === 'active' ? 'expired' : h.state;
    const sig = JSON.stringify([h.props, stateText, h.id === state.selected, h.carriers]);
    if (tr.dataset.sig !== sig) {
      tr.dataset.sig = sig;
      tr.className = (active ? 'active' : 'ended') + (h.id === state.selected ? ' selected' : '');
      const cat = category(h.cause);
      const src = h.sources.length > 2 ? `${h.sources.slice(0, 2).join(', ')} +${h.sources.length - 2}` : h.sources.join(', ');
      const origin = h.origin === 'authority' ? 'authority' : h.edge;
      const carried = h.carriers.length ? `${h.origin === 'authority' ? 'on' : 'relayed to'} ${h.carriers.join(', ')}` : null;
      const detail = [h.quality != null ? `q${h.quality}` : null, src, carried].filter(Boolean).join(' · ');
      tr.replaceChildren(
        el('td', { class: 'cause' }, el('span', { class: `cat cat-${cat.key} ${h.origin}`, 'aria-hidden': 'true' }),
          h.causeName, h.subName ? el('small', { text: h.subName }) : null),
        el('td', {}, el('span', { class: `badge ${stateText}`, text: stateText }),
          active ? el('small', { class: 'age', dataset: { since: h.since }, text: fmtAge(now - h.since) })
            : el('small', { text: h.ended > h.created ? `lasted ${fmtDur(h.ended - h.created)}` : '' })),
        el('td', { class: 'origin', title: [...h.sources, carried].filter(Boolean).join('\n') }, origin, el('small', { text: detail || '—' })),
        el('td', { class: 'time' }, `created ${fmtTime(h.created)}`, el('small', { text: lifeLine(h, active) })));
    }
    tbody.append(tr); // moves it into order
  }
  for (const [id, tr] of rows) if (!seen.has(id)) { tr.remove(); rows.delete(id); }
  $('#hazard-empty').hidden = list.length > 0;
  $('#hazard-count').textContent = `${list.filter((x) => x.active).length} active, ${list.filter((x) => !x.active).length} ended (${RECENT.slice(1)})`;
}

// lifeLine is the second line of a hazard's lifecycle cell: its last update and its end.
function lifeLine(h, active) {
  const parts = [];
  if (h.updated > h.created && h.updated !== h.ended) parts.push(`updated ${fmtTime(h.updated)}`);
  if (active) parts.push(h.expiry ? `expires ${fmtTime(h.expiry)}` : 'no expiry');
  else if (h.state === 'pending') parts.push(`starts ${fmtTime(h.since)}`);
  else parts.push(`${h.state === 'active' ? 'expired' : h.state} ${fmtTime(h.ended || h.expiry)}`);
  return parts.join(' · ');
}

async function select(id) {
  if (!id) return;
  state.selected = id;
  map.focus(id);
  schedule('table', 'lifecycle');
  const row = rows.get(id);
  if (row) row.scrollIntoView({ block: 'nearest' });
  const h = state.hazards.get(id);
  state.lifecycle = { id, events: null };
  if (!h) return;
  if (h.origin === 'authority') {
    const p = h.props;
    const evs = [{ event: 'issued', at: p.created_at, quality: null, sources: [p.issuer].filter(Boolean) }];
    if (p.updated_at && p.updated_at !== p.created_at) evs.push({ event: 'updated', at: p.updated_at, sources: [] });
    if (p.terminated_at) evs.push({ event: 'terminated', at: p.terminated_at, sources: [] });
    state.lifecycle.events = evs;
  } else {
    try {
      const from = new Date((h.created || Date.now()) - MIN).toISOString();
      const r = await api('hazard-events', { edge: h.edge, from, limit: 10000 });
      if (state.lifecycle.id !== id) return;
      state.lifecycle.events = r.features.filter((f) => String(f.id) === id).map((f) => f.properties);
    } catch (err) {
      state.lifecycle.error = err.message;
    }
  }
  schedule('lifecycle');
}

function renderLifecycle() {
  const box = $('#lifecycle');
  const lc = state.lifecycle;
  const h = lc && state.hazards.get(lc.id);
  box.hidden = !h;
  if (!h) return;
  const list = el('ol', { class: 'timeline' });
  if (lc.error) list.append(el('li', { text: lc.error }));
  else if (!lc.events) list.append(el('li', { text: 'loading…' }));
  else for (const e of lc.events) {
    list.append(el('li', { class: `ev ev-${e.event}` }, el('time', { text: fmtTime(e.at) }), el('b', { text: e.event }),
      e.quality != null ? el('span', { text: `quality ${e.quality}` }) : null,
      e.sources && e.sources.length ? el('span', { class: 'sources', text: e.sources.join(', ') }) : null));
  }
  const close = el('button', { type: 'button', class: 'link', text: 'close', 'aria-label': 'Close the hazard details' });
  close.addEventListener('click', () => { state.selected = null; state.lifecycle = null; map.focus(null); schedule('table', 'lifecycle'); });
  box.replaceChildren(
    el('h3', {}, `${h.causeName} `, el('small', { text: h.id }), close),
    el('p', { class: 'muted', text: `${h.origin === 'authority' ? 'authority hazard' : 'edge ' + h.edge} · ${h.lat.toFixed(5)}, ${h.lon.toFixed(5)} · radius ${fmtNum(h.radius)} m` }),
    list);
}

// healthWindow is the plots' span: the smallest of WINDOWS that holds the oldest sample shown.
function healthWindow(now) {
  let first = now;
  for (const list of state.health.values()) if (list.length) first = Math.min(first, list[0].t);
  return WINDOWS.find((w) => w >= now - first) || WINDOWS[WINDOWS.length - 1];
}

// Edge cards: a header with the latest numbers and three plots over healthWindow.
const cards = new Map();
function renderEdges() {
  const box = $('#edge-cards');
  const now = Date.now();
  const ids = [...state.edges.keys()].sort();
  for (const id of ids) {
    const e = state.edges.get(id);
    let c = cards.get(id);
    if (!c) {
      c = {
        root: el('article', { class: 'edge-card', dataset: { edge: id } }),
        head: el('header'), kv: el('dl', { class: 'kv' }),
        plots: [0, 1, 2].map(() => el('div', { class: 'plot-box' })),
      };
      const csv = el('a', { href: apiURL(`edges/${encodeURIComponent(id)}/health`, { from: '-24h', format: 'csv' }), download: `michi-health-${id}.csv`, text: 'CSV' });
      c.root.append(c.head, c.kv, el('div', { class: 'plots' }, ...c.plots), el('p', { class: 'card-foot' }, 'Health of the last 24 h: ', csv));
      cards.set(id, c);
    }
    box.append(c.root);
    const h = e.health || {};
    c.head.replaceChildren(el('h3', { text: id }), el('span', { class: 'badge ' + (e.connected ? 'connected' : 'offline'), text: e.connected ? 'connected' : 'offline' }),
      e.last_seen ? el('span', { class: 'muted seen', dataset: { since: ms(e.last_seen), prefix: 'seen ', suffix: ' ago' }, text: `seen ${fmtAge(now - ms(e.last_seen))} ago` })
        : el('span', { class: 'muted seen', text: 'never seen' }));
    const kv = [['clients', fmtNum(h.clients)], ['vehicles', fmtNum(h.vehicles)], ['objects', fmtNum(h.objects)],
      ['hazards', fmtNum(h.active_hazards)], ['ingest/s', fmtNum(h.ingest_per_s)], ['queue', fmtNum(h.queue_depth)]];
    c.kv.replaceChildren(...kv.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
    state.health.set(id, (state.health.get(id) || []).filter((s) => s.t >= now - HEALTH_WINDOW));
  }
  const span = healthWindow(now), t0 = now - span;
  $('#edges-window').textContent = span < MIN ? `last ${span / 1000} seconds` : `last ${span / MIN} minute${span === MIN ? '' : 's'}`;
  $('#edges-window').dataset.windowMs = String(span);
  for (const id of ids) {
    const c = cards.get(id), samples = state.health.get(id);
    const pts = (f) => samples.filter((s) => s.t >= t0).map((s) => [s.t, s[f]]);
    linePlot(c.plots[0], { label: 'Clients and vehicles', t0, t1: now, series: [{ label: 'clients', points: pts('clients') }, { label: 'vehicles', points: pts('vehicles') }] });
    linePlot(c.plots[1], { label: 'Ingest', unit: 'msg/s', t0, t1: now, series: [{ label: 'rate', points: pts('ingest') }] });
    linePlot(c.plots[2], { label: HANDOFF, unit: 'ms', digits: 1, t0, t1: now, empty: 'no alert in this window', series: [{ label: 'p50', points: pts('p50') }, { label: 'p99', points: pts('p99') }] });
  }
  for (const [id, c] of cards) if (!state.edges.has(id)) { c.root.remove(); cards.delete(id); }
  $('#edge-empty').hidden = ids.length > 0;
}

// ---- the stream ----

let source = null;
function connectStream() {
  if (source) source.close();
  source = new EventSource('api/v1/stream');
  const status = (cls, text) => { $('#status').className = 'status ' + cls; $('#status-text').textContent = text; };
  status('connecting', 'connecting…');
  let opened = false;
  source.onopen = () => {
    status('live', 'live');
    if (opened) refreshAll(); // catch up on what happened while the stream was down
    opened = true;
  };
  source.onerror = () => status('down', source.readyState === EventSource.CLOSED ? 'stream closed' : 'reconnecting…');
  const on = (type, fn) => source.addEventListener(type, (ev) => {
    try { fn(JSON.parse(ev.data)); } catch (err) { showError(err, 'stream'); }
  });
  on('hazard', onHazardEvent);
  on('authority', onAuthority);
  on('traffic', onTraffic);
  on('edge', onEdgeEvent);
  // the hub dropped us for reading too slowly: start over
  source.addEventListener('dropped', () => { source.close(); setTimeout(connectStream, 1000); });
}

const refreshAll = () => Promise.all([guard(loadEdges)(), guard(loadHazards)(), guard(loadTraffic)()]);

// ---- page ----

function setLarge(on) {
  document.documentElement.classList.toggle('large', on);
  $('#large').setAttribute('aria-pressed', String(on));
  try { localStorage.setItem('michi.large', on ? '1' : ''); } catch { /* private mode */ }
}

let planning = null;
function showView() {
  const planningView = location.hash === '#planning';
  $('#live').hidden = planningView;
  $('#planning').hidden = !planningView;
  for (const a of document.querySelectorAll('nav a')) a.setAttribute('aria-current', String(a.getAttribute('href') === (planningView ? '#planning' : '#live')));
  if (planningView && !planning) planning = initPlanning($('#planning'), { edges: () => [...state.edges.values()], roads: () => roadSegments([...state.roadTiles]) });
  if (!planningView) map.render();
}

function legend() {
  const items = CATEGORIES.map((c) => el('li', {}, el('span', { class: `cat cat-${c.key} edge`, 'aria-hidden': 'true' }), c.label));
  $('#legend-hazards').replaceChildren(...items,
    el('li', {}, el('span', { class: 'cat cat-works authority', 'aria-hidden': 'true' }), 'diamond: authority'));
  $('#legend-lines').replaceChildren(el('li', {}, swatch(0), ' p50 / clients'), el('li', {}, swatch(1), ' p99 / vehicles'));
}

function start() {
  const params = new URLSearchParams(location.search);
  let large = params.has('wall') || params.has('large');
  if (!large) try { large = localStorage.getItem('michi.large') === '1'; } catch { /* private mode */ }
  setLarge(large);
  $('#large').addEventListener('click', () => setLarge(!document.documentElement.classList.contains('large')));

  map = new MapView($('#map'), { onSelect: select, emptyText: 'Waiting for edges to report…' });
  for (const input of document.querySelectorAll('[data-layer]')) {
    input.addEventListener('change', () => map.setLayer(input.dataset.layer, input.checked));
  }
  $('#heat-by').addEventListener('change', (ev) => { state.heatBy = ev.target.value; schedule('map'); });
  $('#active-only').addEventListener('change', (ev) => { state.activeOnly = ev.target.checked; schedule('table'); });
  const tbody = $('#hazard-rows');
  tbody.addEventListener('click', (ev) => { const tr = ev.target.closest('tr[data-id]'); if (tr) select(tr.dataset.id); });
  tbody.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' && ev.key !== ' ') return;
    const tr = ev.target.closest('tr[data-id]');
    if (tr) { ev.preventDefault(); select(tr.dataset.id); }
  });
  legend();
  window.addEventListener('hashchange', showView);
  showView();

  refreshAll().then(() => guard(loadRoads)());
  connectStream();
  setInterval(() => { guard(loadHazards)(); guard(loadEdges)(); }, 10_000);
  setInterval(guard(loadTraffic), 30_000);
  setInterval(() => { guard(loadRoads)(); for (const id of state.edges.keys()) guard(() => loadHealth(id))(); }, 5 * MIN);
  // every second: the clock, ages, expiries; the plots scroll every 5 s
  let n = 0;
  setInterval(() => {
    const now = Date.now();
    $('#clock').textContent = fmtTime(now);
    map.updateAges(now);
    for (const td of document.querySelectorAll('[data-since]')) {
      if (!td.closest('svg')) td.textContent = (td.dataset.prefix || '') + fmtAge(now - Number(td.dataset.since)) + (td.dataset.suffix || '');
    }
    if (++n % 5 === 0) schedule('edges', 'table', 'summary');
  }, 1000);
  new ResizeObserver(() => schedule('edges')).observe($('#edge-cards'));
  $('#clock').textContent = fmtTime(Date.now());
}

start();
