// The journey canvas: a journey of a workspace file drawn as a graph next to its text. The text
// stays the source of truth: every canvas edit is sent to /api/canvas/edit, which applies it as a
// text edit through the formatter and answers the new text, its diff and the new graph; a text
// edit redraws the graph. Layout by dagre (editor/package.json, served from /lib/dagre). Nothing
// here knows the language: graphs, markers and completions come from the server's compiler.
import { LANGUAGE, loadMonaco, registerSyntax } from '../editor/syntax.js';
import { state, editors, canEdit, $, status } from './state.js';
import { onTextChanged, undo, save } from './text.js';
import { loadFiles } from './files.js';
import { arm, select } from './graph.js';
import { renderInspector } from './inspector.js';
import { registerCompletion } from './conditions.js';

loadMonaco().then(async () => {
  await registerSyntax();
  registerCompletion();
  editors.text = monaco.editor.create($('canvas-text'), {
    value: '', language: LANGUAGE, readOnly: !canEdit, minimap: { enabled: false }, automaticLayout: true, fontSize: 13, scrollBeyondLastLine: false,
  });
  editors.diff = monaco.editor.createDiffEditor($('canvas-diff'), {
    readOnly: true, originalEditable: false, automaticLayout: true, minimap: { enabled: false }, fontSize: 12, renderSideBySide: false,
    scrollBeyondLastLine: false, lineNumbers: 'off', renderOverviewRuler: false, hideUnchangedRegions: { enabled: true },
  });
  editors.diff.setModel({ original: monaco.editor.createModel('', LANGUAGE), modified: monaco.editor.createModel('', LANGUAGE) });
  editors.diff.onDidUpdateDiff(() => { $('canvas-diff').dataset.changes = String((editors.diff.getLineChanges() || []).length); });
  editors.text.getModel().onDidChangeContent(onTextChanged);
  if (canEdit) {
    $('canvas-undo').addEventListener('click', undo);
    $('canvas-save').addEventListener('click', save);
    $('canvas-new').addEventListener('click', () => { state.selected = null; state.newStep = { create: true }; renderInspector(); });
    for (const item of document.querySelectorAll('.palette-item')) {
      item.addEventListener('dragstart', (ev) => {
        ev.dataTransfer.setData('text/plain', 'new:' + item.dataset.kind);
        ev.dataTransfer.effectAllowed = 'copy';
      });
      item.addEventListener('click', () => arm(state.armed === item.dataset.kind ? null : item.dataset.kind));
    }
  }
  $('canvas-scroll').addEventListener('click', () => { if (!state.armed) select(null); });
  try {
    await loadFiles();
  } catch (e) { status(e.message, true); }
  document.body.dataset.ready = 'true';
});
