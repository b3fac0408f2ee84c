// The side panel's condition editors and completion in the canvas's Monaco editors.
import { state, editors, call, currentText, toMonacoMarker } from './state.js';
import { LANGUAGE } from '../editor/syntax.js';

const miniEditors = [];    // the side panel's condition editors, disposed when the panel is drawn again

export function disposeConditionEditors() {
  while (miniEditors.length) miniEditors.pop().dispose();
}

// A condition typed in the side panel is checked and completed in place: its text is put where it
// stands in the file (or, for a step not yet written, into a scratch tag at the end) and the
// server's completion and markers for that spot are mapped back into the small editor.
const miniContexts = new Map();

export function miniEditor(host, value, range, readonly, isTrigger) {
  const editor = monaco.editor.create(host, {
    value, language: LANGUAGE, readOnly: readonly, minimap: { enabled: false }, lineNumbers: 'off', glyphMargin: false, folding: false,
    scrollBeyondLastLine: false, wordWrap: 'on', overviewRulerLanes: 0, renderLineHighlight: 'none', fixedOverflowWidgets: true,
    automaticLayout: true,
    scrollbar: { vertical: 'hidden', horizontal: 'hidden' }, fontSize: 13,
  });
  const model = editor.getModel();
  miniContexts.set(model.uri.toString(), { range, isTrigger });
  let timer = null;
  const check = () => { clearTimeout(timer); timer = setTimeout(() => validateMini(model), 200); };
  model.onDidChangeContent(check);
  check();
  miniEditors.push({
    getValue: () => editor.getValue(),
    dispose: () => { miniContexts.delete(model.uri.toString()); editor.dispose(); model.dispose(); },
  });
  return editor;
}

/** The file's text with a small editor's text in its place, and a mapper from its positions to the file's. */
function embed(model) {
  const context = miniContexts.get(model.uri.toString());
  const fragment = model.getValue();
  const file = currentText();
  if (context?.range) {
    const m = editors.text.getModel();
    const r = context.range;
    const start = m.getOffsetAt({ lineNumber: r.startLine, column: r.startColumn });
    const end = m.getOffsetAt({ lineNumber: r.endLine, column: r.endColumn });
    const text = file.slice(0, start) + fragment + file.slice(end);
    return { text, line: r.startLine, column: r.startColumn };
  }
  const prefix = context?.isTrigger ? '\njourney canvas_probe {\n  trigger: ' : '\ntag canvas_probe = ';
  const base = file.endsWith('\n') ? file : file + '\n';
  const text = base + prefix + fragment + (context?.isTrigger ? '\n  steps {\n  }\n}\n' : '\n');
  const line = (base + prefix).split('\n').length;
  const column = prefix.length - prefix.lastIndexOf('\n');
  return { text, line, column };
}

function toFile(embedded, position) {
  return position.lineNumber === 1
    ? { line: embedded.line, column: embedded.column + position.column - 1 }
    : { line: embedded.line + position.lineNumber - 1, column: position.column };
}

async function validateMini(model) {
  if (model.isDisposed() || !miniContexts.has(model.uri.toString())) return;
  const embedded = embed(model);
  const lines = model.getLineCount();
  const last = toFile(embedded, { lineNumber: lines, column: model.getLineMaxColumn(lines) });
  try {
    const { markers } = await call('/api/diagnostics', { path: state.path, text: embedded.text, line: 1, column: 1 });
    if (model.isDisposed()) return;
    const inside = markers.filter((m) =>
      (m.range.startLine > embedded.line || (m.range.startLine === embedded.line && m.range.startColumn >= embedded.column))
      && (m.range.startLine < last.line || (m.range.startLine === last.line && m.range.startColumn <= last.column)));
    monaco.editor.setModelMarkers(model, 'canvas', inside.map((m) => {
      const back = (line, column) => line === embedded.line
        ? { lineNumber: 1, column: column - embedded.column + 1 }
        : { lineNumber: line - embedded.line + 1, column };
      const s = back(m.range.startLine, m.range.startColumn), e = back(m.range.endLine, m.range.endColumn);
      return toMonacoMarker({ ...m, range: { startLine: s.lineNumber, startColumn: s.column, endLine: e.lineNumber, endColumn: e.column } });
    }));
  } catch { /* markers are advisory; the edit itself is checked by the server */ }
}

// The syntax (colouring, brackets, comments) is the editor's own (editor/syntax.js); the canvas adds completion for its
// text and its side panel's condition editors.
export function registerCompletion() {
  const kinds = monaco.languages.CompletionItemKind;
  monaco.languages.registerCompletionItemProvider(LANGUAGE, {
    triggerCharacters: ['.', '(', ',', ' '],
    async provideCompletionItems(model, position) {
      const isText = model === editors.text.getModel();
      if (!isText && !miniContexts.has(model.uri.toString())) return { suggestions: [] };
      const embedded = isText ? { text: currentText() } : embed(model);
      const at = isText ? { line: position.lineNumber, column: position.column } : toFile(embedded, position);
      const list = await call('/api/completion', { path: state.path, text: embedded.text, line: at.line, column: at.column });
      const word = model.getWordUntilPosition(position);
      const range = {
        startLineNumber: position.lineNumber, startColumn: word.startColumn, endLineNumber: position.lineNumber, endColumn: position.column,
      };
      return {
        suggestions: list.items.map((item, i) => ({
          label: item.label, kind: kinds.Variable, insertText: item.insertText, detail: item.detail || undefined, range,
          sortText: String(i).padStart(4, '0'),
          insertTextRules: item.isSnippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
        })),
      };
    },
  });
}
