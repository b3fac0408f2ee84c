// Live diagnostics: each edit is checked by /api/diagnostics after a short pause and its markers
// are set on the model and listed in the Problems panel.
//
// The pause that ends a typing burst adapts to the server: the median of the recent request times,
// between 20 and 75 ms. One request per file is in flight at a time and edits made meanwhile go in
// the next one, so a short pause cannot pile requests up on a busy server; unchanged text is never
// sent again.
//
// Each keystroke's round trip is published as User Timing measures (`mdsl:keystroke-marker`, then
// `mdsl:keystroke-painted` at the next frame, when squiggles show), whose detail splits it into
// debounce (last change → request sent), request (sent → answer), and markers (answer → set).
import { post } from './api.js';
import { state, T, pathOf, setStatus, statusSerialNow } from './state.js';
import { updateDirty } from './files.js';
import { renderProblems, scheduleWorkspaceProblems } from './problems.js';

const MIN_DEBOUNCE_MS = 20;
const MAX_DEBOUNCE_MS = 75;
let debounceMs = MAX_DEBOUNCE_MS;
const recentRequestMs = [];

const lastChange = { at: 0, version: 0 };
const timers = new Map();
const checks = new Map();     // model → { inFlight, again, shownText: the text whose markers are shown }

export function checkOf(model) {
  let check = checks.get(model);
  if (!check) { check = { inFlight: false, again: false, shownText: null }; checks.set(model, check); }
  return check;
}

export function onChange(model) {
  if (model === state.editor.getModel()) {
    lastChange.at = performance.now();
    lastChange.version = model.getVersionId();
    updateDirty();
  }
  clearTimeout(timers.get(model));
  timers.set(model, setTimeout(() => validate(model), debounceMs));
  scheduleWorkspaceProblems();
}

function adaptDebounce(requestMs) {
  recentRequestMs.push(requestMs);
  if (recentRequestMs.length > 8) recentRequestMs.shift();
  const sorted = [...recentRequestMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  debounceMs = Math.round(Math.min(MAX_DEBOUNCE_MS, Math.max(MIN_DEBOUNCE_MS, median)));
}

export async function validate(model, force) {
  const check = checkOf(model);
  if (check.inFlight) { check.again = true; return; }
  const text = model.getValue();
  const version = model.getVersionId();
  // Typing then undoing within one pause leaves the text whose markers are already shown.
  if (!force && text === check.shownText) { noteMarkers(model, version, null); return; }
  check.inFlight = true;
  const sentAt = performance.now();
  setStatus(T('editor.checking'));
  const statusAsked = statusSerialNow();
  try {
    const result = await post('/api/diagnostics', { path: pathOf(model), text, dataFolder: state.dataFolder });
    const answeredAt = performance.now();
    adaptDebounce(answeredAt - sentAt);
    if (model.isDisposed()) return;
    if (model.getVersionId() === version) {
      applyMarkers(model, result.markers);
      check.shownText = text;
      noteMarkers(model, version, { sentAt, answeredAt, server: result.timing, serverMs: result.serverMs, pipelineMs: result.pipelineMs });
    }
    if (statusSerialNow() === statusAsked) setStatus('✓ ' + result.serverMs + ' ms');
  } catch (e) {
    if (statusSerialNow() === statusAsked) setStatus(e.message);
  } finally {
    check.inFlight = false;
    if (check.again && !model.isDisposed()) { check.again = false; validate(model); }
  }
}

/** The open file's markers now match its text: say so on the editor element and time the keystroke that led here. */
function noteMarkers(model, version, request) {
  if (model !== state.editor.getModel()) return;
  const box = document.getElementById('editor');
  box.dataset.markersFile = pathOf(model);
  box.dataset.markersVersion = String(version);
  if (lastChange.version !== version || lastChange.at === 0) return;
  const changeAt = lastChange.at;
  const markersAt = performance.now();
  const detail = {
    file: pathOf(model), version, debounceSetting: debounceMs,
    debounceMs: request ? request.sentAt - changeAt : null, requestMs: request ? request.answeredAt - request.sentAt : null,
    serverMs: request ? request.serverMs : null, pipelineMs: request && request.pipelineMs !== undefined ? request.pipelineMs : null,
    markersMs: request ? markersAt - request.answeredAt : null,
  };
  performance.measure('mdsl:keystroke-marker', { start: changeAt, end: markersAt, detail });
  requestAnimationFrame(() => performance.measure('mdsl:keystroke-painted',
    { start: changeAt, end: performance.now(), detail: { file: detail.file, version } }));
}

// A data set chosen or loaded: the open file's literals are checked against its values (MD5050).
document.addEventListener('mdsl:data-ready', () => { if (state.editor && state.editor.getModel()) validate(state.editor.getModel(), true); });

const severities = () => ({ error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning, info: monaco.MarkerSeverity.Info });

export function applyMarkers(model, markers) {
  const sev = severities();
  monaco.editor.setModelMarkers(model, 'mdsl', markers.map((m) => ({
    startLineNumber: m.range.startLine, startColumn: m.range.startColumn, endLineNumber: m.range.endLine, endColumn: m.range.endColumn,
    severity: sev[m.severity] || monaco.MarkerSeverity.Info, message: m.message, code: m.code, source: 'mdsl',
  })));
  if (model === state.editor.getModel()) renderProblems(markers);
}
