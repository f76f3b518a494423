// Vitmix explorer: the page of `vitmix serve`. Plain JavaScript, written by hand; everything it draws comes from
// the server's JSON API (/api/...), and it loads nothing from anywhere else.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  model: null,       // /api/model
  image: null,       // the image's description (/api/images...)
  view: null,        // the explained view (/api/explain)
  images: {},        // id -> decoded RGB pixels of the shown image
  explainAbort: null,
  fuseSeq: 0,
  patch: null,       // the patch last clicked
  target: null,      // null: the predicted class
  options: {},       // explainer options set by the user
};

// ---- errors and status -------------------------------------------------------------------------------------------

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

function clearError() { $('error').hidden = true; }

function setStatus(text) { $('status').textContent = text; }

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try { const body = await response.json(); if (body && body.error) message = body.error; } catch (e) { /* not JSON */ }
  return new Error(message);
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  if (!response.ok) throw await failure(response);
  return response.json();
}

// A request whose answer streams as lines of JSON: {"queued": n}, {"progress": {...}}, then {"result": ...} or {"error": "..."}.
async function streamJson(url, body, onLine, signal) {
  const response = await fetch(url, {
    method: 'POST', body: JSON.stringify(body), signal,
    headers: { 'Content-Type': 'application/json', 'Accept': 'application/x-ndjson' },
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let result;
  // Read to the end, past the result line: a response left half-read counts as a failed request.
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (message.error) throw new Error(message.error);
      if (message.result) result = message.result;
      else onLine(message);
    }
  }
  if (result === undefined) throw new Error('the server closed the answer before its result');
  return result;
}

function isAbort(e) { return e && e.name === 'AbortError'; }

// ---- drawing -----------------------------------------------------------------------------------------------------

function decodeBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function colormap() {
  const name = $('colormap').value;
  if (!state.model.luts[name]) state.model.luts[name] = decodeBase64(state.model.colormaps[name]);
  return state.model.luts[name];
}

// The image with a map (bytes 0..255, one per pixel) blended on top at the chosen opacity; a mask's boundary in white.
function drawOverlay(canvas, map, mask, truth) {
  const w = state.view.width, h = state.view.height;
  canvas.width = w; canvas.height = h;
  const context = canvas.getContext('2d');
  const pixels = context.createImageData(w, h);
  const rgb = state.images[state.image.id];
  const lut = colormap();
  const alpha = Number($('opacity').value);
  for (let i = 0; i < w * h; i++) {
    const c = 3 * map[i];
    for (let ch = 0; ch < 3; ch++) {
      const base = rgb ? rgb[4 * i + ch] : 0;
      pixels.data[4 * i + ch] = Math.round((1 - alpha) * base + alpha * lut[c + ch]);
    }
    pixels.data[4 * i + 3] = 255;
  }
  if (truth) outline(pixels.data, truth, w, h, [255, 80, 80]);
  if (mask) outline(pixels.data, mask, w, h, [255, 255, 255]);
  context.putImageData(pixels, 0, 0);
}

function outline(data, mask, w, h, colour) {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i]) continue;
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - w] || !mask[i + w];
      if (edge) { data[4 * i] = colour[0]; data[4 * i + 1] = colour[1]; data[4 * i + 2] = colour[2]; }
    }
  }
}

async function loadPixels(image) {
  if (state.images[image.id]) return;
  const picture = new Image();
  picture.src = image.imageUrl;
  await picture.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width; canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(picture, 0, 0);
  state.images[image.id] = context.getImageData(0, 0, image.width, image.height).data;
}

// ---- model and controls ------------------------------------------------------------------------------------------

async function loadModel() {
  const model = await getJson('/api/model');
  model.luts = {};
  state.model = model;
  $('model-name').textContent = `${model.model}: ${model.architecture}`;
  for (const name of Object.keys(model.colormaps)) $('colormap').add(new Option(name, name));
  for (const rule of model.fusions) $('fusion-rule').add(new Option(rule, rule, rule === 'gmean', rule === 'gmean'));
  const classes = $('classes');
  model.classes.forEach((name, index) => { const o = document.createElement('option'); o.value = `${index}: ${name}`; classes.appendChild(o); });
  buildOptionControls(model);
  const demo = await getJson('/api/images/demo');
  for (const d of demo.images) $('demo').add(new Option(`${d.name} (${d.className})`, d.index));
  if (model.hasFolder) {
    $('folder-row').hidden = false;
    const folder = await getJson('/api/images/folder');
    for (const name of folder.images) $('folder').add(new Option(name, name));
  }
}

// One control per explainer option the server declares, grouped by the methods that read it.
function buildOptionControls(model) {
  const box = $('options');
  for (const o of model.options) {
    const row = document.createElement('div');
    row.className = 'option';
    const label = document.createElement('label');
    label.textContent = `${o.name} `;
    let input;
    if (o.type === 'enum') {
      input = document.createElement('select');
      for (const c of o.choices) input.add(new Option(c, c, c === o.default, c === o.default));
    } else if (o.type === 'bool') {
      input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = o.default === 'true';
    } else {
      input = document.createElement('input');
      input.type = 'number';
      input.value = o.default;
      if (o.minimum !== null) input.min = o.minimum;
      if (o.type === 'int') {
        input.step = 1;
        if (o.name.endsWith('start-layer') || o.name.endsWith('-layer')) input.max = model.blocks - 1;
      } else input.step = 'any';
      if (o.exclusiveMaximum !== null) input.max = o.type === 'int' ? o.exclusiveMaximum - 1 : o.exclusiveMaximum - 0.01;
    }
    input.dataset.option = o.name;
    input.dataset.type = o.type;
    input.addEventListener('change', () => {
      const value = o.type === 'bool' ? input.checked : o.type === 'enum' ? input.value : Number(input.value);
      if (String(value) === o.default) delete state.options[o.name]; else state.options[o.name] = value;
      explain();
    });
    label.appendChild(input);
    const help = document.createElement('small');
    help.textContent = `${o.methods.join(', ')}: ${o.description}`;
    row.append(label, help);
    box.appendChild(row);
  }
}

function threshold() {
  switch ($('threshold-mode').value) {
    case 'top': return `top:${$('topk').value}`;
    case 'fixed': return `fixed:${Number($('fixed').value).toFixed(2)}`;
    default: return $('threshold-mode').value;
  }
}

function fusionSpec() {
  const chosen = [...document.querySelectorAll('#fuse-methods input:checked')].map((c) => c.dataset.method);
  return chosen.length ? chosen.join('+') : null;
}

// ---- image, class and the explanation ----------------------------------------------------------------------------

async function useImage(request) {
  clearError();
  setStatus('loading image…');
  try {
    const image = await request();
    await loadPixels(image);
    state.image = image;
    state.target = null;
    state.patch = null;
    $('target').value = '';
    $('image-name').textContent = `${image.name} (${image.originalWidth}×${image.originalHeight}, shown at ${image.width}×${image.height})`;
    showTop5();
    await explain();
  } catch (e) {
    setStatus('');
    if (!isAbort(e)) showError(e.message);
  }
}

function uploadFile(file) {
  return useImage(() => getJson(`/api/images?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file }));
}

function showTop5() {
  const list = $('top5');
  list.replaceChildren();
  for (const t of state.image.top5) {
    const item = document.createElement('li');
    item.textContent = `${t.name} ${(100 * t.probability).toFixed(1)}%`;
    item.dataset.index = t.index;
    if ((state.view && state.view.target === t.index) || (!state.view && t.index === state.image.predicted.index)) item.className = 'chosen';
    item.addEventListener('click', () => { state.target = t.index; $('target').value = `${t.index}: ${t.name}`; explain(); });
    list.appendChild(item);
  }
}

async function explain() {
  if (!state.image) return;
  if (state.explainAbort) state.explainAbort.abort(); // the server stops the superseded pass's work
  const abort = new AbortController();
  state.explainAbort = abort;
  clearError();
  setStatus('explaining…');
  try {
    const view = await streamJson('/api/explain', { image: state.image.id, target: state.target, options: state.options }, (line) => {
      if (line.queued) setStatus(`waiting: position ${line.queued} in the queue`);
    }, abort.signal);
    state.view = view;
    for (const m of view.maps) m.bytes = decodeBase64(m.normalized);
    setStatus(`${view.targetName} (${(100 * view.targetProbability).toFixed(1)}%)`);
    showTop5();
    buildFusionChoices();
    drawOverlays();
    await Promise.all([fuse(), scores()]);
    if (state.patch !== null) await attention(state.patch);
    $('curves').disabled = false;
  } catch (e) {
    if (!isAbort(e)) { setStatus(''); showError(e.message); }
  } finally {
    // Only a request still running is aborted by the next one: aborting a finished one would log a failed request.
    if (state.explainAbort === abort) state.explainAbort = null;
  }
}

function buildFusionChoices() {
  const box = $('fuse-methods');
  const before = new Set([...box.querySelectorAll('input:checked')].map((c) => c.dataset.method));
  if (before.size === 0) { before.add('lrp'); before.add('rollout'); }
  box.replaceChildren();
  for (const method of state.view.gridMaps) {
    const label = document.createElement('label');
    const check = document.createElement('input');
    check.type = 'checkbox';
    check.dataset.method = method;
    check.checked = before.has(method);
    check.addEventListener('change', fuse);
    label.append(check, ` ${method}`);
    box.appendChild(label);
  }
  if (!box.querySelector('input:checked') && box.querySelector('input')) box.querySelector('input').checked = true;
}

function drawOverlays() {
  const box = $('overlays');
  box.replaceChildren();
  for (const m of state.view.maps) {
    const figure = document.createElement('figure');
    figure.className = 'overlay';
    figure.dataset.key = m.key;
    const canvas = document.createElement('canvas');
    canvas.className = 'small';
    canvas.title = `${m.key}: click a patch`;
    canvas.addEventListener('click', (event) => clickPatch(event, canvas));
    drawOverlay(canvas, m.bytes, null, null);
    const caption = document.createElement('figcaption');
    caption.textContent = `${m.key} (${m.mapWidth}×${m.mapHeight})`;
    const numbers = document.createElement('div');
    numbers.className = 'numbers muted';
    figure.append(canvas, caption, numbers);
    box.appendChild(figure);
  }
}

// The re-threshold and re-fuse path: milliseconds on the server, the latest answer wins.
async function fuse() {
  if (!state.view) return;
  const spec = fusionSpec();
  if (!spec) return;
  const seq = ++state.fuseSeq;
  const query = `view=${state.view.view}&spec=${encodeURIComponent(spec)}&fusion=${encodeURIComponent($('fusion-rule').value)}&threshold=${encodeURIComponent(threshold())}`;
  try {
    const fused = await getJson(`/api/fuse?${query}`);
    if (seq !== state.fuseSeq) return;
    state.fused = fused;
    state.fused.bytes = decodeBase64(fused.normalized);
    state.fused.maskBytes = decodeBase64(fused.mask);
    drawFused();
    const info = $('fused-info');
    info.replaceChildren();
    const lines = [`threshold ${fused.threshold} = ${fused.thresholdValue.toFixed(4)}`, `mask ${fused.maskPixels} px of ${fused.width * fused.height}`];
    if (fused.scores) lines.push(`IoU ${fused.scores.iou.toFixed(3)}`, `F1 ${fused.scores.f1.toFixed(3)}`, `precision ${fused.scores.precision.toFixed(3)}`, `recall ${fused.scores.recall.toFixed(3)}`);
    else lines.push('no ground-truth mask: upload one for IoU/F1');
    lines.push(`answered in ${fused.elapsedMs.toFixed(1)} ms`);
    for (const l of lines) { const d = document.createElement('div'); d.textContent = l; info.appendChild(d); }
    $('fused-name').textContent = fused.map;
    $('fused').dataset.maskPixels = fused.maskPixels;
    updateDownloads(spec);
  } catch (e) {
    if (seq === state.fuseSeq) showError(e.message);
  }
}

function drawFused() {
  const truth = state.image.mask ? (state.image.maskBytes ||= decodeBase64(state.image.mask)) : null;
  drawOverlay($('fused'), state.fused.bytes, state.fused.maskBytes, truth);
}

async function scores() {
  if (!state.view) return;
  try {
    const result = await getJson(`/api/scores?view=${state.view.view}&threshold=${encodeURIComponent(threshold())}`);
    for (const m of result.maps) {
      const figure = document.querySelector(`#overlays figure[data-key="${CSS.escape(m.key)}"] .numbers`);
      if (!figure) continue;
      figure.textContent = m.scores ? `IoU ${m.scores.iou.toFixed(3)} · F1 ${m.scores.f1.toFixed(3)}` : `mask ${m.maskPixels} px`;
    }
  } catch (e) { showError(e.message); }
}

function updateDownloads(spec) {
  const base = `view=${state.view.view}&spec=${encodeURIComponent(spec)}&fusion=${encodeURIComponent($('fusion-rule').value)}`;
  const t = `threshold=${encodeURIComponent(threshold())}`;
  const c = `colormap=${encodeURIComponent($('colormap').value)}`;
  $('dl-npy').href = `/api/download/map.npy?${base}`;
  $('dl-norm').href = `/api/download/normalized.npy?${base}`;
  $('dl-png').href = `/api/download/heatmap.png?${base}&${c}`;
  $('dl-mask').href = `/api/download/mask.png?${base}&${t}`;
  $('dl-settings').href = `/api/download/settings.json?${base}&${t}&${c}`;
  getJson(`/api/download/settings.json?${base}&${t}&${c}`).then((s) => { $('command').textContent = s.command; }).catch((e) => showError(e.message));
}

// ---- where does this patch look ----------------------------------------------------------------------------------

function clickPatch(event, canvas) {
  if (!state.view) return;
  const box = canvas.getBoundingClientRect();
  const x = (event.clientX - box.left) / box.width * state.view.width;
  const y = (event.clientY - box.top) / box.height * state.view.height;
  const p = state.model.patchSize;
  const col = Math.min(state.model.gridWidth - 1, Math.max(0, Math.floor(x / p)));
  const row = Math.min(state.model.gridHeight - 1, Math.max(0, Math.floor(y / p)));
  attention(row * state.model.gridWidth + col);
}

async function attention(patch) {
  state.patch = patch;
  try {
    const a = await getJson(`/api/attention?view=${state.view.view}&patch=${patch}`);
    const values = new Float32Array(decodeBase64(a.float32).buffer);
    const grid = $('attention');
    grid.replaceChildren();
    grid.style.gridTemplateColumns = `auto repeat(${a.heads}, 72px)`;
    grid.appendChild(document.createElement('span'));
    for (let h = 0; h < a.heads; h++) { const l = document.createElement('span'); l.className = 'head'; l.textContent = `head ${h}`; grid.appendChild(l); }
    const n = a.gridHeight * a.gridWidth;
    const lut = colormap();
    for (let b = 0; b < a.blocks; b++) {
      const l = document.createElement('span'); l.className = 'head'; l.textContent = `block ${b}`; grid.appendChild(l);
      for (let h = 0; h < a.heads; h++) {
        const row = values.subarray((b * a.heads + h) * n, (b * a.heads + h + 1) * n);
        let max = 0;
        for (const v of row) max = Math.max(max, v);
        const canvas = document.createElement('canvas');
        canvas.className = 'attention-map';
        canvas.width = a.gridWidth; canvas.height = a.gridHeight;
        canvas.title = `block ${b}, head ${h}`;
        const context = canvas.getContext('2d');
        const img = context.createImageData(a.gridWidth, a.gridHeight);
        for (let i = 0; i < n; i++) {
          const c = 3 * Math.round(255 * (max > 0 ? row[i] / max : 0));
          img.data[4 * i] = lut[c]; img.data[4 * i + 1] = lut[c + 1]; img.data[4 * i + 2] = lut[c + 2]; img.data[4 * i + 3] = 255;
        }
        // The clicked patch, framed in white.
        const q = 4 * patch;
        img.data[q] = 255; img.data[q + 1] = 255; img.data[q + 2] = 255;
        context.putImageData(img, 0, 0);
        grid.appendChild(canvas);
      }
    }
    $('attention-title').textContent = `patch ${patch} (row ${a.row}, column ${a.col}): its attention row per block and head`;
  } catch (e) { showError(e.message); }
}

// ---- curves ------------------------------------------------------------------------------------------------------

async function curves() {
  if (!state.view) return;
  const maps = [...state.view.gridMaps];
  const spec = fusionSpec();
  if (spec && spec.includes('+')) maps.push(spec);
  const bar = $('curves-progress');
  bar.hidden = false; bar.max = maps.length; bar.value = 0;
  $('curves').disabled = true;
  try {
    const result = await streamJson('/api/curves', { view: state.view.view, maps, fusion: $('fusion-rule').value, steps: 32 }, (line) => {
      if (line.queued) setStatus(`curves: position ${line.queued} in the queue`);
      if (line.progress) { bar.value = line.progress.done; setStatus(`curves: ${line.progress.done}/${line.progress.total} maps`); }
    });
    showCurves(result);
    setStatus('curves done');
  } catch (e) {
    if (!isAbort(e)) showError(e.message);
  } finally {
    bar.hidden = true;
    $('curves').disabled = false;
  }
}

function showCurves(result) {
  const out = $('curves-out');
  out.replaceChildren();
  const table = document.createElement('table');
  table.innerHTML = '<tr><th>map</th><th>deletion AUC ↓</th><th>insertion AUC ↑</th></tr>';
  for (const c of result.curves) {
    const row = table.insertRow();
    row.insertCell().textContent = c.map;
    row.insertCell().textContent = c.deletionAuc.toFixed(3);
    row.insertCell().textContent = c.insertionAuc.toFixed(3);
  }
  out.appendChild(table);
  out.appendChild(plot(result.curves, 'deletion'));
  out.appendChild(plot(result.curves, 'insertion'));
}

function plot(list, kind) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 200 110');
  const title = document.createElementNS(ns, 'text');
  title.setAttribute('x', '4'); title.setAttribute('y', '10'); title.setAttribute('font-size', '8');
  title.textContent = `${kind} (probability of the class)`;
  svg.appendChild(title);
  list.forEach((c, i) => {
    const values = c[kind];
    const points = values.map((v, j) => `${(5 + 190 * j / (values.length - 1)).toFixed(1)},${(105 - 90 * v).toFixed(1)}`).join(' ');
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', `hsl(${(i * 47) % 360} 60% 40%)`);
    line.setAttribute('stroke-width', '1');
    const tip = document.createElementNS(ns, 'title');
    tip.textContent = c.map;
    line.appendChild(tip);
    svg.appendChild(line);
  });
  return svg;
}

// ---- wiring ------------------------------------------------------------------------------------------------------

function wire() {
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) uploadFile(e.dataTransfer.files[0]);
  });
  $('file').addEventListener('change', () => { if ($('file').files.length) uploadFile($('file').files[0]); });
  $('demo').addEventListener('change', () => {
    if ($('demo').value !== '') useImage(() => getJson(`/api/images/demo/${$('demo').value}`, { method: 'POST' }));
  });
  $('folder').addEventListener('change', () => {
    if ($('folder').value !== '') useImage(() => getJson(`/api/images/folder?name=${encodeURIComponent($('folder').value)}`, { method: 'POST' }));
  });
  $('target').addEventListener('change', () => {
    const text = $('target').value.trim();
    if (!text) { state.target = null; explain(); return; }
    const index = text.match(/^(\d+)/) ? Number(text.match(/^(\d+)/)[1]) : state.model.classes.findIndex((n) => n.toLowerCase() === text.toLowerCase());
    if (index < 0 || index >= state.model.classes.length) { showError(`class '${text}' is not one of the model's classes`); return; }
    state.target = index;
    explain();
  });
  $('opacity').addEventListener('input', () => { if (state.view) { drawOverlays(); scores(); if (state.fused) drawFused(); } });
  $('colormap').addEventListener('change', () => { if (state.view) { drawOverlays(); scores(); if (state.fused) drawFused(); if (state.patch !== null) attention(state.patch); fuse(); } });
  $('fusion-rule').addEventListener('change', fuse);
  $('threshold-mode').addEventListener('change', () => {
    $('topk-row').hidden = $('threshold-mode').value !== 'top';
    $('fixed-row').hidden = $('threshold-mode').value !== 'fixed';
    fuse(); scores();
  });
  $('topk').addEventListener('input', () => { $('topk-value').textContent = $('topk').value; fuse(); scores(); });
  $('fixed').addEventListener('input', () => { $('fixed-value').textContent = Number($('fixed').value).toFixed(2); fuse(); scores(); });
  $('mask-file').addEventListener('change', async () => {
    if (!state.image || !$('mask-file').files.length) return;
    const file = $('mask-file').files[0];
    try {
      state.image = await getJson(`/api/images/${state.image.id}/mask?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file });
      await fuse(); await scores();
    } catch (e) { showError(e.message); }
  });
  $('curves').addEventListener('click', curves);
}

wire();
loadModel().catch((e) => showError(`could not load the model description: ${e.message}`));
