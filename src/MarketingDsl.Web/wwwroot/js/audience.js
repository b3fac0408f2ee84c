// The audience diff page: compare the working copy (the editor's unsaved buffers in the saved files)
// with the last saved files, a saved version, or a Git revision; or two Git revisions,
// on one data folder as of one instant (POST /api/audience/diff) and show who was added to and
// removed from each segment and segmentation group, and how many users' tag values changed.
import * as pages from './pages.js';

const { config, T } = pages.pageConfig('diff-config');
const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat();

const { request, cell, utc, drafts, userLinks } = pages;
const showError = (error) => pages.showError($('diff-error'), error);

const caption = (x) => x.label ? `${x.label} · ${x.name}` : x.name;
const presence = (x) => x.presence === 'both' ? '' : ` (${T('diff.only.' + x.presence)})`;

async function load() {
  const [folders, sources] = await Promise.all([request('/api/data-folders'), request('/api/audience/sources')]);
  $('diff-folder').replaceChildren(...folders.folders.map((f) => new Option(f, f)));
  const versions = $('diff-version');
  versions.replaceChildren(...sources.versions.map((v) => new Option(`#${v.id} ${v.path} · ${v.author} · ${utc(v.savedUtc)}`, v.id)));
  if (sources.versions.length === 0) versions.appendChild(new Option(T('diff.noversions'), ''));
  const commits = $('diff-commits');
  commits.replaceChildren(...sources.git.commits.map((c) => { const o = document.createElement('option'); o.value = c.hash;
      o.label = `${c.hash.slice(0, 8)} ${c.subject}`; return o; }));
  if (!sources.git.isRepository) {
    $('diff-git-note').textContent = T('diff.nogit');
    $('diff-mode-git').disabled = true;
  }
}

function changeRow(body, item, indent) {
  const row = body.insertRow();
  row.dataset.name = item.name;
  cell(row, (indent ? '  ' : '') + caption(item) + presence(item), indent ? 'group' : '');
  cell(row, number.format(item.before), 'num');
  cell(row, number.format(item.after), 'num');
  cell(row, item.added ? '+' + number.format(item.added) : '0', 'num' + (item.added ? ' add' : ''));
  cell(row, item.removed ? '−' + number.format(item.removed) : '0', 'num' + (item.removed ? ' del' : ''));
  // Each id opens the user page on the diff's data as of its instant.
  userLinks(cell(row, '', 'ids'), item.addedSample, lastDiff.folder, lastDiff.asOfUtc);
  userLinks(cell(row, '', 'ids'), item.removedSample, lastDiff.folder, lastDiff.asOfUtc);
}

// Only what changed is listed; the rest is counted, and shown on request.
const changedGroup = (x) => x.presence !== 'both' || x.added > 0 || x.removed > 0;
let lastDiff = null;

function render(diff) {
  lastDiff = diff;
  const all = $('diff-show-unchanged').checked;
  let hidden = 0;
  $('diff-result').hidden = false;
  $('diff-result-title').textContent =
    `${diff.before} → ${diff.after} · ${diff.folder} · ${utc(diff.asOfUtc)} UTC · ${number.format(diff.users)} ${T('diff.users')}`;
  const segments = $('diff-segments').tBodies[0];
  segments.replaceChildren();
  for (const s of diff.segments) {
    if (all || changedGroup(s)) changeRow(segments, s, false); else hidden++;
  }
  const groups = $('diff-segmentations').tBodies[0];
  groups.replaceChildren();
  for (const s of diff.segmentations) {
    const changed = s.groups.filter(changedGroup);
    if (!all && s.presence === 'both' && changed.length === 0) { hidden += 1; continue; }
    const head = groups.insertRow();
    head.className = 'segmentation';
    const th = cell(head, caption(s) + presence(s));
    th.colSpan = 7;
    for (const g of s.groups) {
      if (all || changedGroup(g)) changeRow(groups, g, true); else hidden++;
    }
  }
  const tags = $('diff-tags').tBodies[0];
  tags.replaceChildren();
  // Changed tags first, each group in declaration order.
  const unchangedTag = (t) => t.changed === 0 && t.presence === 'both';
  const ordered = diff.tags.filter((t) => !unchangedTag(t)).concat(diff.tags.filter(unchangedTag));
  for (const t of ordered) {
    if (!all && unchangedTag(t)) { hidden++; continue; }
    const row = tags.insertRow();
    row.dataset.name = t.name;
    cell(row, caption(t) + presence(t));
    cell(row, number.format(t.changed), 'num' + (t.changed ? ' changed' : ''));
  }
  const shown = segments.rows.length + groups.rows.length + tags.rows.length;
  $('diff-hidden').textContent = (shown === 0 ? T('diff.nochanges') + ' ' : '') + (hidden ? `${number.format(hidden)} ${T('diff.unchanged')}` : '');
  document.body.dataset.diff = 'done';
}

async function compare(event) {
  event.preventDefault();
  showError(null);
  // Every mode's "after" side is the working copy (unless a second Git revision is named).
  const body = { folder: $('diff-folder').value, asOf: $('diff-asof').value, buffers: drafts() };
  if ($('diff-mode-git').checked) { body.gitFrom = $('diff-git-from').value; body.gitTo = $('diff-git-to').value; }
  else if ($('diff-mode-version').checked) body.versionId = $('diff-version').value ? Number($('diff-version').value) : null;
  $('diff-run').disabled = true;
  $('diff-status').textContent = T('diff.running');
  try {
    render(await pages.post(config, '/api/audience/diff', body));
  } catch (error) {
    showError(error);
  } finally {
    $('diff-run').disabled = false;
    $('diff-status').textContent = '';
  }
}

async function start() {
  $('diff-form').addEventListener('submit', config.canRun ? compare : (e) => e.preventDefault());
  $('diff-show-unchanged').addEventListener('change', () => { if (lastDiff) render(lastDiff); });
  const paths = drafts().map((d) => d.path);
  $('diff-working').textContent = paths.length ? '(' + paths.join(', ') + ')' : '';
  try { await load(); } catch (error) { showError(error); }
  document.body.dataset.ready = 'true';
}

start();
