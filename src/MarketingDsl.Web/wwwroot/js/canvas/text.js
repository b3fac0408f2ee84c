// The file's text is the source of truth: the graph is asked for again after a text edit, a canvas
// edit is answered with the new text, its diff and its graph, and undo and save work on the text.
import { state, editors, canEdit, T, $, call, status, currentText, toMonacoMarker } from './state.js';
import { render } from './graph.js';

let settingText = false;   // true while the page itself replaces the text (no redraw loop)

export function setText(text) {
  settingText = true;
  try { editors.text.setValue(text); } finally { settingText = false; }
  updateButtons();
}

export function updateButtons() {
  if (!canEdit) return;
  $('canvas-undo').disabled = state.history.length === 0;
  $('canvas-save').disabled = currentText() === state.saved;
  status(currentText() === state.saved ? '' : '● ' + T('canvas.unsaved'));
}

// Only the newest graph request's answer is drawn: a text edit, an edit on the canvas or a file
// switch made after a request was sent makes its answer stale.
let redrawTimer = null;
let redrawTicket = 0;

export function dropPendingRedraws() {
  clearTimeout(redrawTimer);
  redrawTicket++;
}

export async function redraw() {
  clearTimeout(redrawTimer);
  const ticket = ++redrawTicket;
  try {
    const answer = await call('/api/canvas/graph', { path: state.path, text: currentText(), journey: state.journey });
    if (ticket !== redrawTicket) return;
    applyGraphAnswer(answer);
  } catch (e) {
    if (ticket !== redrawTicket) return;
    // A journey no longer in the text (renamed, deleted): the picker offers the ones there are.
    if (e.details?.journeys) applyGraphAnswer({ journeys: e.details.journeys, graph: null, syntaxErrors: false });
    status(e.message, true);
  }
}

export function applyGraphAnswer(answer) {
  state.journeys = answer.journeys || [];
  state.syntaxErrors = !!answer.syntaxErrors;
  if (answer.graph) state.journey = answer.graph.journey;
  state.graph = answer.graph || null;
  const select = $('canvas-journey');
  select.replaceChildren(...state.journeys.map((j) => new Option(j, j)));
  if (state.journey) select.value = state.journey;
  if (state.selected && !(state.graph && state.graph.nodes.some((n) => n.id === state.selected))) state.selected = null;
  render();
  const markers = [];
  if (state.graph) {
    for (const n of state.graph.nodes) markers.push(...n.diagnostics);
    markers.push(...state.graph.diagnostics);
  }
  monaco.editor.setModelMarkers(editors.text.getModel(), 'canvas', markers.map(toMonacoMarker));
}


// ------------------------------------------------------------------ edits

export async function applyEdit(edit) {
  if (!canEdit) return false;
  const before = currentText();
  const path = state.path;
  try {
    const journey = edit.op === 'create_journey' ? edit.properties.name : state.journey;
    const answer = await call('/api/canvas/edit', { path, text: before, journey, edit });
    if (path !== state.path || before !== currentText()) return false; // the page moved on while the edit was answered
    dropPendingRedraws(); // the edit's graph is newer than any graph still on its way
    // Undo goes back to the text before, and shows this change reversed.
    state.history.push({ text: before, after: answer.text });
    state.journey = journey;
    setText(answer.text);
    showDiff(before, answer.text);
    applyGraphAnswer(answer.graph);
    return true;
  } catch (e) {
    status(e.message, true);
    return false;
  }
}

/** The last change in Monaco's diff editor, unchanged lines folded away; `data-changes` counts its changed regions. */
export function showDiff(before, after) {
  const box = $('canvas-diff');
  delete box.dataset.changes;
  const { original, modified } = editors.diff.getModel();
  original.setValue(before);
  modified.setValue(after);
}

export async function undo() {
  const previous = state.history.pop();
  if (previous === undefined) return;
  setText(previous.text);
  showDiff(previous.after, previous.text);
  await redraw();
}

export async function save() {
  try {
    const answer = await call('/api/files/save', { path: state.path, text: currentText() });
    state.saved = answer.text;
    if (answer.text !== currentText()) setText(answer.text);
    updateButtons();
    status(T('canvas.saved'));
  } catch (e) { status(e.message, true); }
}

/** A text edit of the marketer's (not the page's own): the graph is asked for once typing pauses. */
export function onTextChanged() {
  if (settingText) return;
  updateButtons();
  clearTimeout(redrawTimer);
  redrawTimer = setTimeout(redraw, 250);
}
