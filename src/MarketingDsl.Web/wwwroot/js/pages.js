// What every page's script shares (the editor's modules included), imported as an ES module: the
// one JSON request helper, which sends a signed-out user to the sign-in page and carries the
// anti-forgery header on POSTs; the page's config and texts in its language; errors shown with
// their diagnostics linked to the editor, table cells, and instants in UTC.

/** The JSON answer of a request; a refusal throws an Error carrying its status and the answer (details). */
export async function request(url, options) {
  const response = await fetch(url, Object.assign({ credentials: 'same-origin' }, options || {}));
  if (response.status === 401) {
    location.href = '/Account/Login?returnUrl=' + encodeURIComponent(location.pathname + location.search);
    throw new Error('signed out');
  }
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(json.error || ('HTTP ' + response.status));
    error.status = response.status;
    error.details = json;
    throw error;
  }
  // The time inside the server (Server-Timing), so the editor can tell it from the network and browser part.
  const inServer = /app;dur=([\d.]+)/.exec(response.headers.get('Server-Timing') || '');
  if (inServer && json && typeof json === 'object') {
    Object.defineProperty(json, 'pipelineMs', { value: parseFloat(inServer[1]), enumerable: false });
  }
  return json;
}

/** A POST with the anti-forgery header the page's config names. */
export const post = (config, url, body) => request(url, {
  method: 'POST', headers: { 'Content-Type': 'application/json', [config.header]: config.antiforgeryToken }, body: JSON.stringify(body),
});

/** A POST whose refusals carry data (diagnostics, a confirmation to ask): answers { ok, status, json } instead of throwing. */
export async function postForAnswer(config, url, body) {
  try {
    return { ok: true, status: 200, json: await post(config, url, body) };
  } catch (e) {
    if (e.status === undefined) throw e;
    return { ok: false, status: e.status, json: e.details || {} };
  }
}

/**
 * The data a page hands its script (a JSON block with this id: no inline script, the CSP allows only scripts from this site)
 * and T(key), its texts in the UI language (the key itself when the page did not send that text).
 */
export function pageConfig(id) {
  const config = JSON.parse(document.getElementById(id).textContent);
  const T = (key) => (config.texts && config.texts[key]) || key;
  return { config, T };
}

/** A text with its placeholders {0}, {1}, … replaced by the arguments (each, wherever it occurs). */
export const format = (text, ...args) =>
  text.replace(/\{(\d+)\}/g, (placeholder, i) => (Number(i) < args.length ? String(args[Number(i)]) : placeholder));

/** Shows an error (or hides the box for null); compile errors list each diagnostic as a link to its file. */
export function showError(box, error, listId) {
  box.replaceChildren();
  if (!error) { box.hidden = true; return; }
  box.hidden = false;
  box.appendChild(document.createTextNode(error.message));
  const diagnostics = error.details && error.details.diagnostics;
  if (diagnostics && diagnostics.length) {
    const list = document.createElement('ul');
    if (listId) list.id = listId;
    for (const d of diagnostics) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = '/?file=' + encodeURIComponent(d.path);
      link.textContent = `${d.path}:${d.line}:${d.column}`;
      item.append(link, ` ${d.code}: ${(document.documentElement.lang === 'zh-CN' && d.messageZh) || d.message}`);
      list.appendChild(item);
    }
    box.appendChild(list);
  }
}

/** A table cell with this text appended to the row. */
export const cell = (row, text, className) => {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
};
// Instants as UTC `yyyy-mm-dd hh:mm:ss`, whatever offset the server wrote.
export const utc = (iso) => iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') : '';

// The language link keeps the page's current query, which scripts may have changed (the editor writes the open file into it).
const languageLink = document.getElementById('lang-switch');
if (languageLink) languageLink.addEventListener('click', (e) => {
  const url = new URL(location.href);
  url.searchParams.set('lang', languageLink.dataset.lang);
  e.preventDefault();
  location.href = url.pathname + url.search;
});

// The working copy: the editor keeps each unsaved buffer in this browser (localStorage, per user),
// so the simulation and audience pages run the rules as being edited, and a reload loses nothing.
const draftsKey = () => document.body.dataset.draftsKey || '';
export function drafts() {
  try { return JSON.parse(localStorage.getItem(draftsKey()) || '[]'); } catch { return []; }
}
/** True when kept (or nothing to keep); false when the browser refused (storage full or disabled). */
export function saveDrafts(buffers) {
  if (!draftsKey()) return false;
  try {
    if (buffers.length) localStorage.setItem(draftsKey(), JSON.stringify(buffers));
    else localStorage.removeItem(draftsKey());
    return true;
  } catch {
    return false;
  }
}

/** An HTML element with a class and a text (either may be left out). */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A table of a header row and rows; every cell after a row's first is a number (right-aligned). */
export function table(headers, rows, className, id) {
  const t = element('table', className);
  if (id) t.id = id;
  const head = t.createTHead().insertRow();
  for (const h of headers) head.appendChild(element('th', '', h));
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    r.forEach((value, i) => cell(row, value, i > 0 ? 'num' : ''));
  }
  return t;
}

/** A link to the user page of one user of a data folder, as of an instant (the simulation's and the audience diff's ids). */
export function userLink(id, folder, asOf) {
  const link = element('a', 'user-link', id);
  const query = new URLSearchParams({ id, folder: folder || '' });
  if (asOf) query.set('asOf', asOf);
  link.href = '/User?' + query.toString();
  return link;
}

/** Fills a cell with user links separated by commas. */
export function userLinks(td, ids, folder, asOf) {
  ids.forEach((id, i) => { if (i) td.append(', '); td.append(userLink(id, folder, asOf)); });
  return td;
}

