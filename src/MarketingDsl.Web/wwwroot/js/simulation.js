// The simulation page: run the working copy (the saved files with the editor's unsaved buffers) on a data folder (POST /api/simulations), poll its
// progress, draw the stored result (segment and group sizes, tag distributions as SVG, data
// quality, sample users) and list earlier runs, any of which can be reopened.
import * as pages from './pages.js';
import { bars, columns } from './charts.js';
import * as resultsView from './results-view.js';

const { config, T } = pages.pageConfig('sim-config');
const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat();
const POLL_MS = 300;
let shown = null;   // the run on screen

const { request, cell, utc, drafts } = pages;
const post = (url, body) => pages.post(config, url, body);
const showError = (error) => pages.showError($('sim-error'), error, 'sim-diagnostics');

async function loadFolders() {
  const data = await request('/api/data-folders');
  const select = $('sim-folder');
  select.replaceChildren(...data.folders.map((f) => new Option(f, f)));
  const note = $('sim-folders-note');
  if (!data.rootExists || data.folders.length === 0) {
    note.hidden = false;
    note.textContent = (data.rootExists ? T('sim.nofolders') : T('sim.noroot')) + ' ' + data.root;
  }
}

async function loadRuns() {
  const data = await request('/api/simulations');
  const body = $('sim-runs').tBodies[0];
  body.replaceChildren();
  if (data.runs.length === 0) { const row = body.insertRow(); cell(row, T('sim.noruns')).colSpan = 5; }
  for (const run of data.runs) {
    const row = body.insertRow();
    row.dataset.id = run.id;
    if (shown && shown.id === run.id) row.className = 'selected';
    const idCell = cell(row, '');
    const link = document.createElement('a');
    link.href = '/Simulation?run=' + run.id;
    link.textContent = '#' + run.id;
    link.addEventListener('click', (e) => { e.preventDefault(); open(run.id); });
    idCell.appendChild(link);
    cell(row, run.folder);
    cell(row, T('sim.st.' + run.status), 'status-' + run.status);
    cell(row, run.status === 'done' ? number.format(run.users) : '');
    cell(row, utc(run.startedUtc));
  }
}

async function open(id) {
  showError(null);
  const data = await request('/api/simulations/' + id);
  if (data.run.status === 'queued' || data.run.status === 'running') return follow(id);
  render(data.run);
  history.replaceState(null, '', '/Simulation?run=' + id);
  await loadRuns();
}

async function follow(id) {
  $('sim-progress').hidden = false;
  for (;;) {
    const data = await request('/api/simulations/' + id);
    const run = data.run;
    if (run.status !== 'queued' && run.status !== 'running') break;
    const p = data.progress || { phase: run.status, fraction: 0, detail: '' };
    $('sim-progress-bar').value = p.fraction;
    $('sim-progress-text').textContent = `#${id} ${T('sim.' + p.phase)} ${Math.round(100 * p.fraction)}% ${p.detail}`;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  $('sim-progress').hidden = true;
  await open(id);
}

function render(run) {
  shown = run;
  const result = $('sim-result');
  result.hidden = false;
  $('sim-result-title').textContent = `${T('sim.result')} #${run.id} · ${run.folder} · ${utc(run.asOfUtc)} UTC`;
  if (run.status !== 'done') {
    showError(new Error(T('sim.failed') + ' ' + ((config.language === 'zh-CN' && run.errorZh) || run.error || run.status)));
    result.hidden = true;
    document.body.dataset.simulation = run.status;
    return;
  }
  const meta = [`${number.format(run.users)} ${T('sim.users')}`, `${run.author}`,
    `${T('sim.load')} ${Math.round(run.loadMs)} ms${run.dataFromCache ? ' (' + T('sim.cache') + ')' : ''}`,
    `${T('sim.evaluate')} ${Math.round(run.evaluateMs)} ms`, `${T('sim.summarise')} ${Math.round(run.summariseMs)} ms`];
  if (run.buffers && run.buffers.length) meta.push(T('sim.buffers') + ' ' + run.buffers.join(', '));
  $('sim-result-meta').textContent = meta.join(' · ');
  // The catalogue's messages in the UI language (runs stored before they were kept in Chinese show English).
  const warnings = config.language === 'zh-CN' && run.warningsZh && run.warningsZh.length === run.warnings.length ? run.warningsZh : run.warnings;
  $('sim-warnings').replaceChildren(...warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));

  const quality = $('sim-quality').tBodies[0];
  quality.replaceChildren();
  for (const q of run.quality) {
    const row = quality.insertRow();
    row.dataset.name = q.name;
    cell(row, T('sim.q.' + q.name));
    cell(row, number.format(q.value), 'num');
  }
  const rejects = config.language === 'zh-CN' && run.rejectSamplesZh && run.rejectSamplesZh.length === run.rejectSamples.length
    ? run.rejectSamplesZh : run.rejectSamples;
  $('sim-rejects').replaceChildren(...rejects.map((r) => Object.assign(document.createElement('li'), { textContent: r })));

  renderCharts(run);

  const select = $('sim-sample-key');
  select.replaceChildren(...run.samples.map((s) => new Option((s.label ? s.label + ' · ' : '') + s.key + ` (${number.format(s.total)})`, s.key)));
  // Open on a sample that has users: an empty segment (an untrained model's) says nothing.
  const first = run.samples.find((s) => s.users.length > 0);
  if (first) select.value = first.key;
  select.onchange = () => renderSample(run);
  renderSample(run);
  document.body.dataset.simulation = 'done';
}

function figure(title, content) {
  const box = document.createElement('figure');
  box.className = 'chart';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  box.append(caption, content);
  return box;
}

// ------------------------------------------------------------------ charts: filter and groups

const matches = (query, ...names) => !query || names.some((n) => n && n.toLowerCase().includes(query));

// A tag's family: its name up to the first underscore (orders_365d, orders_90d → orders).
const family = (name) => { const i = name.indexOf('_'); return i > 0 ? name.slice(0, i) : name; };

// Segments, groups and tags whose name or label contains the filter text; tags in sections by file or family.
function renderCharts(run) {
  const query = $('sim-filter').value.trim().toLowerCase();
  const segments = run.segments.filter((s) => matches(query, s.name, s.label));
  $('sim-segments').replaceChildren(bars(segments, { total: run.users, className: 'chart-bars segments-chart' }));
  $('sim-segmentations').replaceChildren(...run.segmentations
    .filter((s) => matches(query, s.name, s.label) || s.groups.some((g) => matches(query, g.name, g.label)))
    .map((s) => figure(s.label ? `${s.label} · ${s.name}` : s.name, bars(s.groups, { total: run.users }))));
  const tags = run.tags.filter((t) => matches(query, t.name, t.label, t.file));
  const by = $('sim-group').value;
  const box = $('sim-tags');
  box.replaceChildren();
  if (by === 'none') {
    const grid = Object.assign(document.createElement('div'), { className: 'tag-grid' });
    grid.append(...tags.map(tagFigure));
    box.appendChild(grid);
  } else {
    const groups = new Map();
    for (const tag of tags) {
      const key = by === 'file' ? (tag.file || '?') : family(tag.name);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(tag);
    }
    for (const [key, members] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const section = document.createElement('details');
      section.open = true;
      section.className = 'tag-group';
      section.dataset.group = key;
      section.appendChild(Object.assign(document.createElement('summary'), { textContent: `${key} (${members.length})` }));
      const grid = Object.assign(document.createElement('div'), { className: 'tag-grid' });
      grid.append(...members.map(tagFigure));
      section.appendChild(grid);
      box.appendChild(section);
    }
  }
  $('sim-filter-count').textContent = query ? `${tags.length} / ${run.tags.length} ${T('sim.filter.tags')}` : '';
}

// The models a tag reads, each with its quality and training instant, linked to its report on the Models page.
function modelLines(tag) {
  const list = document.createElement('ul');
  list.className = 'tag-models';
  for (const m of tag.models || []) {
    const item = document.createElement('li');
    item.dataset.model = m.name;
    item.dataset.state = m.state;
    const parts = [`${T('sim.model')} ${m.name}`, T('sim.model.st.' + m.state)];
    if (m.value !== null && m.value !== undefined) parts.push(`${m.metric} ${m.value.toFixed(3)}`);
    if (m.trainedAtUtc) parts.push(`${T('sim.model.trainedat')} ${utc(m.trainedAtUtc)} UTC`);
    item.appendChild(document.createTextNode(parts.join(' · ') + ' · '));
    const link = document.createElement('a');
    link.href = '/Models#model-' + encodeURIComponent(m.name);
    link.textContent = T('sim.model.report');
    item.appendChild(link);
    list.appendChild(item);
  }
  return list;
}

function tagFigure(tag) {
  // true/false in the UI language.
  const label = (b) => tag.type.startsWith('bool') && (b.name === 'true' || b.name === 'false') ? T('sim.' + b.name) : b.name;
  const items = tag.buckets.map((b) => ({ name: label(b), count: b.count }));
  if (tag.otherValues > 0) items.push({ name: T('sim.other'), count: tag.otherValues, muted: true });
  if (tag.empty > 0) items.push({ name: T('sim.empty'), count: tag.empty, muted: true });
  const chart = tag.kind === 'values'
    ? bars(items, { labelWidth: 130, barWidth: 140, row: 18 })
    : columns(items, {});
  const title = (tag.label ? `${tag.label} · ` : '') + `${tag.name}: ${tag.type}`;
  let box;
  // A tag that reads an untrained or stale model is empty because of the model, not the data.
  if (tag.notScoredModel) {
    const note = document.createElement('p');
    note.className = 'tag-note';
    note.textContent = pages.format(T('sim.notscored.' + tag.notScoredState), tag.notScoredModel);
    box = figure(title, note);
    box.dataset.notScored = tag.notScoredModel;
  } else {
    box = figure(title, chart);
    // Ranges that are not of equal width say how they were cut.
    if (tag.scale === 'log' || tag.scale === 'quantile') box.appendChild(Object.assign(document.createElement('p'),
      { className: 'tag-scale hint', textContent: T('sim.scale.' + tag.scale) }));
  }
  if (tag.models && tag.models.length) box.appendChild(modelLines(tag));
  box.dataset.tag = tag.name;
  if (tag.scale) box.dataset.scale = tag.scale;
  return box;
}

function renderSample(run) {
  const key = $('sim-sample-key').value;
  const sample = run.samples.find((s) => s.key === key);
  const table = $('sim-sample');
  const head = table.tHead;
  head.replaceChildren();
  const headRow = head.insertRow();
  for (const name of ['user_id', ...run.tagNames]) { const th = document.createElement('th'); th.textContent = name; headRow.appendChild(th); }
  const body = table.tBodies[0];
  body.replaceChildren();
  if (!sample) return;
  for (const user of sample.users) {
    const row = body.insertRow();
    cell(row, '').append(pages.userLink(user.id, run.folder, run.asOfUtc));
    for (const value of user.values) cell(row, value);
  }
  $('sim-sample-count').textContent = `${sample.users.length} ${T('sim.sample.of')} ${number.format(sample.total)}`;
}

async function run(event) {
  event.preventDefault();
  showError(null);
  const button = $('sim-run');
  button.disabled = true;
  try {
    const started = await post('/api/simulations', { folder: $('sim-folder').value, asOf: $('sim-asof').value,
        buffers: drafts() });
    await loadRuns();
    await follow(started.id);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

// The unsaved changes a run includes, named so a result is never mistaken for the saved rules'.
function showWorkingCopy() {
  const paths = drafts().map((d) => d.path);
  $('sim-working').hidden = paths.length === 0;
  $('sim-working').textContent = paths.length ? `${T('sim.workingcopy')} ${paths.join(', ')}` : '';
}

// ------------------------------------------------------------------ journey replay

const replay = { id: null, status: null, json: null };

async function runReplay(event) {
  event.preventDefault();
  const error = $('replay-error');
  pages.showError(error, null, 'replay-diagnostics');
  $('replay-result').hidden = true;
  const button = $('replay-run');
  button.disabled = true;
  try {
    const started = await post('/api/replays', { folder: $('sim-folder').value, from: $('replay-from').value, to: $('replay-to').value,
      buffers: drafts() });
    await followReplay(started.id);
  } catch (e) {
    pages.showError(error, e, 'replay-diagnostics');
    document.body.dataset.replay = replay.status === 'cancelled' ? 'cancelled' : 'failed';
  } finally {
    button.disabled = false;
  }
}

async function followReplay(id) {
  replay.id = id;
  replay.status = 'queued';
  document.body.dataset.replay = 'running';
  $('replay').dataset.run = String(id);
  $('replay-progress').hidden = false;
  $('replay-cancel').hidden = false;
  let run;
  for (;;) {
    run = await request('/api/replays/' + id);
    replay.status = run.status;
    if (run.status !== 'queued' && run.status !== 'running') break;
    $('replay-progress-bar').value = run.fraction;
    $('replay-progress-text').textContent = `#${id} ${T('sim.replay.' + run.phase)} ${Math.round(100 * run.fraction)}%`;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  $('replay-progress').hidden = true;
  $('replay-cancel').hidden = true;
  if (run.status === 'cancelled') throw new Error(T('sim.replay.cancelled'));
  if (run.status !== 'done') throw new Error(T('sim.replay.failed') + ' ' + (run.error || run.status));
  showReplay(run);
}

// Each journey of the replay in the Results page's view, one at a time.
function showReplay(run) {
  replay.json = run.journeys;
  const names = Object.keys(run.journeys.journeys || {});
  if (names.length === 0) throw new Error(T('sim.replay.nojourneys'));
  $('replay-result').hidden = false;
  $('replay-meta').textContent = pages.format(T('sim.replay.meta'), run.id, run.folder, utc(run.fromUtc), utc(run.toUtc), names.length);
  const select = $('replay-journey');
  select.replaceChildren(...names.map((name) => {
    const label = run.journeys.journeys[name].label;
    return new Option(label ? `${label} · ${name}` : name, name);
  }));
  select.onchange = () => drawJourney(select.value);
  drawJourney(names[0]);
  document.body.dataset.replay = 'done';
}

function drawJourney(name) {
  resultsView.render(resultsView.fromReplay(replay.json, name), { T, language: config.language });
  $('replay-result').dataset.journey = name;
}

async function start() {
  showWorkingCopy();
  $('sim-filter').addEventListener('input', () => { if (shown && shown.status === 'done') renderCharts(shown); });
  $('sim-group').addEventListener('change', () => { if (shown && shown.status === 'done') renderCharts(shown); });
  if (config.canRun) {
    $('replay-form').addEventListener('submit', runReplay);
    $('replay-cancel').addEventListener('click', () => post('/api/replays/' + replay.id + '/cancel', {}).catch(() => {}));
  } else {
    $('replay-form').addEventListener('submit', (e) => e.preventDefault());
  }
  if (config.canRun) $('sim-form').addEventListener('submit', run);
  else $('sim-form').addEventListener('submit', (e) => e.preventDefault());
  try {
    await loadFolders();
    await loadRuns();
    const wanted = config.extra && config.extra.run;
    if (wanted) await open(wanted);
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = 'true';
}

start();
