// What the canvas's modules share: the page's config and texts, the journey on screen and what the
// marketer is doing with it, the two Monaco editors, and the requests.
import * as pages from '../pages.js';

export const { config, T } = pages.pageConfig('canvas-config');
export const { element: el, format } = pages;
export const canEdit = !!config.canRun;
export const $ = (id) => document.getElementById(id);

export const state = {
  path: null, journey: null, graph: null, journeys: [], syntaxErrors: false,
  saved: '', history: [], counts: null, selected: null, armed: null, busy: 0,
};

/** The file's text and the last change (Monaco's diff editor), made once Monaco is loaded (main.js). */
export const editors = { text: null, diff: null };

export function currentText() { return editors.text.getValue(); }

export function kindLabel(kind) { return T('canvas.k.' + kind); }

export const toMonacoMarker = (m) => ({
  startLineNumber: m.range.startLine, startColumn: m.range.startColumn, endLineNumber: m.range.endLine, endColumn: m.range.endColumn,
  message: m.message, code: m.code,
  severity: m.severity === 'error' ? monaco.MarkerSeverity.Error
    : m.severity === 'warning' ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Info,
});

// Requests go through the pages' one JSON helper (pages.js); while any is in flight the canvas is
// aria-busy, which assistive technology (and the browser tests) read as "not settled yet".
export async function call(url, body) {
  setBusy(+1);
  try {
    return await (body === undefined ? pages.request(url) : pages.post(config, url, body));
  } finally {
    setBusy(-1);
  }
}

function setBusy(delta) {
  state.busy += delta;
  $('canvas-surface').setAttribute('aria-busy', String(state.busy > 0));
}

export function status(message, isError) {
  const s = $('canvas-status');
  s.textContent = message || '';
  s.classList.toggle('error', !!isError);
}
