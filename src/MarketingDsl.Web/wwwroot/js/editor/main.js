// The editor page: loads Monaco (its AMD loader is a classic script on the page), registers the
// language, creates the editor and wires the toolbar, the panel and the file list.
import { config, state, isDirty, setStatus, T } from './state.js';
import { get } from './api.js';
import { registerFeatures } from './language.js';
import { loadMonaco, registerSyntax } from './syntax.js';
import { openFile, renderFiles, saveAll, setUpNewFile } from './files.js';
import { showTab } from './panel.js';
import { runTests } from './tests.js';
import { previewPublish } from './publish.js';
import { refreshWorkspaceProblems } from './problems.js';

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
  if (publishButton && config.canPublish) publishButton.addEventListener('click', () => previewPublish().catch((e) => setStatus(T('editor.publishfailed') + ' ' + e.message)));
  const saveButton = document.getElementById('save');
  if (saveButton) saveButton.addEventListener('click', () => saveAll());
  setUpNewFile();
  window.addEventListener('beforeunload', (e) => {
    if (monaco.editor.getModels().some(isDirty)) e.preventDefault();
  });

  state.files = (await get('/api/files')).files;
  renderFiles();
  const start = config.file && state.files.includes(config.file) ? config.file : null;
  if (start) await openFile(start);
  refreshWorkspaceProblems();
  document.body.dataset.ready = 'true';
}

start();
