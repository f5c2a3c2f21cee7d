// MapView draws the dashboard's map as SVG without a base map: a Web Mercator projection in
// metres, centred and scaled to the data (edge coverage, hazards, traffic tiles), with a
// graticule and a scale bar for orientation. It re-draws in screen coordinates on every change
// of data or view, which is cheap for the hundreds of tiles and hazards an operator watches and
// keeps strokes, markers and text the same size at every zoom.
//
// Layers, bottom to top: graticule, traffic heat (zoom-16 tiles), roads (segments between
// neighbouring tiles that carried traffic), edge coverage boxes, hotspot circles (planning),
// hazard relevance circles, hazard markers with cause and age. Pan by dragging, zoom with the
// wheel, a double click or the buttons; "fit" returns to the data.

import { svg, el, title, category, viridis, fmtAge, fmtNum, niceStep } from './util.js';

const R = 6378137; // Web Mercator sphere, metres
const mercX = (lon) => (R * lon * Math.PI) / 180;
const mercY = (lat) => R * Math.log(Math.tan(Math.PI / 4 + (Math.min(85, Math.max(-85, lat)) * Math.PI) / 360));
const lonOf = (x) => ((x / R) * 180) / Math.PI;
const latOf = (y) => ((2 * Math.atan(Math.exp(y / R)) - Math.PI / 2) * 180) / Math.PI;
const reduceMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

export class MapView {
  // root is an empty element sized by CSS; onSelect(id) is called when a hazard is clicked.
  constructor(root, { onSelect = () => {}, emptyText = 'Waiting for data…' } = {}) {
    this.root = root;
    this.onSelect = onSelect;
    this.emptyText = emptyText;
    this.data = { edges: [], tiles: [], roads: [], hazards: [], hotspots: [], heatBy: 'count', heatMax: 1 };
    this.show = { heat: true, roads: true, coverage: true, hazards: true };
    this.view = null; // {cx, cy, mpp}: centre in Mercator metres, metres per pixel
    this.userMoved = false;
    this.focusId = null;
    this.svg = svg('svg', { class: 'map-svg', role: 'img', 'aria-label': 'Map of edges, hazards and traffic' });
    const zoom = (f) => () => { this.userMoved = true; this.zoomBy(f); };
    this.controls = el('div', { class: 'map-controls' },
      button('+', 'Zoom in', zoom(1 / 1.6)),
      button('−', 'Zoom out', zoom(1.6)),
      button('fit', 'Fit the map to the data', () => { this.userMoved = false; this.fit(true); }));
    root.append(this.svg, this.controls);
    this.#listen();
    new ResizeObserver(() => this.render()).observe(root);
  }

  // setData replaces some of the data and re-draws; the view follows the data until the user
  // moves it. edges: [{id, connected, box}]; tiles: [{qk, box, value, speed (m/s), text, tip}]
  // coloured by value/heatMax or by speed (heatBy); roads: [[lon, lat, lon, lat]];
  // hazards: [{id, lon, lat, radius, cause, causeName, origin, edge, since, active}];
  // hotspots: [{key, lon, lat, count, cause, label}]. Boxes are [minLon, minLat, maxLon, maxLat].
  setData(part) {
    Object.assign(this.data, part);
    if (!this.userMoved) this.fit(false);
    this.render();
  }

  setLayer(name, on) { this.show[name] = on; this.render(); }

  // bounds of everything drawn, [minX, minY, maxX, maxY] in Mercator metres, or null.
  #bounds() {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    const add = (lon, lat) => {
      const x = mercX(lon), y = mercY(lat);
      b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
    };
    const d = this.data;
    for (const e of d.edges) if (e.box) { add(e.box[0], e.box[1]); add(e.box[2], e.box[3]); }
    for (const t of d.tiles) { add(t.box[0], t.box[1]); add(t.box[2], t.box[3]); }
    for (const h of d.hazards) add(h.lon, h.lat);
    for (const h of d.hotspots) add(h.lon, h.lat);
    return b[0] <= b[2] ? b : null;
  }

  // fit frames the data; force also when the current view already shows all of it.
  fit(force) {
    const b = this.#bounds();
    const { w, h } = this.#size();
    if (!b || !w || !h) return;
    const pad = 0.08;
    const mpp = Math.max((b[2] - b[0]) / (w * (1 - 2 * pad)), (b[3] - b[1]) / (h * (1 - 2 * pad)), 0.5);
    const next = { cx: (b[0] + b[2]) / 2, cy: (b[1] + b[3]) / 2, mpp };
    const v = this.view;
    if (!force && v && Math.abs(v.mpp / next.mpp - 1) < 0.05 && Math.hypot(v.cx - next.cx, v.cy - next.cy) < 20 * v.mpp) return;
    this.view = next;
    this.render();
  }

  // focus selects a hazard: it is highlighted and the map pans and zooms to its relevance area.
  focus(id) {
    this.focusId = id;
    this.root.dataset.focus = id || '';
    const hz = this.data.hazards.find((x) => x.id === id);
    if (!hz) { this.render(); return; }
    const { w, h } = this.#size();
    const ground = Math.max(4 * (hz.radius || 0), 800); // metres across the focused area
    const mpp = ground / Math.cos((hz.lat * Math.PI) / 180) / (0.8 * Math.max(1, Math.min(w, h)));
    this.userMoved = true;
    this.#animate({ cx: mercX(hz.lon), cy: mercY(hz.lat), mpp });
  }

  zoomBy(f, sx, sy) {
    if (!this.view) return;
    const { w, h } = this.#size();
    sx ??= w / 2; sy ??= h / 2;
    const v = this.view;
    const mpp = Math.min(Math.max(v.mpp * f, 0.2), 80000);
    // keep the point under (sx, sy) where it is
    const px = v.cx + (sx - w / 2) * v.mpp, py = v.cy - (sy - h / 2) * v.mpp;
    this.view = { cx: px - (sx - w / 2) * mpp, cy: py + (sy - h / 2) * mpp, mpp };
    this.render();
  }

  #animate(to) {
    cancelAnimationFrame(this.anim);
    const from = this.view;
    if (!from || reduceMotion()) { this.view = to; this.render(); return; }
    const t0 = performance.now(), ms = 450;
    const step = (now) => {
      const k = Math.min(1, (now - t0) / ms), e = k < 0.5 ? 2 * k * k : 1 - (-2 * k + 2) ** 2 / 2;
      this.view = {
        cx: from.cx + (to.cx - from.cx) * e, cy: from.cy + (to.cy - from.cy) * e,
        mpp: Math.exp(Math.log(from.mpp) + (Math.log(to.mpp) - Math.log(from.mpp)) * e),
      };
      this.render();
      if (k < 1) this.anim = requestAnimationFrame(step);
    };
    this.anim = requestAnimationFrame(step);
  }

  #size() { return { w: this.root.clientWidth, h: this.root.clientHeight }; }

  #listen() {
    let drag = null;
    this.svg.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0 || !this.view) return;
      drag = { x: ev.clientX, y: ev.clientY, cx: this.view.cx, cy: this.view.cy, moved: false, target: ev.target, id: ev.pointerId };
    });
    this.svg.addEventListener('pointermove', (ev) => {
      if (!drag || ev.pointerId !== drag.id) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 5) return;
      if (!drag.moved) { drag.moved = true; this.svg.setPointerCapture(ev.pointerId); this.svg.classList.add('dragging'); }
      this.userMoved = true;
      this.view = { ...this.view, cx: drag.cx - dx * this.view.mpp, cy: drag.cy + dy * this.view.mpp };
      this.render();
    });
    const end = (ev) => {
      if (!drag || ev.pointerId !== drag.id) return;
      const d = drag;
      drag = null;
      this.svg.classList.remove('dragging');
      if (ev.type === 'pointerup' && !d.moved) {
        const hz = d.target.closest && d.target.closest('[data-id]');
        if (hz) this.onSelect(hz.dataset.id);
      }
    };
    this.svg.addEventListener('pointerup', end);
    this.svg.addEventListener('pointercancel', end);
    this.svg.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = this.svg.getBoundingClientRect();
      this.userMoved = true;
      this.zoomBy(Math.exp(Math.max(-1, Math.min(1, ev.deltaY * 0.002))), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    this.svg.addEventListener('keydown', (ev) => {
      const hz = ev.target.closest && ev.target.closest('[data-id]');
      if (hz && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); this.onSelect(hz.dataset.id); }
    });
    this.svg.addEventListener('dblclick', (ev) => {
      const r = this.svg.getBoundingClientRect();
      this.userMoved = true;
      this.zoomBy(1 / 2, ev.clientX - r.left, ev.clientY - r.top);
    });
  }

  // render draws everything now; calls within one frame are coalesced by the browser's layout.
  render() {
    const { w, h } = this.#size();
    const s = this.svg;
    s.setAttribute('viewBox', `0 0 ${w} ${h}`);
    s.setAttribute('width', w);
    s.setAttribute('height', h);
    s.replaceChildren();
    if (!this.view || !w || !h) {
      s.append(svg('text', { x: w / 2, y: h / 2, class: 'map-empty', 'text-anchor': 'middle', text: this.emptyText }));
      return;
    }
    const v = this.view;
    const px = (lon) => (mercX(lon) - v.cx) / v.mpp + w / 2;
    const py = (lat) => (v.cy - mercY(lat)) / v.mpp + h / 2;
    const fs = parseFloat(getComputedStyle(this.root).fontSize) || 14;
    const inView = (x0, y0, x1, y1, m = 50) => x1 >= -m && x0 <= w + m && y1 >= -m && y0 <= h + m;
    const d = this.data;

    this.#graticule(s, w, h, px, py, fs);

    if (this.show.heat && d.tiles.length) {
      const g = svg('g', { class: 'heat' });
      for (const t of d.tiles) {
        const x0 = px(t.box[0]), x1 = px(t.box[2]), y0 = py(t.box[3]), y1 = py(t.box[1]);
        if (!inView(x0, y0, x1, y1)) continue;
        const val = d.heatBy === 'speed' ? t.speed * 3.6 / 130 : t.value / (d.heatMax || 1);
        const tile = svg('g', { class: 'tile', dataset: { qk: t.qk } },
          svg('rect', { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0), fill: viridis(val) }),
          title(`tile ${t.qk}\n${t.tip}\nmean speed ${fmtNum(t.speed * 3.6)} km/h`));
        if (x1 - x0 > 4.2 * fs && y1 - y0 > 2.6 * fs) {
          const dark = val > 0.55;
          tile.append(svg('text', { x: (x0 + x1) / 2, y: (y0 + y1) / 2 - 0.15 * fs, class: 'tile-label' + (dark ? ' on-light' : ''), 'text-anchor': 'middle', text: t.text }),
            svg('text', { x: (x0 + x1) / 2, y: (y0 + y1) / 2 + 0.95 * fs, class: 'tile-label small' + (dark ? ' on-light' : ''), 'text-anchor': 'middle', text: fmtNum(t.speed * 3.6) + ' km/h' }));
        }
        g.append(tile);
      }
      s.append(g);
    }

    if (this.show.roads && d.roads.length) {
      let path = '';
      for (const [a, b, c, e] of d.roads) {
        const x0 = px(a), y0 = py(b), x1 = px(c), y1 = py(e);
        if (!inView(Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1))) continue;
        path += `M${x0.toFixed(1)} ${y0.toFixed(1)}L${x1.toFixed(1)} ${y1.toFixed(1)}`;
      }
      if (path) s.append(svg('path', { class: 'roads', d: path }));
    }

    // label boxes [x, y, w, h], so hazard labels avoid edge labels and the zoom buttons
    const placed = [[w - 3.4 * fs, 0, 3.4 * fs, 8.5 * fs]];
    if (this.show.coverage) {
      const g = svg('g', { class: 'coverage' });
      for (const e of d.edges) {
        if (!e.box) continue;
        const x0 = px(e.box[0]), x1 = px(e.box[2]), y0 = py(e.box[3]), y1 = py(e.box[1]);
        if (!inView(x0, y0, x1, y1)) continue;
        const label = `${e.id} · ${e.connected ? 'connected' : 'offline'}`;
        // above the box's top left corner, or inside it when the top is off screen
        const lx = Math.max(x0, 0), ly = y0 > 1.6 * fs ? y0 - 0.45 * fs : Math.max(y0, 0) + 1.2 * fs;
        placed.push([lx, ly - fs, label.length * fs * 0.52, fs * 1.2]);
        g.append(svg('g', { class: 'edge' + (e.connected ? '' : ' offline'), dataset: { edge: e.id } },
          svg('rect', { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }),
          svg('text', { x: lx, y: ly, class: 'edge-label', text: label }),
          title(`edge ${e.id}: coverage ${e.box.map((x) => x.toFixed(4)).join(', ')}`)));
      }
      s.append(g);
    }

    if (d.hotspots.length) {
      const g = svg('g', { class: 'hotspots' });
      const max = Math.max(...d.hotspots.map((x) => x.count));
      for (const hs of d.hotspots) {
        const x = px(hs.lon), y = py(hs.lat);
        if (!inView(x, y, x, y)) continue;
        const r = fs * (0.6 + 1.8 * Math.sqrt(hs.count / max));
        g.append(svg('g', { class: 'hotspot', dataset: { key: hs.key } },
          svg('circle', { cx: x, cy: y, r, fill: category(hs.cause).colour }),
          svg('text', { x, y: y + 0.35 * fs, 'text-anchor': 'middle', class: 'hotspot-label', text: String(hs.count) }),
          title(`${hs.count} hazards here: ${hs.label}`)));
      }
      s.append(g);
    }

    if (this.show.hazards) this.#hazards(s, w, h, px, py, fs, inView, placed);
    this.#scaleBar(s, h, fs);
  }

  #hazards(s, w, h, px, py, fs, inView, placed) {
    const d = this.data;
    const list = d.hazards.filter((x) => x.active || x.id === this.focusId);
    const areas = svg('g', { class: 'relevance' });
    const marks = svg('g', { class: 'hazards' });
    // the focused hazard last, so it is on top and its label placed first
    list.sort((a, b) => (a.id === this.focusId) - (b.id === this.focusId) || a.since - b.since);
    for (const hz of [...list].reverse()) {
      const x = px(hz.lon), y = py(hz.lat);
      if (!inView(x, y, x, y, 200)) continue;
      const cat = category(hz.cause);
      const focused = hz.id === this.focusId;
      const rpx = (hz.radius || 0) / Math.cos((hz.lat * Math.PI) / 180) / this.view.mpp;
      if (rpx > 3) areas.prepend(svg('circle', { cx: x, cy: y, r: rpx, class: 'area' + (focused ? ' focused' : ''), stroke: cat.colour, fill: cat.colour }));
      const size = fs * (focused ? 1.25 : 0.95);
      const shape = hz.origin === 'authority'
        ? `M0 ${-size}L${size} 0L0 ${size}L${-size} 0Z`
        : `M0 ${-size * 1.05}L${size * 1.05} ${size * 0.8}L${-size * 1.05} ${size * 0.8}Z`;
      const g = svg('g', {
        class: 'hazard' + (focused ? ' focused' : '') + (hz.active ? '' : ' ended'),
        transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`, dataset: { id: hz.id }, tabindex: 0,
      });
      if (focused) g.append(svg('circle', { class: 'focus-ring', r: size * 2.1 }));
      g.append(svg('path', { d: shape, fill: hz.active ? cat.colour : 'none', stroke: hz.active ? '#111' : cat.colour, class: 'mark' }),
        svg('text', { y: size * 0.55, 'text-anchor': 'middle', class: 'mark-glyph', text: '!' }),
        title(`${hz.causeName} (${hz.cause})\n${hz.origin === 'authority' ? 'authority' : 'edge ' + hz.edge}\nsince ${new Date(hz.since).toLocaleTimeString()}`));
      // label: right, left, below or above the marker, whichever is free
      const text = `${hz.causeName} · `;
      const wpx = (text.length + 9) * fs * 0.55, hpx = fs * 1.3;
      const spots = [[size * 1.4, -hpx / 2], [-size * 1.4 - wpx, -hpx / 2], [-wpx / 2, size * 1.3], [-wpx / 2, -size * 1.3 - hpx]];
      const free = ([ox, oy]) => x + ox >= 0 && x + ox + wpx <= w && y + oy >= 0 && y + oy + hpx <= h && !placed.some((p) => overlap(p, [x + ox, y + oy, wpx, hpx]));
      const spot = spots.find(free) || (focused ? spots[0] : null);
      if (spot) {
        placed.push([x + spot[0], y + spot[1], wpx, hpx]);
        g.append(svg('text', { x: spot[0], y: spot[1] + hpx * 0.75, class: 'mark-label' },
          svg('tspan', { text }), svg('tspan', { class: 'age', dataset: { since: hz.since }, text: fmtAge(Date.now() - hz.since) })));
      }
      marks.prepend(g); // reversed order: the focused hazard ends up on top
    }
    s.append(areas, marks);
  }

  #graticule(s, w, h, px, py, fs) {
    const v = this.view;
    const lon0 = lonOf(v.cx - (w / 2) * v.mpp), lon1 = lonOf(v.cx + (w / 2) * v.mpp);
    const lat0 = latOf(v.cy - (h / 2) * v.mpp), lat1 = latOf(v.cy + (h / 2) * v.mpp);
    const step = niceStep(Math.max(lon1 - lon0, lat1 - lat0), 5);
    const digits = Math.max(0, -Math.floor(Math.log10(step)));
    const g = svg('g', { class: 'graticule' });
    let path = '';
    for (let lon = Math.ceil(lon0 / step) * step; lon <= lon1; lon += step) {
      const x = px(lon);
      path += `M${x.toFixed(1)} 0V${h}`;
      g.append(svg('text', { x: x + 3, y: h - 0.4 * fs, text: lon.toFixed(digits) + '°' }));
    }
    for (let lat = Math.ceil(lat0 / step) * step; lat <= lat1; lat += step) {
      const y = py(lat);
      path += `M0 ${y.toFixed(1)}H${w}`;
      g.append(svg('text', { x: 0.4 * fs, y: y - 3, text: lat.toFixed(digits) + '°' }));
    }
    g.prepend(svg('path', { d: path }));
    s.append(g);
  }

  #scaleBar(s, h, fs) {
    const v = this.view;
    const groundPerPx = v.mpp * Math.cos((latOf(v.cy) * Math.PI) / 180);
    const dist = niceStep(groundPerPx * 8 * fs, 1);
    const len = dist / groundPerPx;
    const x = fs, y = h - 2.2 * fs;
    s.append(svg('g', { class: 'scale' },
      svg('path', { d: `M${x} ${y - 0.4 * fs}V${y}H${x + len}V${y - 0.4 * fs}` }),
      svg('text', { x: x + len / 2, y: y - 0.6 * fs, 'text-anchor': 'middle', text: dist >= 1000 ? `${dist / 1000} km` : `${dist} m` })));
  }

  // updateAges refreshes the age labels without re-drawing.
  updateAges(now) {
    for (const t of this.svg.querySelectorAll('.age')) t.textContent = fmtAge(now - Number(t.dataset.since));
  }
}

function overlap(a, b) {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

function button(text, label, onclick) {
  const b = el('button', { type: 'button', title: label, 'aria-label': label, text });
  b.addEventListener('click', onclick);
  return b;
}
