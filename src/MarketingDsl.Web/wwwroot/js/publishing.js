// The preview and confirmation of a publication, shared by the editor's Publish panel and the
// Publications page's rollbacks: what the reload would change, per journey the users in flight
// with a choice (continue at the equivalent step, or end) and how many would end, a second
// confirmation when more than the configured number would end, then POST /api/publish.
//
// options: { T, post(url, body) → { ok, status, json }, rollbackTo (a publication id, or null),
//            onRefusal(body, answer), onPublished(body, json) }
import { element as el, format } from './pages.js';

function renderNames(list, label, names, T) {
  const item = el('li', null, label + ': ');
  item.append(names.length ? names.join(', ') : T('editor.publishnone'));
  list.append(item);
}

/** The ends per journey and reason, as the preview, the answer and the Publications page count them. */
export function renderEnds(body, ends, T) {
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

// Users in flight per journey, with the publisher's choice for them; a change previews again.
function renderChoices(body, p, o, end) {
  const rows = p.choices.filter((j) => j.users > 0 || j.endIfContinue > 0);
  if (!rows.length) return;
  body.append(el('h4', null, o.T('editor.publishinflight')));
  const table = el('table', 'publish-inflight');
  table.id = 'publish-inflight';
  const head = el('tr');
  const headers = ['editor.publishjourney', 'editor.publishusers', 'editor.publishendifcontinue', 'editor.publishchoice'];
  for (const key of headers) head.append(el('th', null, o.T(key)));
  table.append(head);
  for (const j of rows) {
    const row = el('tr');
    row.dataset.journey = j.journey;
    row.append(el('td', null, j.journey), el('td', 'num', String(j.users)), el('td', 'num', String(j.endIfContinue)));
    const cell = el('td');
    if (j.removed) {
      cell.append(o.T('editor.publishremovedends'));
    } else {
      const select = el('select', 'publish-choice');
      select.dataset.journey = j.journey;
      select.append(new Option(o.T('editor.publishcontinue'), 'continue'), new Option(o.T('editor.publishend'), 'end'));
      select.value = end.includes(j.journey) ? 'end' : 'continue';
      select.addEventListener('change', () => {
        const chosen = [...table.querySelectorAll('select.publish-choice')].filter((s) => s.value === 'end').map((s) => s.dataset.journey);
        preview(body, o, chosen);
      });
      cell.append(select);
    }
    row.append(cell);
    table.append(row);
  }
  body.append(table);
}

/** Previews the publication (or rollback) with these journeys' users in flight ended, and offers to confirm it. */
export async function preview(body, o, end = []) {
  const T = o.T;
  body.replaceChildren(el('p', 'hint', T('editor.publishpreviewing')));
  const answer = await o.post('/api/publish/preview', { end, rollbackTo: o.rollbackTo ?? null });
  body.replaceChildren();
  if (!answer.ok) { o.onRefusal(body, answer); return; }
  const p = answer.json;
  body.append(el('h3', null, p.rollbackTo ? format(T('editor.publishrollback'), p.rollbackTo) : T('editor.publishpreview')));
  body.append(el('p', null, p.files + ' ' + T('editor.publishfiles') + ' ' + p.hash.slice(0, 12) + ' · ' + p.journeys + ' '
    + T('editor.publishjourneys')));
  const changes = el('ul', 'publish-changes');
  renderNames(changes, T('editor.publishadded'), p.added, T);
  renderNames(changes, T('editor.publishremoved'), p.removed, T);
  renderNames(changes, T('editor.publishchanged'), p.stepsChanged, T);
  body.append(changes);
  renderChoices(body, p, o, end);
  const moved = p.moved ? ' (' + p.moved + ' ' + T('editor.publishmoved') + ')' : '';
  const counts = el('p', 'publish-counts', p.continued + ' ' + T('editor.publishcontinued') + moved
    + ' · ' + p.endedCount + ' ' + T('editor.publishended'));
  counts.id = 'publish-counts';
  counts.dataset.ended = String(p.endedCount);
  body.append(counts);
  renderEnds(body, p.ends, T);
  const confirm = el('button', 'primary', p.rollbackTo ? format(T('editor.publishrollbackconfirm'), p.rollbackTo) : T('editor.publishconfirm'));
  confirm.type = 'button';
  confirm.id = 'publish-confirm';
  confirm.addEventListener('click', () => {
    if (p.endedCount > p.confirmEndsAbove) askAgain(body, o, p, end, p.endedCount, confirm);
    else publish(body, o, p, end, null, confirm);
  });
  body.append(confirm);
}

// More ends than the threshold: a second, explicit confirmation naming the number.
function askAgain(body, o, p, end, count, button) {
  button.disabled = true;
  body.querySelector('.publish-again')?.remove();
  const box = el('div', 'publish-again');
  box.append(el('p', 'error', format(o.T('editor.publishmany'), count, p.confirmEndsAbove)));
  const again = el('button', 'danger', format(o.T('editor.publishconfirmagain'), count));
  again.type = 'button';
  again.id = 'publish-confirm-again';
  again.addEventListener('click', () => publish(body, o, p, end, count, again));
  const cancel = el('button', null, o.T('editor.publishcancel'));
  cancel.type = 'button';
  cancel.addEventListener('click', () => { box.remove(); button.disabled = false; });
  box.append(again, ' ', cancel);
  body.append(box);
}

async function publish(body, o, p, end, confirmEnds, button) {
  button.disabled = true;
  const answer = await o.post('/api/publish', { hash: p.hash, end, confirmEnds, rollbackTo: o.rollbackTo ?? null });
  // More users would end than the preview showed (events arrived since): confirm the new number.
  if (!answer.ok && answer.json && answer.json.needsConfirmation) { askAgain(body, o, p, end, answer.json.endedCount, button); return; }
  body.replaceChildren();
  if (!answer.ok) { o.onRefusal(body, answer); return; }
  o.onPublished(body, answer.json);
}

/** The answer of a publication: its number (linked to the Publications page), who continued and the ends. */
export function renderPublished(body, r, T) {
  const done = el('p', 'published', T('editor.published') + ' ');
  const link = el('a', null, '#' + r.publication.id);
  link.href = '/Publications';
  done.append(link, ' · ' + r.continued + ' ' + T('editor.publishcontinued') + ' · ' + r.endedCount + ' ' + T('editor.publishendedwere'));
  body.append(done);
  renderEnds(body, r.ends, T);
}
