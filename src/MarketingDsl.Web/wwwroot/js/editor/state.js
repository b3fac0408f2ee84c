// What the editor's modules share: the page's configuration and texts, the Monaco editor, the open
// file, the workspace's file list and the text each file had when last loaded or saved.
import { LANGUAGE } from './syntax.js';
import { pageConfig, element, saveDrafts } from '../pages.js';

export const { config, T } = pageConfig('editor-config');

export { LANGUAGE };
// Custom function files (functions/*.csx) are C#: Monaco's own C# colouring; markers still come from /api.
export const languageOf = (path) => (path.endsWith('.csx') ? 'csharp' : LANGUAGE);

/** The editor, the path of the open file and the workspace's files. */
export const state = { editor: null, current: null, files: [], dataFolder: null, language: config.language };

/** path → text last loaded or saved (null for a new file never saved). */
export const saved = new Map();

export const uriOf = (path) => monaco.Uri.parse('mdsl:/' + path);
export const pathOf = (model) => model.uri.path.replace(/^\//, '');
export const toRange = (r) => new monaco.Range(r.startLine, r.startColumn, r.endLine, r.endColumn);
export const isDirty = (model) => saved.get(pathOf(model)) !== model.getValue();

/** The request body of the language features: the file, its text, the cursor and the data set chosen (data.js). */
export const buffer = (model, position, extra) => Object.assign({
  path: pathOf(model), text: model.getValue(), dataFolder: state.dataFolder,
  line: position ? position.lineNumber : 1, column: position ? position.column : 1,
}, extra || {});

let statusSerial = 0;
export function setStatus(text) { statusSerial++; document.getElementById('status').textContent = text; }
/** Counts status changes, so a slow answer can tell whether something newer (a save's "#N") was said since it asked. */
export function statusSerialNow() { return statusSerial; }

export const el = element;

/** Keeps the unsaved buffers in this browser (pages.js), for the other pages and the next load. */
export const keepDrafts = () => saveDrafts(unsavedBuffers());

/** The working copy the server compiles: every file with unsaved changes (new files included). */
export function unsavedBuffers() {
  return monaco.editor.getModels()
    .filter((m) => m.getLanguageId() === LANGUAGE && isDirty(m))
    .map((m) => ({ path: pathOf(m), text: m.getValue() }));
}
