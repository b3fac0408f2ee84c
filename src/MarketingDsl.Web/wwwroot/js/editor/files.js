// Files: the list (with each file's problem counts), opening a file into its Monaco model, the dirty
// mark, saving (after saying which other files the save would break), and the new-file dialog.
import { get, post } from './api.js';
import { config, state, saved, T, LANGUAGE, languageOf, uriOf, pathOf, isDirty, setStatus, el } from './state.js';
import { onChange, validate, applyMarkers, checkOf } from './diagnostics.js';
import { applyTestMarkers } from './tests.js';
import { counts, refreshWorkspaceProblems } from './problems.js';

function track(model) {
  model.onDidChangeContent(() => onChange(model));
  applyTestMarkers(model);
}

export async function modelFor(path) {
  let model = monaco.editor.getModel(uriOf(path));
  if (model) return model;
  const file = await get('/api/files/read?path=' + encodeURIComponent(path));
  model = monaco.editor.getModel(uriOf(path));
  if (model) return model;
  model = monaco.editor.createModel(file.text, languageOf(path), uriOf(path));
  saved.set(path, file.text);
  track(model);
  return model;
}

/** The model of a file not yet saved (empty, never on disk). */
export function newModel(path) {
  let model = monaco.editor.getModel(uriOf(path));
  if (model) return model;
  model = monaco.editor.createModel('', languageOf(path), uriOf(path));
  saved.set(path, null);
  track(model);
  return model;
}

/** Opens a file and puts the cursor on a line (links from the panels and the journey views). */
export function openAt(path, line, column) {
  return openFile(path, new monaco.Range(line, column || 1, line, column || 1));
}

export async function openFile(path, selection) {
  const model = await modelFor(path);
  const editor = state.editor;
  state.current = path;
  editor.setModel(model);
  // A viewer reads: Monaco refuses typing, so nothing is ever unsaved.
  editor.updateOptions({ readOnly: !config.canEdit });
  document.getElementById('editor').dataset.file = path;
  document.getElementById('current-file').textContent = path;
  document.getElementById('format').disabled = !config.canEdit;
  const save = document.getElementById('save');
  if (save) save.disabled = false;
  if (selection) { editor.setSelection(selection); editor.revealRangeInCenter(selection); }
  renderFiles();
  updateDirty();
  const url = new URL(location.href);
  url.searchParams.set('file', path);
  url.searchParams.delete('lang');
  history.replaceState(null, '', url.pathname + url.search);
  validate(model, true);
  editor.focus();
}

export function renderFiles() {
  const list = document.getElementById('file-list');
  list.replaceChildren(...state.files.map((path) => {
    const item = el('li');
    const link = el('a', path === state.current ? 'active' : null, path);
    link.href = '#';
    link.dataset.path = path;
    const model = monaco.editor.getModel(uriOf(path));
    if (model && isDirty(model)) link.textContent += ' ●';
    const count = counts.get(path);
    if (count && (count.errors || count.warnings)) {
      const badge = el('span', 'counts');
      if (count.errors) badge.append(el('span', 'errors', '✗' + count.errors));
      if (count.warnings) badge.append(el('span', 'warnings', '⚠' + count.warnings));
      badge.title = `${count.errors} ${T('editor.errors')}, ${count.warnings} ${T('editor.warnings')}`;
      link.append(badge);
    }
    link.addEventListener('click', (e) => { e.preventDefault(); openFile(path); });
    item.append(link);
    return item;
  }));
}

export function updateDirty() {
  const model = state.editor.getModel();
  document.getElementById('dirty').hidden = !(model && isDirty(model));
}

/** Saves every changed file; when that would add errors to files not being saved, asks first. */
export async function saveAll() {
  if (!config.canEdit) return;
  const dirty = monaco.editor.getModels().filter((m) => m.getLanguageId() === LANGUAGE && isDirty(m));
  if (state.current && !dirty.some((m) => pathOf(m) === state.current)) dirty.push(state.editor.getModel());
  let impact;
  try {
    impact = await post('/api/files/save-impact', { buffers: dirty.map((m) => ({ path: pathOf(m), text: m.getValue() })) });
  } catch (e) {
    setStatus(e.message);
    return;
  }
  if (impact.broken.length && !(await confirmBreaks(impact.broken))) { setStatus(T('editor.savecancelled')); return; }
  for (const model of dirty) {
    const path = pathOf(model);
    try {
      const result = await post('/api/files/save', { path, text: model.getValue() });
      saved.set(path, result.text);
      if (model.getValue() !== result.text) {
        const selection = model === state.editor.getModel() ? state.editor.getSelection() : null;
        model.pushEditOperations([], [{ range: model.getFullModelRange(), text: result.text }], () => null);
        if (selection) state.editor.setSelection(selection);
      }
      applyMarkers(model, result.markers);
      // The save answered with the markers of the saved (formatted) text: the check that the
      // formatting edit schedules has nothing to add, and would replace the saved status.
      checkOf(model).shownText = result.text;
      setStatus((result.formatted ? T('editor.saved') : T('editor.savedraw')) + ' #' + result.version);
    } catch (e) {
      setStatus(path + ': ' + e.message);
    }
  }
  updateDirty();
  renderFiles();
  refreshWorkspaceProblems();
}

/** The save dialog: which files the save breaks, with their new errors; resolves true to save anyway. */
function confirmBreaks(broken) {
  const dialog = document.getElementById('save-dialog');
  const list = document.getElementById('save-broken');
  list.replaceChildren(...broken.map((file) => {
    const li = el('li');
    li.dataset.path = file.path;
    li.append(el('strong', null, file.path));
    const errors = el('ul');
    for (const m of file.markers) errors.append(el('li', 'error', `${m.range.startLine}:${m.range.startColumn} ${m.code}: ${m.message}`));
    li.append(errors);
    return li;
  }));
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'save'), { once: true });
    dialog.showModal();
  });
}

/** The new-file dialog: a workspace path, checked by the server's rules before the file is created. */
export function setUpNewFile() {
  const button = document.getElementById('new-file');
  const dialog = document.getElementById('new-file-dialog');
  if (!button || !dialog) return;
  const input = document.getElementById('new-file-path');
  const error = document.getElementById('new-file-error');
  button.addEventListener('click', () => {
    input.value = '';
    error.textContent = '';
    dialog.showModal();
    input.focus();
  });
  document.getElementById('new-file-cancel').addEventListener('click', () => dialog.close());
  document.getElementById('new-file-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    let path = input.value.trim();
    if (path && !path.endsWith('.mdsl') && !path.endsWith('.csx')) path += '.mdsl';
    if (state.files.includes(path)) { error.textContent = T('editor.newexists'); return; }
    try {
      await get('/api/files/check-path?path=' + encodeURIComponent(path));
    } catch (x) {
      error.textContent = x.message;
      return;
    }
    dialog.close();
    newModel(path);
    if (!state.files.includes(path)) state.files.push(path);
    state.files.sort();
    openFile(path);
  });
}
