// The editor page: loads Monaco (its AMD loader is a classic script on the page), registers the
// language, creates the editor and wires the toolbar, the panel and the file list.
import { config, state, isDirty, setStatus, T, keepDrafts } from './state.js';
import { get } from './api.js';
import { registerFeatures } from './language.js';
import { loadMonaco, registerSyntax } from './syntax.js';
import { openFile, renderFiles, saveAll, setUpNewFile, modelFor, newModel } from './files.js';
import { showTab } from './panel.js';
import { runTests } from './tests.js';
import { previewPublish } from './publish.js';
import { refreshWorkspaceProblems } from './problems.js';
import { setUpData } from './data.js';
import { drafts as keptDrafts } from '../pages.js';

async function start() {
  await loadMonaco();
  await registerSyntax();
  registerFeatures();
  const editor = monaco.editor.create(document.getElementById('editor'), {
    model: null, automaticLayout: true, minimap: { enabled: false }, fontSize: 14, tabSize: 2, insertSpaces: true,
    renderWhitespace: 'selection', fixedOverflowWidgets: true, 'semanticHighlighting.enabled': false, readOnly: true,
    // Sticky scroll kept the previous file's header line after switching files (Monaco keeps it per editor, not per model).
    stickyScroll: { enabled: false },
  });
  state.editor = editor;
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => saveAll());
  document.getElementById('format').addEventListener('click', () => editor.getAction('editor.action.formatDocument').run());
  document.getElementById('run-tests').addEventListener('click', () => runTests());
  for (const tab of document.querySelectorAll('.tabs .tab')) tab.addEventListener('click', () => showTab(tab.dataset.tab));
  showTab(config.panel || 'problems');
  const publishButton = document.getElementById('publish');
  if (publishButton && config.canPublish) publishButton.addEventListener('click',
      () => previewPublish().catch((e) => setStatus(T('editor.publishfailed') + ' ' + e.message)));
  const saveButton = document.getElementById('save');
  if (saveButton) saveButton.addEventListener('click', () => saveAll());
  setUpNewFile();
  // Unsaved buffers are kept in this browser and restored at the next load: leaving asks only when they could not be kept.
  window.addEventListener('beforeunload', (e) => {
    if (!keepDrafts() && monaco.editor.getModels().some(isDirty)) e.preventDefault();
  });

  state.files = (await get('/api/files')).files;
  await restoreDrafts();
  renderFiles();
  const start = config.file && state.files.includes(config.file) ? config.file : null;
  if (start) await openFile(start);
  refreshWorkspaceProblems();
  await setUpData();
  document.body.dataset.ready = 'true';
}

/** The unsaved buffers kept in this browser come back as unsaved changes (new files included). */
async function restoreDrafts() {
  const drafts = keptDrafts().filter((d) => d && typeof d.path === 'string' && typeof d.text === 'string');
  if (!drafts.length || !config.canEdit) return;
  for (const draft of drafts) {
    try {
      const model = state.files.includes(draft.path) ? await modelFor(draft.path) : newModel(draft.path);
      if (!state.files.includes(draft.path)) state.files.push(draft.path);
      model.setValue(draft.text);
    } catch (e) {
      setStatus(draft.path + ': ' + e.message);
    }
  }
  state.files.sort();
  setStatus(T('editor.drafts') + ' ' + drafts.map((d) => d.path).join(', '));
}

start();
