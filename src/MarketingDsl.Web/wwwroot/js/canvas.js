// The journey canvas: a journey of a workspace file drawn as a graph next to its text. The text
// stays the source of truth: every canvas edit is sent to /api/canvas/edit, which applies it as a
// text edit through the formatter and answers the new text, its diff and the new graph; a text
// edit redraws the graph. Layout by dagre (editor/package.json, served from /lib/dagre). Nothing
// here knows the language: graphs, markers and completions come from the server's compiler.
import dagre from '/lib/dagre/dagre.esm.js';
import { LANGUAGE, loadMonaco, registerSyntax } from './editor/syntax.js';
import * as pages from './pages.js';

const { config, T } = pages.pageConfig('canvas-config');
const { element: el, format } = pages;
const canEdit = !!config.canRun;
const $ = (id) => document.getElementById(id);

const state = {
  path: null, journey: null, graph: null, journeys: [], syntaxErrors: false,
  saved: '', history: [], counts: null, selected: null, armed: null, busy: 0,
};
let textEditor = null;     // the file's text (Monaco)
let diffEditor = null;     // the last change (Monaco's diff editor)
let settingText = false;   // true while the page itself replaces the text (no redraw loop)
const miniEditors = [];    // the side panel's condition editors

// ------------------------------------------------------------------ http

// Requests go through the pages' one JSON helper (pages.js); while any is in flight the canvas is
// aria-busy, which assistive technology (and the browser tests) read as "not settled yet".
async function call(url, body) {
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

function status(message, isError) {
  const s = $('canvas-status');
  s.textContent = message || '';
  s.classList.toggle('error', !!isError);
}

// ------------------------------------------------------------------ files, journeys, replays

async function loadFiles() {
  const [{ files }, journeys, { replays }] = await Promise.all([call('/api/files'), call('/api/canvas/journeys'), call('/api/canvas/replays')]);
  const select = $('canvas-file');
  select.replaceChildren(...files.filter((f) => f.endsWith('.mdsl')).map((f) => new Option(f, f)));
  const wanted = config.extra?.file || journeys[0]?.path || files[0];
  if (wanted && ![...select.options].some((o) => o.value === wanted)) select.append(new Option(wanted, wanted));
  select.value = wanted || '';
  const replay = $('canvas-replay');
  if (config.extra?.live) replay.append(new Option(T('canvas.live'), LIVE));
  for (const r of replays) replay.append(new Option(r.folder, r.folder));
  if (config.extra?.live) replay.value = LIVE;
  select.addEventListener('change', () => openFile(select.value, null));
  $('canvas-journey').addEventListener('change', () => { state.journey = $('canvas-journey').value; state.selected = null; redraw(); loadCounts(); });
  replay.addEventListener('change', () => loadCounts());
  if (wanted) await openFile(wanted, config.extra?.journey || null);
}

// A file switch makes every answer still on its way for the file before stale: a later read, graph
// or edit answer of another file must never land in this one (nor its journey become this file's).
let fileTicket = 0;

async function openFile(path, journey) {
  const ticket = ++fileTicket;
  dropPendingRedraws();
  state.path = path;
  state.journey = journey;
  state.selected = null;
  state.history = [];
  let text = '';
  try { text = (await call('/api/files/read?path=' + encodeURIComponent(path))).text; } catch { text = ''; }
  if (ticket !== fileTicket) return;
  state.saved = text;
  showDiff('', '');
  setText(text);
  await redraw();
  await loadCounts();
}

// Under `mdsl serve` the counts come from the live runtime, polled; otherwise from a replay's journeys.json.
const LIVE = '@live';
const POLL_SECONDS = 5;
let pollTimer = null;
let countsTicket = 0;

async function loadCounts(poll = false) {
  const replay = $('canvas-replay').value;
  const ticket = ++countsTicket;
  clearTimeout(pollTimer);
  const before = JSON.stringify(state.counts?.nodes ?? null);
  if (!poll) { state.counts = null; $('canvas-counts-source').textContent = ''; }
  if (replay && state.journey) {
    const journey = encodeURIComponent(state.journey);
    try {
      const counts = replay === LIVE ? await call(`/api/canvas/counts/live?journey=${journey}`)
        : await call(`/api/canvas/counts?replay=${encodeURIComponent(replay)}&journey=${journey}`);
      if (ticket !== countsTicket) return;
      state.counts = counts;
      $('canvas-counts-source').textContent = replay === LIVE
        ? format(T('canvas.source.live'), new Date().toLocaleTimeString(config.language === 'zh-CN' ? 'zh-CN' : 'en-GB'), POLL_SECONDS)
        : format(T('canvas.source.replay'), counts.replay, counts.from || '?', counts.to || '?');
    } catch (e) {
      if (ticket !== countsTicket) return;
      $('canvas-counts-source').textContent = e.message;
    }
    if (replay === LIVE) pollTimer = setTimeout(() => { if (ticket === countsTicket) loadCounts(true); }, POLL_SECONDS * 1000);
  }
  $('canvas-counts-source').dataset.source = replay === LIVE ? 'live' : replay ? 'replay' : '';
  if (!poll) render();
  else if (JSON.stringify(state.counts?.nodes ?? null) !== before) render(true);
}


// ------------------------------------------------------------------ text

function setText(text) {
  settingText = true;
  try { textEditor.setValue(text); } finally { settingText = false; }
  updateButtons();
}

function currentText() { return textEditor.getValue(); }

function updateButtons() {
  if (!canEdit) return;
  $('canvas-undo').disabled = state.history.length === 0;
  $('canvas-save').disabled = currentText() === state.saved;
  status(currentText() === state.saved ? '' : '● ' + T('canvas.unsaved'));
}

// Only the newest graph request's answer is drawn: a text edit, an edit on the canvas or a file
// switch made after a request was sent makes its answer stale.
let redrawTimer = null;
let redrawTicket = 0;

function dropPendingRedraws() {
  clearTimeout(redrawTimer);
  redrawTicket++;
}

async function redraw() {
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

function applyGraphAnswer(answer) {
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
  monaco.editor.setModelMarkers(textEditor.getModel(), 'canvas', markers.map(toMonacoMarker));
}

const toMonacoMarker = (m) => ({
  startLineNumber: m.range.startLine, startColumn: m.range.startColumn, endLineNumber: m.range.endLine, endColumn: m.range.endColumn,
  message: m.message, code: m.code,
  severity: m.severity === 'error' ? monaco.MarkerSeverity.Error
    : m.severity === 'warning' ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Info,
});

// ------------------------------------------------------------------ edits

async function applyEdit(edit) {
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
function showDiff(before, after) {
  const box = $('canvas-diff');
  delete box.dataset.changes;
  const { original, modified } = diffEditor.getModel();
  original.setValue(before);
  modified.setValue(after);
}

async function undo() {
  const previous = state.history.pop();
  if (previous === undefined) return;
  setText(previous.text);
  showDiff(previous.after, previous.text);
  await redraw();
}

async function save() {
  try {
    const answer = await call('/api/files/save', { path: state.path, text: currentText() });
    state.saved = answer.text;
    if (answer.text !== currentText()) setText(answer.text);
    updateButtons();
    status(T('canvas.saved'));
  } catch (e) { status(e.message, true); }
}

// ------------------------------------------------------------------ drawing

const NODE_WIDTH = 230;

function kindLabel(kind) { return T('canvas.k.' + kind); }

/** Draws the graph; `countsOnly` (a live poll) keeps the side panel as it is, with only its counts new. */
function render(countsOnly = false) {
  const surface = $('canvas-surface');
  surface.replaceChildren();
  renderHeaderAdd();
  const graph = state.graph;
  surface.dataset.journey = graph?.journey ?? '';
  if (!graph) {
    surface.append(el('p', 'hint', state.syntaxErrors ? T('canvas.syntaxerrors') : T('canvas.nojourney')));
    renderInspector();
    return;
  }
  if (state.syntaxErrors) surface.append(el('p', 'hint error', T('canvas.syntaxerrors')));

  // Nodes are laid out at their drawn size: draw, measure, then lay out and place.
  const boxes = new Map();
  for (const node of graph.nodes) {
    const box = drawNode(node);
    surface.append(box);
    boxes.set(node.id, box);
  }
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 36, ranksep: 46, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: NODE_WIDTH, height: boxes.get(node.id).offsetHeight });
  graph.edges.forEach((e, i) => g.setEdge(e.from, e.to, { label: e.label || '', width: e.label ? 8 * e.label.length + 10 : 0,
      height: e.label ? 18 : 0, kind: e.kind }, 'e' + i));
  dagre.layout(g);

  for (const node of graph.nodes) {
    const at = g.node(node.id);
    const box = boxes.get(node.id);
    box.style.left = (at.x - at.width / 2) + 'px';
    box.style.top = (at.y - at.height / 2) + 'px';
  }
  const size = g.graph();
  surface.style.width = Math.ceil(size.width) + 'px';
  surface.style.height = Math.ceil(size.height) + 'px';

  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'edges');
  svg.setAttribute('width', Math.ceil(size.width));
  svg.setAttribute('height', Math.ceil(size.height));
  svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
    + '<path d="M0,0 L10,5 L0,10 z"/></marker></defs>';
  surface.prepend(svg);
  const branchIndex = new Map();
  graph.edges.forEach((e, i) => {
    const laid = g.edge({ v: e.from, w: e.to, name: 'e' + i });
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M' + laid.points.map((p) => `${p.x},${p.y}`).join(' L'));
    path.setAttribute('class', 'edge edge-' + e.kind);
    path.setAttribute('marker-end', 'url(#arrow)');
    path.dataset.from = e.from;
    path.dataset.to = e.to;
    svg.append(path);
    const mid = laid.label ? laid : laid.points[Math.floor(laid.points.length / 2)];
    if (e.label || e.kind === 'then' || e.kind === 'else') {
      const label = el('div', 'edge-label edge-label-' + e.kind, e.label || T('canvas.c.' + e.kind));
      label.style.left = (laid.x ?? mid.x) + 'px';
      label.style.top = (laid.y ?? mid.y) + 'px';
      surface.append(label);
    }
    let branch = null;
    if (e.kind === 'branch') { branch = branchIndex.get(e.from) ?? 0; branchIndex.set(e.from, branch + 1); }
    const place = insertPlace(e, branch);
    if (canEdit && place && !state.syntaxErrors) surface.append(dropZone(place, laid.points, e));
  });
  if (!countsOnly) { renderInspector(); return; }
  const node = graph.nodes.find((n) => n.id === state.selected);
  const shown = document.querySelector('#canvas-inspector > .node-counts');
  const counts = node && countsOf(node);
  if (shown && counts) shown.replaceWith(counts);
}

function drawNode(node) {
  const box = el('div', 'node kind-' + node.kind);
  box.dataset.id = node.id;
  box.dataset.kind = node.kind;
  box.id = 'node-' + node.id.replaceAll('.', '-');
  if (node.id === state.selected) box.classList.add('selected');
  if (node.diagnostics.some((d) => d.severity === 'error')) box.classList.add('has-error');
  box.style.width = NODE_WIDTH + 'px';
  box.append(el('div', 'node-kind', kindLabel(node.kind)));
  if (!['end', 'converted', 'exit'].includes(node.kind)) box.append(el('div', 'node-text', node.text));
  for (const d of node.diagnostics) box.append(el('div', 'node-diagnostic ' + d.severity, d.code + ' ' + d.message));
  const counts = countsOf(node);
  if (counts) box.append(counts);
  box.addEventListener('click', (ev) => { ev.stopPropagation(); select(node.id); });
  if (canEdit && node.block !== null && node.block !== undefined && !state.syntaxErrors) {
    box.draggable = true;
    box.addEventListener('dragstart', (ev) => { ev.dataTransfer.setData('text/plain', 'move:' + node.id); ev.dataTransfer.effectAllowed = 'move'; });
  }
  return box;
}

// Outcomes that only matter when they happened (a replay has no channel receipts; most sends are never capped).
const OPTIONAL_COUNTS = new Set(['delivered', 'failed', 'opened', 'clicked', 'deferred', 'capped', 'held_out_sends', 'already_in']);

/** The counts a node shows from the live runtime or the chosen replay (see CanvasApi.NodeCounts). */
function countsOf(node) {
  const c = state.counts?.nodes?.[node.id];
  if (!c) return null;
  const wrap = el('div', 'node-counts');
  if (c.kind && c.kind !== node.kind) { wrap.append(el('span', 'stale', T('canvas.stale'))); return wrap; }
  const order = ['fired', 'entered', 'reached', 'suppressed', 'already_in', 'held_out', 'entered_treated', 'users', 'sent', 'delivered', 'failed',
    'opened', 'clicked', 'deferred', 'capped', 'held_out_sends', 'resumed_by_event', 'timed_out', 'converted', 'converted_held_out', 'goal_rate',
    'waiting', 'left_share', 'then', 'else', 'neither', 'converted_after'];
  for (const key of order) {
    if (!(key in c)) continue;
    let value = c[key];
    if (value === null || (value === 0 && OPTIONAL_COUNTS.has(key))) continue;
    if (key === 'goal_rate' || key === 'left_share') value = (100 * value).toFixed(1) + '%';
    const item = el('span', 'count count-' + key);
    item.append(el('b', null, String(value)), ' ' + T('canvas.c.' + key));
    wrap.append(item);
  }
  if (Array.isArray(c.branches)) {
    const item = el('span', 'count count-branches');
    item.append(el('b', null, c.branches.join(' / ')), ' ' + T('canvas.c.branches'));
    wrap.append(item);
  }
  return wrap;
}

/** Where a step dropped on an arrow goes: the block and index the arrow leaves from. */
function insertPlace(edge, branch) {
  const graph = state.graph;
  const from = graph.nodes.find((n) => n.id === edge.from);
  if (!from) return null;
  if (edge.kind === 'entry') return graph.nodes.some((n) => n.id === edge.to
      && (n.block !== null && n.block !== undefined || n.kind === 'end')) ? { block: '', index: 0 } : null;
  if (from.block === null || from.block === undefined) return null;
  switch (edge.kind) {
    case 'next': case 'timeout': return { block: from.block, index: from.index + 1 };
    case 'then': return { block: from.id + '.0', index: 0 };
    case 'else': {
      const block = graph.blocks.find((b) => b.id === from.id + '.1');
      return block && !block.isElseIf ? { block: block.id, index: 0 } : null;
    }
    case 'branch': return { block: from.id + '.' + branch, index: 0 };
    default: return null;
  }
}

function dropZone(place, points, edge) {
  const zone = el('button', 'drop-zone', '+');
  zone.type = 'button';
  zone.dataset.block = place.block;
  zone.dataset.index = place.index;
  zone.dataset.from = edge.from;
  zone.dataset.kind = edge.kind;
  // Near the arrow's end, so two arrows into one node keep their own zones apart.
  const a = points[Math.max(0, points.length - 2)], b = points[points.length - 1];
  zone.style.left = (a.x + (b.x - a.x) * 0.35) + 'px';
  zone.style.top = (a.y + (b.y - a.y) * 0.35) + 'px';
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    dropped(ev.dataTransfer.getData('text/plain'), place);
  });
  zone.addEventListener('click', (ev) => {
    ev.stopPropagation();
    if (state.armed) { const kind = state.armed; arm(null); dropped('new:' + kind, place); }
  });
  return zone;
}

function dropped(data, place) {
  if (data.startsWith('move:')) applyEdit({ op: 'move_step', node: data.slice(5), block: place.block, index: place.index });
  else if (data.startsWith('new:')) openNewStep(data.slice(4), place);
}

function arm(kind) {
  state.armed = kind;
  document.querySelectorAll('.palette-item').forEach((p) => p.classList.toggle('armed', p.dataset.kind === kind));
  document.body.classList.toggle('placing', !!kind);
}

function select(id) {
  state.selected = id;
  state.newStep = null;
  document.querySelectorAll('.node').forEach((n) => n.classList.toggle('selected', n.dataset.id === id));
  renderInspector();
}

// ------------------------------------------------------------------ header properties not yet written

function renderHeaderAdd() {
  const strip = $('canvas-header-add');
  strip.replaceChildren();
  if (!canEdit || !state.graph || state.syntaxErrors) return;
  for (const kind of ['audience', 'reentry', 'goal', 'holdout']) {
    if (state.graph.nodes.some((n) => n.id === kind)) continue;
    const b = el('button', 'small add-header', '+ ' + kindLabel(kind));
    b.type = 'button';
    b.dataset.kind = kind;
    b.addEventListener('click', () => { state.selected = null; state.newStep = { header: kind }; renderInspector(); });
    strip.append(b);
  }
}

// ------------------------------------------------------------------ side panel

const FIELDS = {
  trigger: [['trigger', 'expr']], audience: [['condition', 'expr']], reentry: [['rule', 'text']],
  goal: [['event', 'text'], ['where', 'expr'], ['within', 'text'], ['value', 'text']], holdout: [['percent', 'text']],
  wait: [['duration', 'text'], ['until', 'text'], ['where', 'expr']], send: [['channel', 'text'], ['template', 'text'], ['offer', 'text']],
  if: [['condition', 'expr']], split: [['name', 'text'], ['winner_after', 'text'], ['shares', 'text']], exit: [],
};
const DEFAULTS = { wait: { duration: '1d' }, split: {}, if: {}, send: {}, exit: {} };

function disposeMinis() {
  while (miniEditors.length) miniEditors.pop().dispose();
}

function renderInspector() {
  disposeMinis();
  const panel = $('canvas-inspector');
  panel.replaceChildren();
  if (state.newStep?.create) return renderCreate(panel);
  if (state.newStep?.header) return renderForm(panel, state.newStep.header, {}, null, { header: state.newStep.header });
  if (state.newStep) return renderForm(panel, state.newStep.kind, DEFAULTS[state.newStep.kind] || {}, null, state.newStep);
  const node = state.graph?.nodes.find((n) => n.id === state.selected);
  if (!node) {
    // What the compiler says of the journey outside any node (its name, a missing trigger …).
    for (const d of state.graph?.diagnostics || []) panel.append(el('div', 'node-diagnostic ' + d.severity, d.code + ' ' + d.message));
    panel.append(el('p', 'hint', T('canvas.select')));
    return;
  }
  renderForm(panel, node.kind, node.properties, node, null);
}

function openNewStep(kind, place) {
  state.selected = null;
  state.newStep = { kind, block: place.block, index: place.index };
  document.querySelectorAll('.node.selected').forEach((n) => n.classList.remove('selected'));
  renderInspector();
}

/** The form of a node (or of a step to add): its fields, markers, counts and actions. */
function renderForm(panel, kind, values, node, adding) {
  panel.append(el('h3', 'inspector-title', kindLabel(kind) + (node && node.block !== undefined && node.block !== null ? ' · ' + node.id : '')));
  if (node) for (const d of node.diagnostics) panel.append(el('div', 'node-diagnostic ' + d.severity, d.code + ' ' + d.message));
  if (node) { const c = countsOf(node); if (c) panel.append(c); }
  const readonly = !canEdit || state.syntaxErrors;
  const inputs = {};
  for (const [name, type] of FIELDS[kind] || []) {
    const label = el('label', 'field');
    label.append(el('span', null, T('canvas.p.' + name)));
    const value = values[name] ?? '';
    if (type === 'expr') {
      const host = el('div', 'mini-editor');
      host.dataset.field = name;
      label.append(host);
      panel.append(label);
      const mini = miniEditor(host, value, node?.ranges?.[name] || null, readonly, kind === 'trigger');
      inputs[name] = () => mini.getValue();
    } else {
      const input = el('input');
      input.name = name;
      input.value = value;
      input.readOnly = readonly;
      label.append(input);
      panel.append(label);
      inputs[name] = () => input.value;
    }
  }
  const read = () => Object.fromEntries(Object.entries(inputs).map(([k, f]) => [k, f()]));
  if (readonly) return;
  const actions = el('div', 'actions');
  const button = (text, cls, onClick) => {
    const b = el('button', cls, text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    actions.append(b);
    return b;
  };
  if (adding?.header) {
    button(T('canvas.add'), 'primary apply', async () => {
      if (await applyEdit({ op: 'set_properties', node: adding.header, properties: read() })) { state.newStep = null; select(adding.header); }
    });
    button(T('canvas.cancel'), 'cancel', () => { state.newStep = null; renderInspector(); });
  } else if (adding) {
    button(T('canvas.add'), 'primary apply', async () => {
      if (await applyEdit({ op: 'add_step', block: adding.block, index: adding.index, kind, properties: read() })) {
        state.newStep = null;
        select(adding.block === '' ? String(adding.index) : adding.block + '.' + adding.index);
      }
    });
    button(T('canvas.cancel'), 'cancel', () => { state.newStep = null; renderInspector(); });
  } else {
    if ((FIELDS[kind] || []).length) button(T('canvas.apply'), 'primary apply',
        () => applyEdit({ op: 'set_properties', node: node.id, properties: read() }));
    if (node.block !== undefined && node.block !== null) button(T('canvas.delete'), 'danger delete',
        () => { state.selected = null; applyEdit({ op: 'remove_step', node: node.id }); });
    else if (['audience', 'reentry', 'goal', 'holdout'].includes(kind)) button(T('canvas.delete'), 'danger delete',
        () => { state.selected = null; applyEdit({ op: 'remove_property', node: kind }); });
  }
  panel.append(actions);
  if (!node) return;
  if (kind === 'if') branchActionsForIf(panel, node);
  if (kind === 'split') branchActionsForSplit(panel, node);
}

function branchActionsForIf(panel, node) {
  const box = el('div', 'branch-actions');
  const hasElse = state.graph.blocks.some((b) => b.id === node.id + '.1');
  const add = (text, properties) => {
    const b = el('button', 'add-branch', text);
    b.type = 'button';
    b.addEventListener('click', () => applyEdit({ op: 'add_branch', node: node.id, properties: properties() }));
    box.append(b);
  };
  if (!hasElse) add(T('canvas.addelse'), () => ({}));
  else {
    const host = el('div', 'mini-editor');
    box.append(el('span', null, T('canvas.p.condition')), host);
    const mini = miniEditor(host, '', null, false, false);
    add(T('canvas.addelseif'), () => ({ condition: mini.getValue() }));
    const remove = el('button', 'remove-branch', T('canvas.removeelse'));
    remove.type = 'button';
    remove.addEventListener('click', () => applyEdit({ op: 'remove_branch', node: node.id, branch: 1 }));
    box.append(remove);
  }
  panel.append(box);
}

function branchActionsForSplit(panel, node) {
  const box = el('div', 'branch-actions');
  const percent = el('input');
  percent.name = 'arm-percent';
  percent.placeholder = '50%';
  percent.size = 6;
  const add = el('button', 'add-branch', T('canvas.addarm'));
  add.type = 'button';
  add.addEventListener('click', () => applyEdit({ op: 'add_branch', node: node.id, properties: { percent: percent.value } }));
  box.append(percent, add);
  const arms = state.graph.blocks.filter((b) => b.owner === node.id);
  if (arms.length) {
    const which = el('select');
    which.name = 'arm';
    arms.forEach((b, i) => which.append(new Option(`${i + 1}: ${b.label}`, String(i))));
    const remove = el('button', 'remove-branch', T('canvas.removearm'));
    remove.type = 'button';
    remove.addEventListener('click', () => applyEdit({ op: 'remove_branch', node: node.id, branch: Number(which.value) }));
    box.append(which, remove);
  }
  panel.append(box);
}

function renderCreate(panel) {
  panel.append(el('h3', 'inspector-title', T('canvas.newjourney')));
  const inputs = {};
  for (const name of ['name', 'label']) {
    const label = el('label', 'field');
    const input = el('input');
    input.name = name;
    label.append(el('span', null, T('canvas.' + name)), input);
    panel.append(label);
    inputs[name] = () => input.value;
  }
  const label = el('label', 'field');
  const host = el('div', 'mini-editor');
  host.dataset.field = 'trigger';
  label.append(el('span', null, T('canvas.p.trigger')), host);
  panel.append(label);
  const mini = miniEditor(host, '', null, false, true);
  const actions = el('div', 'actions');
  const create = el('button', 'primary apply', T('canvas.create'));
  create.type = 'button';
  create.addEventListener('click', async () => {
    const properties = { name: inputs.name().trim(), label: inputs.label(), trigger: mini.getValue() };
    if (await applyEdit({ op: 'create_journey', properties })) { state.newStep = null; select('trigger'); }
  });
  actions.append(create);
  panel.append(actions);
}

// ------------------------------------------------------------------ condition editors

// A condition typed in the side panel is checked and completed in place: its text is put where it
// stands in the file (or, for a step not yet written, into a scratch tag at the end) and the
// server's completion and markers for that spot are mapped back into the small editor.
const miniContexts = new Map();

function miniEditor(host, value, range, readonly, isTrigger) {
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
    const m = textEditor.getModel();
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
function registerCompletion() {
  const kinds = monaco.languages.CompletionItemKind;
  monaco.languages.registerCompletionItemProvider(LANGUAGE, {
    triggerCharacters: ['.', '(', ',', ' '],
    async provideCompletionItems(model, position) {
      const isText = model === textEditor.getModel();
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

// ------------------------------------------------------------------ start

loadMonaco().then(async () => {
  await registerSyntax();
  registerCompletion();
  textEditor = monaco.editor.create($('canvas-text'), {
    value: '', language: LANGUAGE, readOnly: !canEdit, minimap: { enabled: false }, automaticLayout: true, fontSize: 13, scrollBeyondLastLine: false,
  });
  diffEditor = monaco.editor.createDiffEditor($('canvas-diff'), {
    readOnly: true, originalEditable: false, automaticLayout: true, minimap: { enabled: false }, fontSize: 12, renderSideBySide: false,
    scrollBeyondLastLine: false, lineNumbers: 'off', renderOverviewRuler: false, hideUnchangedRegions: { enabled: true },
  });
  diffEditor.setModel({ original: monaco.editor.createModel('', LANGUAGE), modified: monaco.editor.createModel('', LANGUAGE) });
  diffEditor.onDidUpdateDiff(() => { $('canvas-diff').dataset.changes = String((diffEditor.getLineChanges() || []).length); });
  textEditor.getModel().onDidChangeContent(() => {
    if (settingText) return;
    updateButtons();
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(redraw, 250);
  });
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
