// The side panel: the selected node's properties (conditions in small editors), counts and actions,
// the form of a step or header property to add, and the new-journey form.
import { state, canEdit, T, $, el, kindLabel } from './state.js';
import { applyEdit } from './text.js';
import { countsOf, select } from './graph.js';
import { miniEditor, disposeConditionEditors } from './conditions.js';

const FIELDS = {
  trigger: [['trigger', 'expr']], audience: [['condition', 'expr']], reentry: [['rule', 'text']],
  goal: [['event', 'text'], ['where', 'expr'], ['within', 'text'], ['value', 'text']], holdout: [['percent', 'text']],
  wait: [['duration', 'text'], ['until', 'text'], ['where', 'expr']], send: [['channel', 'text'], ['template', 'text'], ['offer', 'text']],
  if: [['condition', 'expr']], split: [['name', 'text'], ['winner_after', 'text'], ['shares', 'text']], exit: [],
};
const DEFAULTS = { wait: { duration: '1d' }, split: {}, if: {}, send: {}, exit: {} };

export function renderInspector() {
  disposeConditionEditors();
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

export function openNewStep(kind, place) {
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
