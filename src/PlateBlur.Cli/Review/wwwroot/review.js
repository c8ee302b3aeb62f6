// PlateBlur review page: frame-accurate viewing of an anonymized output, its tracks and QC, and the edits file (regions, dropped tracks).
'use strict';

const $ = (id) => document.getElementById(id);
const HUES = { plate: 212, face: 28, screen: 280, logo: 140, document: 48, other: 330 };
const state = {
  info: null, report: null, edits: null, masks: new Map(), frame: 0, original: false,
  drawing: false, drag: null, selected: null, dirty: false,
};

async function api(method, url, body) {
  const res = await fetch(url, {
    method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error((data && (data.error || data.Error)) || `${method} ${url}: ${res.status}`);
  return data;
}

function colour(cls, score, alpha) {
  const hue = HUES[cls] ?? 0;
  // Confidence: a strong track is saturated and dark, a weak one pale.
  const s = score > 0 ? Math.min(1, score) : 0.6;
  return `hsla(${hue}, ${40 + 50 * s}%, ${70 - 30 * s}%, ${alpha ?? 1})`;
}

function status(text, error) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', !!error);
}

// ---- loading ----

async function load() {
  const [info, report, edits] = await Promise.all([api('GET', 'api/info'), api('GET', 'api/report'), api('GET', 'api/edits')]);
  state.info = info; state.report = report;
  if (!state.dirty) state.edits = normalise(edits);
  state.masks = new Map(report.frames.map((f) => [f.index, f.boxes]));
  $('name').textContent = info.output;
  const counts = info.masksByClass ? Object.entries(info.masksByClass).map(([k, v]) => `${v} ${k}`).join(', ') : '';
  $('summary').textContent = `${report.counts.frames} frames, ${info.width}×${info.height}, ${info.fps.toFixed(3)} fps · ${report.counts.masks} masks (${counts}) · ${info.tracks.filter((t) => t.id > 0).length} tracks`;
  $('edits-file').textContent = info.editsFile;
  $('original-toggle').hidden = !info.hasSource;
  if (info.release) showRelease(info.release);
  else {
    $('render').disabled = !info.canRender;
    if (!info.canRender) $('render').title = 'no source to render from: start review with --source INPUT';
  }
  const sel = $('draw-class');
  if (!sel.options.length) for (const c of info.classes) sel.add(new Option(c, c, c === 'other', c === 'other'));
  $('legend').replaceChildren(...info.classes.map((c) => {
    const s = document.createElement('span'); const i = document.createElement('i');
    i.style.background = colour(c, 1); s.append(i, c); return s;
  }), Object.assign(document.createElement('span'), { textContent: 'pale = weak score · grey = dropped · red tick = QC fired' }));
  sizeOverlay();
  setMedia();
  renderLists();
  showFrame();
  // Boxes are in stored-frame pixels; a player shows a rotated video upright, so outlines and drawing would not line up.
  // Track ids are those of the render that made the report: the pipeline numbers each segment's tracks in its own block.
  if (report.pipeline && !info.release) status('this output came from the pipeline: its track ids are the pipeline\'s. Put the saved edits file at edits/<path>.edits.json and upload the source again; a local re-render numbers tracks differently.');
  if (info.rotation) { $('draw').disabled = true; status(`this video is stored rotated by ${info.rotation}°: outlines and drawing are not supported yet (write the edits file by hand, docs/edits.md)`, true); }
}

function normalise(e) {
  e.regions = e.regions || []; e.dropTracks = e.dropTracks || []; e.schema = e.schema || 'plateblur.edits/1';
  return e;
}

function setMedia() {
  const info = state.info;
  const src = (state.original ? 'media/source' : 'media/output') + `?v=${info.version}`;
  if (info.kind === 'photo') {
    document.body.dataset.ready = 'false';
    $('video').hidden = true; $('photo').hidden = false; $('photo').src = src;
    $('photo').onload = () => { sizeOverlay(); document.body.dataset.ready = 'true'; };
    return;
  }
  const v = $('video');
  const keep = state.frame;
  document.body.dataset.ready = 'false';
  v.addEventListener('loadedmetadata', () => {
    v.addEventListener('seeked', () => { document.body.dataset.ready = 'true'; }, { once: true });
    seek(keep);
  }, { once: true });
  v.src = src;
}

// ---- frames ----

const frameCount = () => state.info.frameTimes.length;

/** The frame shown at media time t: the last frame starting at or before it. */
function frameAt(t) {
  const times = state.info.frameTimes;
  let lo = 0, hi = times.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (times[mid] <= t + 1e-4) lo = mid; else hi = mid - 1; }
  return lo;
}

function seek(f) {
  f = Math.max(0, Math.min(frameCount() - 1, Math.round(f)));
  state.frame = f;
  if (state.info.kind === 'video') {
    const times = state.info.frameTimes;
    const dur = f + 1 < times.length ? times[f + 1] - times[f] : 1 / state.info.fps;
    // The middle of the frame: clear of rounding at either edge.
    $('video').currentTime = times[f] + dur / 2;
  }
  showFrame();
}

function showFrame() {
  const f = state.frame, t = state.info.frameTimes[f] ?? 0;
  $('frame-label').textContent = `frame ${f} / ${frameCount() - 1} · ${t.toFixed(3)} s`;
  $('frame-input').value = f;
  document.body.dataset.frame = String(f);
  drawOverlay();
  drawTimeline();
}

function watchFrames() {
  const v = $('video');
  if (!('requestVideoFrameCallback' in HTMLVideoElement.prototype)) {
    v.addEventListener('timeupdate', () => { if (!v.paused) { state.frame = frameAt(v.currentTime); showFrame(); } });
    return;
  }
  const tick = (_now, meta) => {
    if (!v.paused) { state.frame = frameAt(meta.mediaTime); showFrame(); }
    v.requestVideoFrameCallback(tick);
  };
  v.requestVideoFrameCallback(tick);
}

// ---- overlay: masks of this frame, regions, the box being drawn ----

function sizeOverlay() {
  const c = $('overlay');
  c.width = state.info.width; c.height = state.info.height;
  drawOverlay();
}

function regionBoxAt(r, f) {
  // The key box at or before f (the server follows it through the picture when rendering; here the key is shown).
  const keys = [...r.keys].sort((a, b) => a.frame - b.frame);
  let k = keys[0];
  for (const x of keys) if (x.frame <= f) k = x;
  return k && k.box;
}

function drawOverlay() {
  const c = $('overlay'), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  if (!state.info) return;
  const f = state.frame, lw = Math.max(2, c.width / 400);
  g.lineWidth = lw;
  if ($('outlines').checked || state.original) {
    const dropped = new Set(state.edits.dropTracks);
    for (const b of state.masks.get(f) || []) {
      const isDropped = dropped.has(b.track);
      g.setLineDash(isDropped ? [6, 4] : []);
      g.strokeStyle = isDropped ? '#9ca3af' : colour(b.class || 'plate', b.score || 0.8);
      g.strokeRect(b.x, b.y, b.w, b.h);
      g.fillStyle = g.strokeStyle; g.font = `${Math.max(12, c.width / 80)}px sans-serif`;
      g.fillText(b.track > 0 ? `#${b.track}` : (b.region || ''), b.x, Math.max(12, b.y - 3));
    }
    g.setLineDash([]);
  }
  for (const r of state.edits.regions) {
    const span = r.span || {};
    if (f < (span.fromFrame ?? 0) || f > (span.toFrame ?? 1e12)) continue;
    const box = regionBoxAt(r, f);
    if (!box) continue;
    g.setLineDash(r.keys.some((k) => k.frame === f) ? [] : [3, 3]);
    g.strokeStyle = colour(r.class, 1);
    g.lineWidth = r === state.selected ? lw * 2 : lw;
    g.strokeRect(box[0], box[1], box[2], box[3]);
  }
  g.setLineDash([]);
  if (state.drag) {
    const d = state.drag; g.strokeStyle = '#fff'; g.lineWidth = lw;
    g.strokeRect(Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.abs(d.x1 - d.x0), Math.abs(d.y1 - d.y0));
  }
}

function framePoint(ev) {
  const c = $('overlay'), rect = c.getBoundingClientRect();
  return {
    x: Math.max(0, Math.min(c.width, (ev.clientX - rect.left) * c.width / rect.width)),
    y: Math.max(0, Math.min(c.height, (ev.clientY - rect.top) * c.height / rect.height)),
  };
}

function setupDrawing() {
  const c = $('overlay');
  c.addEventListener('mousedown', (ev) => {
    if (!state.drawing) return;
    const p = framePoint(ev);
    state.drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    ev.preventDefault();
  });
  window.addEventListener('mousemove', (ev) => {
    if (!state.drag) return;
    const p = framePoint(ev); state.drag.x1 = p.x; state.drag.y1 = p.y; drawOverlay();
  });
  window.addEventListener('mouseup', () => {
    if (!state.drag) return;
    const d = state.drag; state.drag = null;
    const box = [Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.abs(d.x1 - d.x0), Math.abs(d.y1 - d.y0)].map((v) => Math.round(v));
    if (box[2] < 4 || box[3] < 4) { drawOverlay(); return; }
    addKey(box);
    setDrawing(false);
  });
}

/** A drawn box: a new key of the selected region when one is selected, else a new region around this frame. */
function addKey(box) {
  const f = state.frame;
  let r = state.selected;
  if (r) {
    r.keys = r.keys.filter((k) => k.frame !== f);
    r.keys.push({ frame: f, box });
    r.span = r.span || {};
    if (f < r.span.fromFrame) r.span.fromFrame = f;
    if (f > r.span.toFrame) r.span.toFrame = f;
  } else {
    const second = Math.round(state.info.fps);
    let n = state.edits.regions.length + 1;
    while (state.edits.regions.some((x) => x.id === `region-${n}`)) n++;
    r = { id: `region-${n}`, class: $('draw-class').value, motion: 'follow',
      span: { fromFrame: Math.max(0, f - second), toFrame: Math.min(frameCount() - 1, f + second) }, keys: [{ frame: f, box }] };
    state.edits.regions.push(r);
    state.selected = r;
  }
  changed();
}

function setDrawing(on) {
  state.drawing = on;
  $('draw').classList.toggle('active', on);
  $('overlay').classList.toggle('drawing', on);
  if (on) status(state.selected ? `draw a new key box of ${state.selected.id} on frame ${state.frame}` : `drag a box on frame ${state.frame}`);
}

function changed() {
  state.dirty = true;
  status('edits not saved');
  renderLists(); drawOverlay(); drawTimeline();
}

// ---- timeline ----

function drawTimeline() {
  const c = $('timeline'); if (!state.info) return;
  const rows = [...state.info.tracks.filter((t) => t.id > 0), ...state.edits.regions.map((r) => ({ region: r }))];
  const rowH = Math.max(3, Math.min(10, Math.floor(100 / Math.max(1, rows.length))));
  const height = 14 + rows.length * rowH + 6;
  c.width = c.clientWidth * devicePixelRatio; c.height = height * devicePixelRatio; c.style.height = `${height}px`;
  const g = c.getContext('2d'); g.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
  const w = c.clientWidth, n = Math.max(1, frameCount());
  const x = (f) => f / n * w;
  g.clearRect(0, 0, w, height);
  g.fillStyle = '#c81e1e';
  for (const q of state.info.qc?.results || []) if (q.residual.length) g.fillRect(x(q.frame), 0, Math.max(2, w / n), 10);
  const dropped = new Set(state.edits.dropTracks);
  rows.forEach((row, i) => {
    const y = 14 + i * rowH;
    if (row.region) {
      const s = row.region.span || {};
      g.fillStyle = colour(row.region.class, 1, 0.9);
      g.fillRect(x(s.fromFrame ?? 0), y, Math.max(2, x((s.toFrame ?? n - 1) + 1) - x(s.fromFrame ?? 0)), rowH - 1);
    } else {
      g.fillStyle = dropped.has(row.id) ? '#d1d5db' : colour(row.class, row.bestScore);
      g.fillRect(x(row.firstFrame), y, Math.max(2, x(row.lastFrame + 1) - x(row.firstFrame)), rowH - 1);
    }
  });
  g.fillStyle = '#111'; g.fillRect(x(state.frame), 0, 2, height);
}

// ---- lists ----

function renderLists() {
  const info = state.info;
  $('check-first').replaceChildren(...(info.checkFirst.length ? info.checkFirst.map((item) => {
    const li = document.createElement('li'); li.textContent = item.text; li.dataset.frame = item.frame;
    li.addEventListener('click', () => seek(item.frame)); return li;
  }) : [Object.assign(document.createElement('li'), { textContent: 'nothing flagged' })]));

  const dropped = new Set(state.edits.dropTracks);
  $('tracks').tBodies[0].replaceChildren(...info.tracks.filter((t) => t.id > 0).map((t) => {
    const tr = document.createElement('tr'); tr.dataset.track = t.id;
    tr.classList.toggle('dropped', dropped.has(t.id));
    const sw = document.createElement('span'); sw.className = 'swatch'; sw.style.background = colour(t.class, t.bestScore);
    const cells = [sw, `#${t.id}`, `${t.firstFrame}–${t.lastFrame}`, `${t.masks} (${t.detected} found)`, t.bestScore ? t.bestScore.toFixed(2) : '–'];
    for (const v of cells) { const td = document.createElement('td'); td.append(v); tr.append(td); }
    const td = document.createElement('td'); const cb = document.createElement('input');
    cb.type = 'checkbox'; cb.checked = dropped.has(t.id); cb.className = 'drop'; cb.title = `drop track ${t.id} (a false positive): it is not masked after re-rendering`;
    cb.addEventListener('click', (ev) => ev.stopPropagation());
    cb.addEventListener('change', () => {
      const set = new Set(state.edits.dropTracks);
      if (cb.checked) set.add(t.id); else set.delete(t.id);
      state.edits.dropTracks = [...set].sort((a, b) => a - b);
      changed();
    });
    td.append(cb); tr.append(td);
    tr.addEventListener('click', () => seek(t.firstFrame));
    return tr;
  }));

  $('regions').replaceChildren(...state.edits.regions.map((r) => {
    const li = document.createElement('li'); li.dataset.region = r.id;
    li.classList.toggle('selected', r === state.selected);
    r.span = r.span || { fromFrame: Math.min(...r.keys.map((k) => k.frame)), toFrame: Math.max(...r.keys.map((k) => k.frame)) };
    const title = document.createElement('div');
    const cls = document.createElement('select'); cls.className = 'region-class';
    for (const c of info.classes) cls.add(new Option(c, c, c === r.class, c === r.class));
    cls.addEventListener('change', () => { r.class = cls.value; changed(); });
    title.append(`${r.id} `, cls, ` · keys on frames ${r.keys.map((k) => k.frame).join(', ')}`);
    const span = document.createElement('div');
    const from = Object.assign(document.createElement('input'), { type: 'number', min: 0, value: r.span.fromFrame, className: 'span-from' });
    const to = Object.assign(document.createElement('input'), { type: 'number', min: 0, value: r.span.toFrame, className: 'span-to' });
    from.addEventListener('change', () => { r.span.fromFrame = Number(from.value); changed(); });
    to.addEventListener('change', () => { r.span.toFrame = Number(to.value); changed(); });
    const startHere = button('start here', () => { r.span.fromFrame = state.frame; changed(); });
    const endHere = button('end here', () => { r.span.toFrame = state.frame; changed(); });
    span.append('frames ', from, ' to ', to, ' ', startHere, endHere);
    const actions = document.createElement('div');
    actions.append(
      button(r === state.selected ? 'selected (draw adds a key)' : 'select', () => { state.selected = r === state.selected ? null : r; renderLists(); drawOverlay(); }),
      button('go to key', () => seek(r.keys[0].frame)),
      button('delete', () => { state.edits.regions = state.edits.regions.filter((x) => x !== r); if (state.selected === r) state.selected = null; changed(); }));
    li.append(title, span, actions);
    return li;
  }));

  const qc = info.qc;
  if (qc) {
    const residual = qc.results.filter((r) => r.residual.length);
    $('qc-summary').textContent = `${qc.passed ? 'Passed' : 'FAILED'}: ${qc.samples} sampled frames re-checked at threshold ${qc.threshold.toFixed(2)}; ${residual.length} with possible plates outside the masks.`;
    $('qc-residual').replaceChildren(...residual.map((r) => {
      const li = document.createElement('li'); li.textContent = `frame ${r.frame}: ${r.residual.map((b) => `${b.kind} at ${Math.round(b.x)},${Math.round(b.y)}`).join('; ')}`;
      li.addEventListener('click', () => seek(r.frame)); return li;
    }));
  }
  if (info.hasQcSheet) { $('qc-link').hidden = false; $('qc-sheet').src = `media/qc?v=${info.version}`; }
  if (info.edits && info.edits.warnings.length) status(info.edits.warnings.join('\n'), true);
}

function button(text, onClick) {
  const b = document.createElement('button'); b.type = 'button'; b.textContent = text; b.addEventListener('click', onClick); return b;
}

// ---- save and re-render ----

async function save() {
  try {
    const body = { schema: 'plateblur.edits/1', source: state.edits.source, note: state.edits.note, regions: state.edits.regions, dropTracks: state.edits.dropTracks };
    const res = await api('PUT', 'api/edits', body);
    state.dirty = false;
    status(`saved ${res.saved}`);
    document.body.dataset.saved = String(Date.now());
    return true;
  } catch (e) {
    status(e.message, true);
    return false;
  }
}

async function render() {
  if (state.dirty && !(await save())) return;
  try {
    await api('POST', 'api/render');
  } catch (e) { status(e.message, true); return; }
  $('render').disabled = true;
  document.body.dataset.render = 'running';
  const bar = $('render-progress'); bar.hidden = false;
  for (;;) {
    const s = await api('GET', 'api/render');
    if (s.total > 0) { bar.max = s.total; bar.value = s.done; }
    status(s.state === 'checking' ? 'checking the new output (QC)…' : `re-rendering: ${s.done} / ${s.total} frames`);
    if (s.state === 'done' || s.state === 'failed') {
      bar.hidden = true; $('render').disabled = false;
      if (s.state === 'failed') { status(`re-render failed: ${s.error}`, true); document.body.dataset.render = 'failed'; return; }
      await load();
      status(`re-rendered: ${state.report.counts.masks} masks`);
      document.body.dataset.render = 'done';
      return;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

// ---- release (plateblur serve: an item of quarantine/ or outbox/) ----

function showRelease(r) {
  $('back').hidden = false;
  const b = $('render');
  b.textContent = 'Release with edits';
  b.disabled = !r.canRelease;
  b.title = r.canRelease ? 'save, then re-render from the source through QC, publish and the source policy (the normal pipeline)' : r.why;
  $('release-note').textContent = r.canRelease ? r.note : r.why;
  $('release-note').hidden = false;
  document.body.dataset.canRelease = String(r.canRelease);
}

async function release() {
  if (state.dirty && !(await save())) return;
  try {
    await api('POST', 'api/release');
  } catch (e) { status(e.message, true); document.body.dataset.release = 'refused'; return; }
  $('render').disabled = true;
  document.body.dataset.release = 'running';
  for (;;) {
    const s = await api('GET', 'api/release');
    status(s.message, s.state === 'failed');
    if (s.state === 'done' || s.state === 'failed') {
      $('render').disabled = false;
      document.body.dataset.release = s.outcome || s.state;
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ---- wiring ----

function setup() {
  const v = $('video');
  $('prev').onclick = () => { v.pause(); seek(state.frame - 1); };
  $('next').onclick = () => { v.pause(); seek(state.frame + 1); };
  $('prev10').onclick = () => { v.pause(); seek(state.frame - 10); };
  $('next10').onclick = () => { v.pause(); seek(state.frame + 10); };
  $('play').onclick = () => { if (v.paused) v.play(); else { v.pause(); seek(frameAt(v.currentTime)); } };
  v.addEventListener('play', () => { $('play').textContent = '❚❚'; });
  v.addEventListener('pause', () => { $('play').textContent = '▶'; });
  $('frame-input').addEventListener('change', () => { v.pause(); seek(Number($('frame-input').value)); });
  $('outlines').addEventListener('change', drawOverlay);
  $('original').addEventListener('change', () => {
    state.original = $('original').checked;
    $('original-note').hidden = !state.original;
    setMedia();
  });
  $('draw').onclick = () => setDrawing(!state.drawing);
  $('save').onclick = save;
  $('render').onclick = () => (state.info && state.info.release ? release() : render());
  $('timeline').addEventListener('click', (ev) => {
    const r = ev.currentTarget.getBoundingClientRect();
    v.pause(); seek((ev.clientX - r.left) / r.width * frameCount());
  });
  window.addEventListener('resize', drawTimeline);
  window.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    const step = ev.shiftKey ? 10 : 1;
    if (ev.key === 'ArrowRight') { v.pause(); seek(state.frame + step); ev.preventDefault(); }
    else if (ev.key === 'ArrowLeft') { v.pause(); seek(state.frame - step); ev.preventDefault(); }
    else if (ev.key === ' ') { $('play').click(); ev.preventDefault(); }
    else if (ev.key === 'Home') { seek(0); }
    else if (ev.key === 'End') { seek(frameCount() - 1); }
    else if (ev.key === 'd' || ev.key === 'D') { setDrawing(!state.drawing); }
    else if (ev.key === 'Escape') { setDrawing(false); }
  });
  setupDrawing();
  watchFrames();
}

setup();
load().catch((e) => status(e.message, true));
// A local output gets its QC while the page is open: look again until the contact sheet is there.
const qcPoll = setInterval(async () => {
  if (!state.info || state.info.hasQcSheet) { if (state.info) clearInterval(qcPoll); return; }
  const info = await api('GET', 'api/info');
  if (info.hasQcSheet) { state.info = info; renderLists(); drawTimeline(); clearInterval(qcPoll); }
}, 1500);
