// The Models page: each declared model with its registry state and the report of its last training
// (GET /api/models, the report as `mdsl train --report` writes it), drawn with inline SVG charts
// (calibration by decile, permutation importance); the Train action (POST /api/models/train) runs
// in the background and is polled for its progress (models done / total, the current model).
import * as pages from './pages.js';
import { svg as el } from './charts.js';

const { config, T } = pages.pageConfig('models-config');
const $ = (id) => document.getElementById(id);
const POLL_MS = 300;
const { request, utc, format, element: html } = pages;
const post = (url, body) => pages.post(config, url, body);
const showError = (error) => pages.showError($('models-error'), error, 'models-diagnostics');

// Report numbers may be "NaN" (a metric undefined on the data): shown as a dash.
const fixed = (value, digits) => typeof value === 'number' && isFinite(value) ? value.toFixed(digits) : '–';
const percent = (value) => typeof value === 'number' && isFinite(value) ? (100 * value).toFixed(0) + '%' : '–';

function figure(title, content, className) {
  const box = html('figure', 'chart' + (className ? ' ' + className : ''));
  box.appendChild(html('figcaption', '', title));
  box.appendChild(content);
  return box;
}

// Predicted (x) against observed (y) rate per decile, with the diagonal of a perfect calibration.
function calibrationChart(bins) {
  const size = 220, pad = 34;
  const svg = el('svg', { class: 'chart-calibration', width: size + pad + 10, height: size + pad + 10,
      viewBox: `0 0 ${size + pad + 10} ${size + pad + 10}`, role: 'img' });
  const x = (v) => pad + v * size, y = (v) => 10 + size - v * size;
  svg.appendChild(el('rect', { x: pad, y: 10, width: size, height: size, class: 'chart-frame' }));
  svg.appendChild(el('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'chart-diagonal' }));
  for (const t of [0, 0.5, 1]) {
    svg.appendChild(el('text', { x: x(t), y: size + 24, 'text-anchor': 'middle', class: 'chart-tick' }, t.toFixed(1)));
    svg.appendChild(el('text', { x: pad - 4, y: y(t) + 4, 'text-anchor': 'end', class: 'chart-tick' }, t.toFixed(1)));
  }
  svg.appendChild(el('text', { x: pad + size / 2, y: size + pad + 6, 'text-anchor': 'middle', class: 'chart-count' }, T('models.predicted')));
  svg.appendChild(el('text', { x: 10, y: 10 + size / 2, transform: `rotate(-90 10 ${10 + size / 2})`, 'text-anchor': 'middle',
      class: 'chart-count' }, T('models.observed')));
  const points = bins.filter((b) => isFinite(b.mean_predicted) && isFinite(b.observed_rate));
  svg.appendChild(el('polyline', { points: points.map((b) => `${x(b.mean_predicted)},${y(b.observed_rate)}`).join(' '), class: 'chart-line' }));
  for (const b of points) {
    const dot = el('circle', { cx: x(b.mean_predicted), cy: y(b.observed_rate), r: 3.5, class: 'chart-dot', 'data-decile': b.decile });
    dot.appendChild(el('title', {}, `${T('models.decile')} ${b.decile}: ${T('models.predicted')} ${fixed(b.mean_predicted, 3)}, ` +
      `${T('models.observed')} ${fixed(b.observed_rate, 3)} (${b.users})`));
    svg.appendChild(dot);
  }
  return svg;
}

// One horizontal bar per feature: the drop in quality when its values are shuffled.
function importanceChart(items) {
  const row = 20, label = 170, bar = 220;
  const height = Math.max(1, items.length) * row + 4;
  const svg = el('svg', { class: 'chart-importance', width: label + bar + 70, height, viewBox: `0 0 ${label + bar + 70} ${height}`, role: 'img' });
  const max = Math.max(1e-9, ...items.map((i) => Math.abs(i.drop) || 0));
  items.forEach((item, index) => {
    const y0 = index * row + 2;
    svg.appendChild(el('text', { x: label - 8, y: y0 + row * 0.68, 'text-anchor': 'end', class: 'chart-label' }, item.feature));
    const w = Math.max(item.drop > 0 ? 1 : 0, Math.round(bar * Math.max(0, item.drop) / max));
    const rect = el('rect', { x: label, y: y0 + 3, width: w, height: row - 6, rx: 2, class: 'sim-bar', 'data-feature': item.feature });
    rect.appendChild(el('title', {}, `${item.feature}: ${fixed(item.drop, 4)}`));
    svg.appendChild(rect);
    svg.appendChild(el('text', { x: label + w + 6, y: y0 + row * 0.68, class: 'chart-count' }, fixed(item.drop, 4)));
  });
  return svg;
}

const table = (headers, rows, id) => pages.table(headers, rows, 'versions', id);

function metrics(pairs) {
  const list = html('dl', 'model-metrics');
  for (const [key, value] of pairs) {
    const item = html('div', 'metric');
    item.dataset.metric = key;
    item.append(html('dt', '', T('models.' + key)), html('dd', '', value));
    list.appendChild(item);
  }
  return list;
}

const NOTES = {
  'backtest skipped: the history is shorter than two horizons plus the longest feature window': 'models.note.shorthistory',
  'backtest skipped: too few labelled users one horizon earlier': 'models.note.fewlabelled',
};

function renderModel(m) {
  const section = html('section', 'model-card');
  section.dataset.model = m.name;
  section.id = 'model-' + m.name;
  section.dataset.state = m.state;
  const title = html('h2', '', (m.label ? m.label + ' · ' : '') + m.name);
  const state = html('span', 'model-state state-' + m.state, T('models.st.' + m.state));
  title.append(' ', state);
  section.appendChild(title);
  const meta = [m.kind + (m.algorithm ? ' (' + m.algorithm + ')' : '')];
  if (m.reason) meta.push(T('models.reason.' + m.reason));
  if (m.trainedAtUtc) meta.push(`${T('models.trainedby')} ${m.trainedBy || '?'} ${T('models.trainedat')} ${utc(m.trainedAtUtc)} UTC`);
  if (m.asOfUtc) meta.push(`${T('models.asofshort')} ${utc(m.asOfUtc)} UTC`);
  if (m.dataFingerprint) meta.push(`${T('models.data')} ${m.dataFingerprint}`);
  section.appendChild(html('p', 'hint model-meta', meta.join(' · ')));
  const r = m.report;
  if (!r) return section;
  const counts = [[`users`, `${r.training_users}`], ['validation', `${r.validation_users}`]];
  if (r.positives !== undefined) counts.push(['positives', `${r.positives}`]);
  if (r.classifier) {
    const c = r.classifier;
    section.appendChild(metrics([['auc', fixed(c.auc, 3)], ['accuracy', fixed(c.accuracy, 3)], ['f1', fixed(c.f1, 3)],
      ['logloss', fixed(c.log_loss, 3)], ['lift', percent(c.lift_quality)], ...counts]));
    const charts = html('div', 'tag-grid');
    charts.appendChild(figure(T('models.calibration'), calibrationChart(c.calibration || []), 'model-calibration'));
    if (r.importance && r.importance.length) charts.appendChild(figure(T('models.importance'), importanceChart(r.importance), 'model-importance'));
    section.appendChild(charts);
  }
  if (r.regression) {
    const g = r.regression;
    section.appendChild(metrics([['r2', fixed(g.r_squared, 3)], ['rmse', fixed(g.rmse, 2)], ['mae', fixed(g.mae, 2)], ...counts]));
    const charts = html('div', 'tag-grid');
    charts.appendChild(figure(T('models.deciles'), table([T('models.decile'), T('models.size'), T('models.predicted'), T('models.actual')],
      (g.deciles || []).map((d) => [String(d.decile), String(d.users), fixed(d.mean_predicted, 2), fixed(d.mean_actual, 2)]))));
    if (r.importance && r.importance.length) charts.appendChild(figure(T('models.importance'), importanceChart(r.importance), 'model-importance'));
    section.appendChild(charts);
  }
  if (r.clusters) {
    const k = r.clusters;
    section.appendChild(metrics([['silhouette', fixed(k.silhouette, 3)], ...counts.slice(0, 1)]));
    const rows = k.sizes.map((size, i) => [String(i + 1), String(size), ...(k.centroids[i] || []).map((v) => fixed(v, 2))]);
    section.appendChild(figure(T('models.clusters'), table([T('models.cluster'), T('models.size'), ...m.features], rows), 'model-clusters'));
  }
  if (r.recommendations) {
    // The recommender and the two baselines on the same time split (LANGUAGE.md §13.1).
    const rows = r.recommendations.map((q) => [q.name, fixed(q.hit_rate, 3), fixed(q.precision, 3), fixed(q.recall, 3), fixed(q.ndcg, 3),
      fixed(q.coverage, 3), String(q.users)]);
    const k = r.recommendations.length ? r.recommendations[0].k : 10;
    section.appendChild(figure(T('models.recommendations'), table([T('models.method'), `hit rate@${k}`, `precision@${k}`, `recall@${k}`,
      `NDCG@${k}`, T('models.coverage'), T('models.size')], rows), 'model-recommendations'));
  }
  if (r.backtest) {
    const b = r.backtest;
    const figures = [[b.auc !== undefined && b.auc !== null ? 'auc' : 'r2', fixed(b.auc ?? b.r_squared, 3)], ['btusers', String(b.users)]];
    const box = html('div', 'model-backtest');
    box.appendChild(html('h3', '', T('models.backtest')));
    box.appendChild(html('p', 'hint', `${T('models.asofshort')} ${utc(b.as_of_utc)} UTC`));
    box.appendChild(metrics(figures));
    section.appendChild(box);
  }
  if (r.notes && r.notes.length) {
    const list = html('ul', 'sim-warnings');
    // The trainer's notes are fixed English sentences; the UI says the known ones in its language.
    for (const note of r.notes) list.appendChild(html('li', '', NOTES[note] ? T(NOTES[note]) : note));
    section.append(html('h3', '', T('models.notes')), list);
  }
  return section;
}

async function load() {
  const data = await request('/api/models');
  const list = $('models-list');
  list.replaceChildren();
  if (data.errors > 0) list.appendChild(html('p', 'error', `${data.errors} ${T('models.errors')}`));
  if (data.models.length === 0) list.appendChild(html('p', 'hint', T('models.none')));
  for (const m of data.models) list.appendChild(renderModel(m));
  return data;
}

async function loadFolders() {
  const data = await request('/api/data-folders');
  $('models-folder').replaceChildren(...data.folders.map((f) => new Option(f, f)));
}

function showProgress(run) {
  $('models-progress').hidden = false;
  $('models-progress-bar').value = run.total > 0 ? run.done / run.total : 0;
  const phase = run.phase === 'training' ? T('models.running') : T('models.' + run.phase);
  $('models-progress-text').textContent = `${phase} ${run.done} / ${run.total}` + (run.current ? ` · ${run.current}` : '');
}

function showOutcome(run) {
  const box = $('models-outcome');
  box.replaceChildren();
  box.hidden = false;
  if (run.status === 'failed') { box.appendChild(html('p', 'error', `${T('models.failed')} ${run.error || ''}`)); return; }
  box.appendChild(html('p', 'hint', format(T('models.done'), run.trained.length, run.total)));
  if (run.diagnostics.length) {
    box.appendChild(html('p', '', T('models.diagnostics')));
    const list = html('ul', 'sim-warnings');
    list.id = 'models-run-diagnostics';
    for (const d of run.diagnostics) {
      const message = (config.language === 'zh-CN' && d.messageZh) || d.message;
      list.appendChild(html('li', '', `${d.path}:${d.line}:${d.column} ${d.code}: ${message}`));
    }
    box.appendChild(list);
  }
}

async function follow(id) {
  for (;;) {
    const run = await request('/api/models/train/' + id);
    showProgress(run);
    if (run.status !== 'queued' && run.status !== 'running') {
      $('models-progress').hidden = true;
      showOutcome(run);
      await load();
      return run;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function train(event) {
  event.preventDefault();
  showError(null);
  $('models-outcome').hidden = true;
  const button = $('models-train');
  button.disabled = true;
  try {
    const run = await post('/api/models/train', { folder: $('models-folder').value, asOf: $('models-asof').value.trim() || null });
    showProgress(run);
    await follow(run.id);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

async function start() {
  try {
    await loadFolders();
    const data = await load();
    // A link from the simulation page (/Models#model-NAME) lands on that model's report, drawn only now.
    if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
    const running = (data.runs || []).find((r) => r.status === 'queued' || r.status === 'running');
    if (running) await follow(running.id);
  } catch (error) {
    showError(error);
  }
  if (config.canRun && $('models-train')) $('models-form').addEventListener('submit', train);
  document.body.dataset.ready = 'true';
}

start();
