// The Publications page: a rollback to an earlier publication in one click — the same preview
// (users in flight per journey, continue or end, ends counted) and confirmation as publishing,
// recorded as a publication of its own; the page then shows it.
import { pageConfig, postForAnswer } from './pages.js';
import { preview, renderPublished } from './publishing.js';

const { config, T } = pageConfig('pub-config');
const post = (url, body) => postForAnswer(config, url, body);

function onRefusal(body, answer) {
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = T('editor.publishfailed') + ' ' + (answer.json.error || ('HTTP ' + answer.status));
  body.append(p);
}

function onPublished(body, r) {
  renderPublished(body, r, T);
  // The new publication heads the table after a reload of the page.
  setTimeout(() => location.reload(), 1200);
}

for (const button of document.querySelectorAll('button.rollback')) {
  button.addEventListener('click', () => {
    const panel = document.getElementById('rollback-panel');
    panel.hidden = false;
    panel.scrollIntoView({ block: 'nearest' });
    preview(panel, { T, post, rollbackTo: Number(button.dataset.id), onRefusal, onPublished });
  });
}
document.body.dataset.ready = 'true';
