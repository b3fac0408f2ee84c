// The simulation page: run the working copy (the saved files with the editor's unsaved buffers) on a data folder (POST /api/simulations), poll its
// progress, draw the stored result (segment and group sizes, tag distributions as SVG, data
// quality, sample users) and list earlier runs, any of which can be reopened.
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('sim-config').textContent);
  const T = (key) => (config.texts && config.texts[key]) || key;
  const $ = (id) => document.getElementById(id);
  const number = new Intl.NumberFormat();
  const POLL_MS = 300;
  let shown = null;   // the run on screen

  window.mdslSimulation = { get shown() { return shown; } };

  const { request, cell, utc } = window.mdslPages;
  const post = (url, body) => window.mdslPages.post(config, url, body);
  const showError = (error) => window.mdslPages.showError($('sim-error'), error, 'sim-diagnostics');

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
      showError(new Error(T('sim.failed') + ' ' + (run.error || run.status)));
      result.hidden = true;
      document.body.dataset.simulation = run.status;
      return;
    }
    const meta = [`${number.format(run.users)} ${T('sim.users')}`, `${run.author}`,
      `${T('sim.load')} ${Math.round(run.loadMs)} ms${run.dataFromCache ? ' (' + T('sim.cache') + ')' : ''}`, `${T('sim.evaluate')} ${Math.round(run.evaluateMs)} ms`, `${T('sim.summarise')} ${Math.round(run.summariseMs)} ms`];
    if (run.buffers && run.buffers.length) meta.push(T('sim.buffers') + ' ' + run.buffers.join(', '));
    $('sim-result-meta').textContent = meta.join(' · ');
    $('sim-warnings').replaceChildren(...run.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));

    const quality = $('sim-quality').tBodies[0];
    quality.replaceChildren();
    for (const q of run.quality) { const row = quality.insertRow(); row.dataset.name = q.name; cell(row, T('sim.q.' + q.name)); cell(row, number.format(q.value), 'num'); }
    $('sim-rejects').replaceChildren(...run.rejectSamples.map((r) => Object.assign(document.createElement('li'), { textContent: r })));

    $('sim-segments').replaceChildren(window.mdslCharts.bars(run.segments, { total: run.users, className: 'chart-bars segments-chart' }));
    $('sim-segmentations').replaceChildren(...run.segmentations.map((s) => figure(s.label ? `${s.label} · ${s.name}` : s.name,
      window.mdslCharts.bars(s.groups, { total: run.users }))));
    $('sim-tags').replaceChildren(...run.tags.map(tagFigure));

    const select = $('sim-sample-key');
    select.replaceChildren(...run.samples.map((s) => new Option((s.label ? s.label + ' · ' : '') + s.key + ` (${number.format(s.total)})`, s.key)));
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

  function tagFigure(tag) {
    // true/false in the UI language.
    const items = tag.buckets.map((b) => ({ name: tag.type.startsWith('bool') && (b.name === 'true' || b.name === 'false') ? T('sim.' + b.name) : b.name, count: b.count }));
    if (tag.otherValues > 0) items.push({ name: T('sim.other'), count: tag.otherValues, muted: true });
    if (tag.empty > 0) items.push({ name: T('sim.empty'), count: tag.empty, muted: true });
    const chart = tag.kind === 'values'
      ? window.mdslCharts.bars(items, { labelWidth: 130, barWidth: 140, row: 18 })
      : window.mdslCharts.columns(items, {});
    const title = (tag.label ? `${tag.label} · ` : '') + `${tag.name}: ${tag.type}`;
    // A tag that reads an untrained or stale model is empty because of the model, not the data.
    if (tag.notScoredModel) {
      const note = document.createElement('p');
      note.className = 'tag-note';
      note.textContent = T('sim.notscored.' + tag.notScoredState).replace('{0}', tag.notScoredModel);
      const box = figure(title, note);
      box.dataset.tag = tag.name;
      box.dataset.notScored = tag.notScoredModel;
      return box;
    }
    const box = figure(title, chart);
    box.dataset.tag = tag.name;
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
      cell(row, '').append(window.mdslPages.userLink(user.id, run.folder, run.asOfUtc));
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
      const started = await post('/api/simulations', { folder: $('sim-folder').value, asOf: $('sim-asof').value, buffers: window.mdslPages.drafts() });
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
    const paths = window.mdslPages.drafts().map((d) => d.path);
    $('sim-working').hidden = paths.length === 0;
    $('sim-working').textContent = paths.length ? `${T('sim.workingcopy')} ${paths.join(', ')}` : '';
  }

  async function start() {
    showWorkingCopy();
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
})();
