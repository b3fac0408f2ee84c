// The journey drawn as a graph (laid out by dagre: editor/package.json, served from /lib/dagre): its
// nodes with their counts, the arrows with a drop zone where a step can go, and the selection.
import dagre from '/lib/dagre/dagre.esm.js';
import { state, canEdit, T, $, el, kindLabel } from './state.js';
import { applyEdit } from './text.js';
import { renderInspector, openNewStep } from './inspector.js';

const NODE_WIDTH = 230;

/** Draws the graph; `countsOnly` (a live poll) keeps the side panel as it is, with only its counts new. */
export function render(countsOnly = false) {
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
export function countsOf(node) {
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

export function arm(kind) {
  state.armed = kind;
  document.querySelectorAll('.palette-item').forEach((p) => p.classList.toggle('armed', p.dataset.kind === kind));
  document.body.classList.toggle('placing', !!kind);
}

export function select(id) {
  state.selected = id;
  state.newStep = null;
  document.querySelectorAll('.node').forEach((n) => n.classList.toggle('selected', n.dataset.id === id));
  renderInspector();
}

// The header properties not yet written, offered above the graph.
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
