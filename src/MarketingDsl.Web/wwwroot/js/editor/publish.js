// Publishing (publisher, admin; `mdsl serve` only): a preview of what the publication changes and
// whom it ends, then the confirmation.
import { postForAnswer } from './api.js';
import { T, el, setStatus, unsavedBuffers } from './state.js';
import { showTab, sourceLink } from './panel.js';

function renderNames(list, label, names) {
  const item = el('li', null, label + ': ');
  item.append(names.length ? names.join(', ') : T('editor.publishnone'));
  list.append(item);
}

function renderEnds(body, ends) {
  if (!ends.length) return;
  const table = el('table', 'publish-ends');
  const head = el('tr');
  for (const key of ['editor.publishjourney', 'editor.publishreason', 'editor.publishcount']) head.append(el('th', null, T(key)));
  table.append(head);
  for (const end of ends) {
    const row = el('tr');
    row.append(el('td', null, end.journey), el('td', null, end.reason), el('td', null, String(end.count)));
    table.append(row);
  }
  body.append(table);
}

function renderRefusal(body, answer) {
  body.append(el('p', 'error', answer.status === 422 && answer.json.diagnostics ? T('editor.publisherrors') : T('editor.publishfailed') + ' ' + (answer.json.error || ('HTTP ' + answer.status))));
  if (!answer.json.diagnostics) return;
  const list = el('ul', 'publish-diagnostics');
  for (const d of answer.json.diagnostics) {
    const item = sourceLink(el('li', 'problem error'), { path: d.file, line: d.start.line, column: d.start.column });
    item.append(el('span', 'where', d.file + ':' + d.start.line + ':' + d.start.column), ' ', el('span', 'code', d.code), ' ', d.message);
    list.append(item);
  }
  body.append(list);
}

export async function previewPublish() {
  showTab('publish');
  const body = document.getElementById('publish-body');
  body.replaceChildren();
  const unsaved = unsavedBuffers();
  if (unsaved.length) { body.append(el('p', 'error', T('editor.publishunsaved') + ' ' + unsaved.map((b) => b.path).join(', '))); return; }
  body.append(el('p', 'hint', T('editor.publishpreviewing')));
  const answer = await postForAnswer('/api/publish/preview', {});
  body.replaceChildren();
  if (!answer.ok) { renderRefusal(body, answer); return; }
  const p = answer.json;
  body.append(el('h3', null, T('editor.publishpreview')));
  body.append(el('p', null, p.files + ' ' + T('editor.publishfiles') + ' ' + p.hash.slice(0, 12) + ' · ' + p.journeys + ' ' + T('editor.publishjourneys')));
  const changes = el('ul', 'publish-changes');
  renderNames(changes, T('editor.publishadded'), p.added);
  renderNames(changes, T('editor.publishremoved'), p.removed);
  renderNames(changes, T('editor.publishchanged'), p.stepsChanged);
  body.append(changes);
  body.append(el('p', 'publish-counts', p.continued + ' ' + T('editor.publishcontinued') + ' · ' + p.endedCount + ' ' + T('editor.publishended')));
  renderEnds(body, p.ends);
  const confirm = el('button', 'primary', T('editor.publishconfirm'));
  confirm.type = 'button';
  confirm.id = 'publish-confirm';
  confirm.addEventListener('click', () => confirmPublish(p.hash, confirm));
  body.append(confirm);
}

async function confirmPublish(hash, button) {
  button.disabled = true;
  setStatus(T('editor.publishing'));
  const answer = await postForAnswer('/api/publish', { hash });
  setStatus('');
  const body = document.getElementById('publish-body');
  body.replaceChildren();
  if (!answer.ok) { renderRefusal(body, answer); return; }
  const r = answer.json;
  const done = el('p', 'published', T('editor.published') + ' ');
  const link = el('a', null, '#' + r.publication.id);
  link.href = '/Publications';
  done.append(link, ' · ' + r.continued + ' ' + T('editor.publishcontinued') + ' · ' + r.endedCount + ' ' + T('editor.publishendedwere'));
  body.append(done);
  renderEnds(body, r.ends);
}

