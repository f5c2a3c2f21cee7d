// The planning view: over a chosen period, where hazards happened (hotspots: distinct hazards
// per zoom-16 tile, on a map with the period's traffic) and how much traffic there was per
// hour, with the period's data as CSV and GeoJSON downloads from the API.

import { $, el, api, apiURL, fmtNum, fmtCompact, localInput, category, causeLabel, quadkeyBox, tileKey, CAUSES } from './util.js';
import { MapView } from './map.js';
import { barChart } from './plot.js';

const HOUR = 3_600_000;

export function initPlanning(root, { edges, roads }) {
  const form = $('#plan-form', root);
  const from = $('#plan-from', root), to = $('#plan-to', root), cause = $('#plan-cause', root);
  const status = $('#plan-status', root);
  cause.append(...Object.keys(CAUSES).map((code) => el('option', { value: code, text: `${causeLabel(code)} (${code})` })));
  const setPeriod = (hours) => {
    const now = new Date();
    to.value = localInput(new Date(Math.ceil(now / HOUR) * HOUR));
    from.value = localInput(new Date(Math.ceil(now / HOUR) * HOUR - hours * HOUR));
  };
  setPeriod(24);
  for (const b of root.querySelectorAll('[data-hours]')) {
    b.addEventListener('click', () => { setPeriod(Number(b.dataset.hours)); form.requestSubmit(); });
  }
  const map = new MapView($('#plan-map', root), { emptyText: 'No hazards or traffic in this period' });
  let last = null;
  const draw = () => {
    if (!last) return;
    barChart($('#plan-hourly', root), last.hourly);
    barChart($('#plan-profile', root), last.profile);
  };
  new ResizeObserver(draw).observe($('#plan-hourly', root));

  async function run() {
    const f = new Date(from.value), t = new Date(to.value);
    if (isNaN(f) || isNaN(t) || f >= t) { status.textContent = 'Choose a period whose end is after its start.'; return; }
    const period = { from: f.toISOString(), to: t.toISOString() };
    status.textContent = 'loading…';
    links(root, period, cause.value);
    try {
      const long = t - f > 7 * 24 * HOUR;
      const [events, traffic] = await Promise.all([
        api('hazard-events', { ...period, cause: cause.value, limit: 100000 }),
        api('traffic', { ...period, bucket: '1h', geometry: 'point', limit: 100000 }),
      ]);
      const spots = hotspots(events.features);
      const tiles = tileTotals(traffic.features);
      map.setData({ edges: edgeBoxes(edges()), tiles, roads: roads(), hotspots: spots, heatMax: Math.max(1, ...tiles.map((x) => x.value)) });
      map.fit(true);
      hotspotList($('#hotspots', root), spots);
      last = byHour(traffic.features, f, t, long);
      draw();
      const cut = events.truncated || traffic.truncated ? ' (limit reached: shorten the period for everything)' : '';
      status.textContent = `${fmtNum(spots.reduce((n, s) => n + s.count, 0))} hazards in ${spots.length} places, ` +
        `${fmtNum(tiles.reduce((n, x) => n + x.count, 0))} vehicle-minutes on ${tiles.length} tiles${cut}`;
    } catch (err) {
      status.textContent = err.message;
    }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  run();
  return { run };
}

const edgeBoxes = (list) => list.map((e) => {
  const c = e.health && e.health.coverage;
  return { id: e.id, connected: e.connected, box: c ? [c.min_lon, c.min_lat, c.max_lon, c.max_lat] : null };
});

// identity is the hazard an event belongs to: its own id, or for an edge's copy of an authority
// hazard or of a neighbour's relayed hazard, the original's, so that copies count once.
function identity(f) {
  const a = f.properties.authority;
  if (!a) return f.id;
  const m = /^relay:(.+):(\d+\/\d+)$/.exec(a);
  return m ? `${m[1]}/${m[2]}` : a;
}

// hotspots counts distinct hazards per zoom-16 tile, at their first reported position.
function hotspots(features) {
  const first = new Map();
  for (const f of features) if (!first.has(identity(f))) first.set(identity(f), f);
  const per = new Map();
  for (const f of first.values()) {
    const [lon, lat] = f.geometry.coordinates;
    const key = tileKey(lon, lat, 16);
    const o = per.get(key) || { key, lon: 0, lat: 0, count: 0, causes: new Map() };
    o.lon += lon; o.lat += lat; o.count++;
    const name = causeLabel(f.properties.cause, f.properties.cause_name);
    const c = o.causes.get(f.properties.cause) || { name, n: 0 };
    c.n++;
    o.causes.set(f.properties.cause, c);
    per.set(key, o);
  }
  return [...per.values()].map((o) => {
    const causes = [...o.causes.entries()].sort((a, b) => b[1].n - a[1].n);
    return {
      key: o.key, lon: o.lon / o.count, lat: o.lat / o.count, count: o.count, cause: causes[0][0],
      label: causes.map(([, c]) => `${c.n}× ${c.name}`).join(', '),
    };
  }).sort((a, b) => b.count - a.count);
}

function hotspotList(ol, spots) {
  ol.replaceChildren(...spots.slice(0, 10).map((s) => el('li', {},
    el('span', { class: `cat cat-${category(s.cause).key} edge`, 'aria-hidden': 'true' }),
    el('b', { text: `${s.count} ${s.count === 1 ? 'hazard' : 'hazards'}` }), `: ${s.label} `, el('small', { class: 'muted', text: `${s.lat.toFixed(4)}, ${s.lon.toFixed(4)}` }))));
  if (!spots.length) ol.append(el('li', { class: 'muted', text: 'No hazards in this period.' }));
}

function tileTotals(features) {
  const per = new Map();
  for (const f of features) {
    const p = f.properties;
    const o = per.get(p.quadkey) || { qk: p.quadkey, box: quadkeyBox(p.quadkey), count: 0, sum: 0 };
    o.count += p.count;
    o.sum += p.count * p.mean_speed_mps;
    per.set(p.quadkey, o);
  }
  return [...per.values()].map((o) => ({ ...o, value: o.count, speed: o.count ? o.sum / o.count : 0,
    text: fmtCompact(o.count), tip: `${fmtNum(o.count)} vehicle-minutes in the period` }));
}

// byHour returns two charts: the period hour by hour (day by day when longer than a week) and
// the average profile over the hours of the day (local time).
function byHour(features, from, to, long) {
  const step = long ? 24 * HOUR : HOUR;
  const start = long ? new Date(from.getFullYear(), from.getMonth(), from.getDate()).getTime() : Math.floor(from / HOUR) * HOUR;
  const n = Math.max(1, Math.ceil((to - start) / step));
  const count = new Array(n).fill(0), speed = new Array(n).fill(0);
  const hod = new Array(24).fill(0), hodSpeed = new Array(24).fill(0), hodDays = new Array(24).fill(0);
  for (const f of features) {
    const p = f.properties, t = Date.parse(p.bucket);
    const i = Math.floor((t - start) / step);
    if (i >= 0 && i < n) { count[i] += p.count; speed[i] += p.count * p.mean_speed_mps; }
    const h = new Date(t).getHours();
    hod[h] += p.count; hodSpeed[h] += p.count * p.mean_speed_mps;
  }
  for (let t = Math.floor(from / HOUR) * HOUR; t < to; t += HOUR) hodDays[new Date(t).getHours()]++;
  const label = (i) => {
    const d = new Date(start + i * step);
    return long ? `${d.getMonth() + 1}/${d.getDate()}` : `${String(d.getHours()).padStart(2, '0')}h`;
  };
  const kmh = (s, c) => (c ? (s / c) * 3.6 : null);
  return {
    hourly: {
      label: long ? 'Vehicle-minutes per day' : 'Vehicle-minutes per hour', unit: 'vehicle-minutes', lineLabel: 'mean speed, km/h',
      bars: count.map((v, i) => ({ label: label(i), value: v, title: `${new Date(start + i * step).toLocaleString()}: ${fmtNum(v)} vehicle-minutes, ${fmtNum(kmh(speed[i], v))} km/h` })),
      line: count.map((c, i) => kmh(speed[i], c)), every: Math.max(1, Math.ceil(n / 12)),
    },
    profile: {
      label: 'Average by hour of day', unit: 'vehicle-minutes per hour', lineLabel: 'mean speed, km/h',
      bars: hod.map((v, h) => ({ label: `${String(h).padStart(2, '0')}`, value: hodDays[h] ? v / hodDays[h] : 0, title: `${h}:00–${h + 1}:00: ${fmtNum(hodDays[h] ? v / hodDays[h] : 0)} vehicle-minutes per hour on average` })),
      line: hod.map((c, h) => kmh(hodSpeed[h], c)), every: 2, heightEm: 9,
    },
  };
}

function links(root, period, cause) {
  const stamp = period.from.slice(0, 16).replace(/[-:]/g, '') + '-' + period.to.slice(0, 16).replace(/[-:]/g, '');
  const set = (id, path, params, name) => {
    const a = $(id, root);
    a.href = apiURL(path, params);
    a.setAttribute('download', name);
  };
  set('#dl-events-csv', 'hazard-events', { ...period, cause, limit: 100000, format: 'csv' }, `michi-hazard-events-${stamp}.csv`);
  set('#dl-events-geojson', 'hazard-events', { ...period, cause, limit: 100000 }, `michi-hazard-events-${stamp}.geojson`);
  set('#dl-traffic-csv', 'traffic', { ...period, bucket: '1h', limit: 100000, format: 'csv' }, `michi-traffic-${stamp}.csv`);
  set('#dl-traffic-geojson', 'traffic', { ...period, bucket: '1h', limit: 100000 }, `michi-traffic-${stamp}.geojson`);
  set('#dl-hazards-csv', 'hazards', { format: 'csv' }, 'michi-hazards-now.csv');
  set('#dl-hazards-geojson', 'hazards', {}, 'michi-hazards-now.geojson');
}
