// The History page: the chosen saved version against the file's previous one in Monaco's diff
// editor (side by side, MarketingDsl colouring, read-only).
import { loadMonaco, registerSyntax, LANGUAGE } from './editor/syntax.js';

const config = JSON.parse(document.getElementById('history-config').textContent);

async function start() {
  await loadMonaco();
  await registerSyntax();
  const language = config.path.endsWith('.csx') ? 'csharp' : LANGUAGE;
  const diff = monaco.editor.createDiffEditor(document.getElementById('diff-editor'), {
    readOnly: true, originalEditable: false, automaticLayout: true, minimap: { enabled: false }, fontSize: 13,
    renderSideBySide: true, scrollBeyondLastLine: false, 'semanticHighlighting.enabled': false,
  });
  diff.setModel({
    original: monaco.editor.createModel(config.original, language, monaco.Uri.parse('history:/original/' + config.path)),
    modified: monaco.editor.createModel(config.modified, language, monaco.Uri.parse('history:/modified/' + config.path)),
  });
  diff.onDidUpdateDiff(() => {
    const changes = diff.getLineChanges() || [];
    const box = document.getElementById('diff-editor');
    box.dataset.changes = String(changes.length);
    box.dataset.ready = 'true';
  });
}

start();
