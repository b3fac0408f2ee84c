// The file and journey pickers and the counts on the nodes: a replay's journeys.json from the data
// root, or under `mdsl serve` the live runtime's, polled.
import { state, config, T, $, call, format } from './state.js';
import { dropPendingRedraws, redraw, setText, showDiff } from './text.js';
import { render } from './graph.js';

export async function loadFiles() {
  const [{ files }, journeys, { replays }] = await Promise.all([call('/api/files'), call('/api/canvas/journeys'), call('/api/canvas/replays')]);
  const select = $('canvas-file');
  select.replaceChildren(...files.filter((f) => f.endsWith('.mdsl')).map((f) => new Option(f, f)));
  const wanted = config.extra?.file || journeys[0]?.path || files[0];
  if (wanted && ![...select.options].some((o) => o.value === wanted)) select.append(new Option(wanted, wanted));
  select.value = wanted || '';
  const replay = $('canvas-replay');
  if (config.extra?.live) replay.append(new Option(T('canvas.live'), LIVE));
  for (const r of replays) replay.append(new Option(r.folder, r.folder));
  if (config.extra?.live) replay.value = LIVE;
  select.addEventListener('change', () => openFile(select.value, null));
  $('canvas-journey').addEventListener('change', () => { state.journey = $('canvas-journey').value; state.selected = null; redraw(); loadCounts(); });
  replay.addEventListener('change', () => loadCounts());
  if (wanted) await openFile(wanted, config.extra?.journey || null);
}

// A file switch makes every answer still on its way for the file before stale: a later read, graph
// or edit answer of another file must never land in this one (nor its journey become this file's).
let fileTicket = 0;

export async function openFile(path, journey) {
  const ticket = ++fileTicket;
  dropPendingRedraws();
  state.path = path;
  state.journey = journey;
  state.selected = null;
  state.history = [];
  let text = '';
  try { text = (await call('/api/files/read?path=' + encodeURIComponent(path))).text; } catch { text = ''; }
  if (ticket !== fileTicket) return;
  state.saved = text;
  showDiff('', '');
  setText(text);
  await redraw();
  await loadCounts();
}

// Under `mdsl serve` the counts come from the live runtime, polled; otherwise from a replay's journeys.json.
const LIVE = '@live';
const POLL_SECONDS = 5;
let pollTimer = null;
let countsTicket = 0;

export async function loadCounts(poll = false) {
  const replay = $('canvas-replay').value;
  const ticket = ++countsTicket;
  clearTimeout(pollTimer);
  const before = JSON.stringify(state.counts?.nodes ?? null);
  if (!poll) { state.counts = null; $('canvas-counts-source').textContent = ''; }
  if (replay && state.journey) {
    const journey = encodeURIComponent(state.journey);
    try {
      const counts = replay === LIVE ? await call(`/api/canvas/counts/live?journey=${journey}`)
        : await call(`/api/canvas/counts?replay=${encodeURIComponent(replay)}&journey=${journey}`);
      if (ticket !== countsTicket) return;
      state.counts = counts;
      $('canvas-counts-source').textContent = replay === LIVE
        ? format(T('canvas.source.live'), new Date().toLocaleTimeString(config.language === 'zh-CN' ? 'zh-CN' : 'en-GB'), POLL_SECONDS)
        : format(T('canvas.source.replay'), counts.replay, counts.from || '?', counts.to || '?');
    } catch (e) {
      if (ticket !== countsTicket) return;
      $('canvas-counts-source').textContent = e.message;
    }
    if (replay === LIVE) pollTimer = setTimeout(() => { if (ticket === countsTicket) loadCounts(true); }, POLL_SECONDS * 1000);
  }
  $('canvas-counts-source').dataset.source = replay === LIVE ? 'live' : replay ? 'replay' : '';
  if (!poll) render();
  else if (JSON.stringify(state.counts?.nodes ?? null) !== before) render(true);
}
