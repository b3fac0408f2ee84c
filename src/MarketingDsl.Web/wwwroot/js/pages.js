// What the simulation and audience-diff pages share: JSON requests that send a signed-out user to
// the sign-in page, errors shown with their diagnostics linked to the editor, table cells, and
// instants written in UTC.
(function () {
  'use strict';

  async function request(url, options) {
    const response = await fetch(url, Object.assign({ credentials: 'same-origin' }, options || {}));
    if (response.status === 401) { location.href = '/Account/Login?returnUrl=' + encodeURIComponent(location.pathname + location.search); throw new Error('signed out'); }
    const json = await response.json().catch(() => ({}));
    if (!response.ok) { const error = new Error(json.error || ('HTTP ' + response.status)); error.details = json; throw error; }
    return json;
  }

  // A POST with the anti-forgery header the page's config names.
  const post = (config, url, body) => request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', [config.header]: config.antiforgeryToken }, body: JSON.stringify(body) });

  // Shows an error (or hides the box for null); compile errors list each diagnostic as a link to its file.
  function showError(box, error, listId) {
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
        item.append(link, ` ${d.code}: ${d.message}`);
        list.appendChild(item);
      }
      box.appendChild(list);
    }
  }

  const cell = (row, text, className) => { const td = document.createElement('td'); td.textContent = text; if (className) td.className = className; row.appendChild(td); return td; };
  // Instants as UTC `yyyy-mm-dd hh:mm:ss`, whatever offset the server wrote.
  const utc = (iso) => iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') : '';

  window.mdslPages = { request, post, showError, cell, utc };
})();
