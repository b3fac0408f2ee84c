// Publishing (publisher, admin; `mdsl serve` only): the saved workspace's preview — what the
// publication changes, the users in flight per journey with the choice to continue or end them —
// then the confirmation (twice when many would end); shared with the Publications page's rollbacks.
import { postForAnswer } from './api.js';
import { T, el, setStatus, unsavedBuffers } from './state.js';
import { showTab, sourceLink } from './panel.js';
import { preview, renderPublished } from '../publishing.js';

function renderRefusal(body, answer) {
  body.append(el('p', 'error', answer.status === 422 && answer.json.diagnostics ? T('editor.publisherrors') : T('editor.publishfailed') + ' ' +
      (answer.json.error || ('HTTP ' + answer.status))));
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
  const post = async (url, request) => {
    if (url === '/api/publish') setStatus(T('editor.publishing'));
    try { return await postForAnswer(url, request); } finally { if (url === '/api/publish') setStatus(''); }
  };
  await preview(body, { T, post, rollbackTo: null, onRefusal: renderRefusal, onPublished: (b, r) => renderPublished(b, r, T) });
}
