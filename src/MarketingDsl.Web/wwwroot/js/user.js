// The user page: one user of a data folder as the working copy (saved files with the editor's unsaved
// buffers) sees them, from /api/user-page: profile, segments, groups, journeys, every tag with its
// definition (linked to its line in the editor), and the latest events.
import * as pages from './pages.js';

const { config, T } = pages.pageConfig('user-config');
const $ = (id) => document.getElementById(id);
const { request, cell, utc, element, format } = pages;

const value = (v) => (v.isNull ? T('user.empty') : v.value === 'true' ? T('user.true') : v.value === 'false' ? T('user.false') : v.value);
const caption = (o) => (o.label ? `${o.label} (${o.name})` : o.name);

function showError(error) { pages.showError($('user-error'), error); }

function head(table, names) {
  table.replaceChildren();
  const row = table.createTHead().insertRow();
  for (const n of names) row.appendChild(element('th', '', n));
  return table.createTBody();
}

/** A link to the declaration in the editor, with its source text below. */
function definition(td, d) {
  if (!d) return;
  const link = element('a', 'src', `${d.path}:${d.line}`);
  link.href = '/?file=' + encodeURIComponent(d.path);
  td.append(link, element('pre', 'definition', d.text));
}

function render(answer) {
  const u = answer.user;
  $('user-result').hidden = false;
  $('user-title-id').textContent = u.userId;
  $('user-meta').textContent = format(T('user.meta'), u.userId, u.folder, utc(u.asOfUtc) + ' UTC');

  let body = head($('user-profile'), [T('user.field'), T('user.value')]);
  for (const f of u.profile) { const row = body.insertRow(); cell(row, f.name); cell(row, value(f)); }

  body = head($('user-segments'), [T('user.name'), T('user.state'), T('user.definition')]);
  for (const s of u.segments) {
    const row = body.insertRow();
    row.dataset.name = s.name;
    row.dataset.member = s.value;
    cell(row, caption(s));
    cell(row, s.value === 'true' ? T('user.in') : T('user.notin'), s.value === 'true' ? 'member' : '');
    definition(cell(row, ''), s.definition);
  }

  body = head($('user-groups'), [T('user.name'), T('user.state'), T('user.definition')]);
  for (const g of u.groups) {
    const row = body.insertRow();
    row.dataset.name = g.name;
    row.dataset.group = g.group || '';
    cell(row, caption(g));
    cell(row, g.groupLabel ? `${g.groupLabel} (${g.group})` : (g.group || ''), 'member');
    definition(cell(row, ''), g.definition);
  }

  $('user-journeys-note').textContent = u.journeySource === 'live' ? T('user.journeys.live')
    : format(T('user.journeys.replay'), '30') + (answer.live === 'denied' ? ' ' + T('user.journeys.live.denied') : '');
  body = head($('user-journeys'), [T('user.journey'), T('user.state'), T('user.entered'), T('user.step'), T('user.waituntil')]);
  if (!u.journeys.length) { const row = body.insertRow(); cell(row, T('user.nojourneys')).colSpan = 5; }
  for (const j of u.journeys) {
    const row = body.insertRow();
    row.dataset.name = j.journey;
    cell(row, j.label ? `${j.label} (${j.journey})` : j.journey);
    cell(row, (j.inFlight ? T('user.inflight') : T('user.ended') + (j.outcome ? ` (${j.outcome})` : '')) +
        (j.heldOut ? ' · ' + T('user.heldout') : ''),
      j.inFlight ? 'member' : '');
    cell(row, j.enteredUtc ? utc(j.enteredUtc) : '');
    const step = cell(row, '');
    if (j.step) {
      const link = element('a', 'src', `${j.stepPath}:${j.stepLine}`);
      link.href = '/?file=' + encodeURIComponent(j.stepPath);
      step.append(link, ' ', element('code', '', j.step));
    }
    cell(row, j.waitUntilUtc ? utc(j.waitUntilUtc) : '');
  }

  body = head($('user-tags'), [T('user.tag'), T('user.value'), T('user.definition')]);
  for (const t of u.tags) {
    const row = body.insertRow();
    row.dataset.name = t.name;
    cell(row, caption(t)).title = t.type;
    cell(row, value(t));
    definition(cell(row, ''), t.definition);
  }

  $('user-events-note').textContent = format(T('user.events.count'), u.events.length, u.eventCount);
  body = head($('user-events'), [T('user.time'), T('user.type'), T('user.fields')]);
  if (!u.events.length) { const row = body.insertRow(); cell(row, T('user.noevents')).colSpan = 3; }
  for (const e of u.events) {
    const row = body.insertRow();
    cell(row, utc(e.tsUtc));
    cell(row, e.type);
    cell(row, e.fields.map((f) => `${f.name}: ${value(f)}`).join(' · '));
  }
}

async function show(event) {
  if (event) event.preventDefault();
  showError(null);
  const id = $('user-id').value.trim();
  const folder = $('user-folder').value;
  if (!id || !folder) return;
  const asOf = $('user-asof').value.trim();
  const url = new URL(location.href);
  url.searchParams.set('id', id);
  url.searchParams.set('folder', folder);
  if (asOf) url.searchParams.set('asOf', asOf); else url.searchParams.delete('asOf');
  url.searchParams.delete('lang');
  history.replaceState(null, '', url.pathname + url.search);
  $('user-status').textContent = T('user.loading');
  document.body.dataset.shown = '';
  try {
    render(await pages.post(config, '/api/user-page', { id, folder, asOf, buffers: pages.drafts() }));
    document.body.dataset.shown = id;
  } catch (error) {
    $('user-result').hidden = true;
    showError(error);
    document.body.dataset.shown = 'error';
  } finally {
    $('user-status').textContent = '';
  }
}

async function start() {
  const query = new URLSearchParams(location.search);
  $('user-form').addEventListener('submit', config.canRun ? show : (e) => e.preventDefault());
  try {
    const folders = (await request('/api/data-folders')).folders;
    $('user-folder').replaceChildren(...folders.map((f) => new Option(f, f)));
  } catch (error) {
    showError(error);
  }
  $('user-id').value = query.get('id') || '';
  if (query.get('folder')) $('user-folder').value = query.get('folder');
  $('user-asof').value = query.get('asOf') || '';
  document.body.dataset.ready = 'true';
  if (config.canRun && $('user-id').value && $('user-folder').value) await show();
}

start();
