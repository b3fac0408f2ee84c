// The Results page: one journey's results (drawn by results-view.js, the view the Simulation
// page's journey replay shares) from the live runtime (GET /api/journeys/NAME/results, polled) or from a replay's journeys.json
// opened from disk (the same JSON per journey: ResultsJson on the server). CSV export of the tables.
import { pageConfig, request, format, showError, element as html } from './pages.js';
import * as resultsView from './results-view.js';

const { config, T } = pageConfig('results-config');
const $ = (id) => document.getElementById(id);
const POLL_SECONDS = 5;
const live = !!(config.extra && config.extra.live);

const state = { source: live ? 'live' : 'none', journey: null, results: null, replay: null };

// ------------------------------------------------------------------ sources

function journeys() {
  if (state.source === 'file' && state.replay) return Object.entries(state.replay.journeys).map(([name, j]) => ({ name, label: j.label }));
  return (config.extra && config.extra.journeys) || [];
}

function fillJourneys() {
  const select = $('results-journey');
  const current = select.value;
  select.replaceChildren();
  for (const j of journeys()) {
    const option = html('option', '', j.label ? `${j.label} · ${j.name}` : j.name);
    option.value = j.name;
    select.appendChild(option);
  }
  if (journeys().some((j) => j.name === current)) select.value = current;
}

const fromReplay = (name) => resultsView.fromReplay(state.replay, name);

async function load() {
  const name = $('results-journey').value;
  state.journey = name;
  if (!name) {
    $('results-view').hidden = true;
    $('results-source').textContent = live ? T('results.none') : T('results.source.none');
    document.body.dataset.resultsReady = 'true';
    return;
  }
  try {
    if (state.source === 'file') {
      state.results = fromReplay(name);
      $('results-source').textContent = format(T('results.source.file'), state.replay.file, state.replay.from, state.replay.to);
    } else {
      const query = new URLSearchParams();
      if ($('results-from').value.trim()) query.set('from', $('results-from').value.trim());
      if ($('results-to').value.trim()) query.set('to', $('results-to').value.trim());
      state.results = await request(`/api/journeys/${encodeURIComponent(name)}/results?${query}`);
      $('results-source').textContent = format(T('results.source.live'), POLL_SECONDS, new Date().toISOString().replace('T', ' ').slice(0,
          19) + ' UTC');
    }
    showError($('results-error'), null);
    resultsView.render(state.results, { T, language: config.language });
  } catch (error) {
    showError($('results-error'), error);
  }
  document.body.dataset.resultsReady = 'true';
}

// ------------------------------------------------------------------ CSV

function csv() {
  const r = state.results;
  if (!r) return;
  const quote = (v) => { const s = String(v ?? ''); return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; };
  const columns = ['entered', 'sent', 'delivered', 'failed', 'opened', 'clicked', 'converted', 'converted_held_out', 'revenue', 'cost', 'roi'];
  const lines = [['journey', 'slice', 'key', ...columns].join(',')];
  const add = (slice, key, c) => lines.push([r.journey, slice, key, ...columns.map((k) => c[k] ?? '')].map(quote).join(','));
  add('total', '', r.funnel);
  for (const [day, c] of Object.entries(r.by_day || {})) add('day', day, c);
  for (const [channel, c] of Object.entries(r.by_channel || {})) add('channel', channel, c);
  for (const [step, c] of Object.entries(r.by_step || {})) add('step', step + ' ' + c.step, c);
  for (const [model, m] of Object.entries(r.attribution || {})) if (m && typeof m === 'object' && 'conversions' in m) add('attribution',
      model, { converted: m.conversions, revenue: m.revenue });
  const blob = new Blob([lines.join('\n') + '\n'], { type: 'text/csv' });
  const link = html('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${r.journey}-results.csv`;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

// ------------------------------------------------------------------ wiring

$('results-journey').addEventListener('change', load);
$('results-from').addEventListener('change', load);
$('results-to').addEventListener('change', load);
$('results-csv').addEventListener('click', csv);
$('results-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const json = JSON.parse(await file.text());
    if (!json.journeys || typeof json.journeys !== 'object') throw new Error('not a journeys.json (no "journeys")');
    state.replay = Object.assign(json, { file: file.name });
    state.source = 'file';
    fillJourneys();
    await load();
  } catch (error) {
    showError($('results-error'), error);
  }
});

fillJourneys();
load();
if (live) setInterval(() => { if (state.source === 'live' && !document.hidden) load(); }, POLL_SECONDS * 1000);
