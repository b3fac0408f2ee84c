// The journey views: each journey's header and step tree, drawn from /api/journeys on the working copy.
import { post } from './api.js';
import { T, el, unsavedBuffers } from './state.js';
import { sourceLink } from './panel.js';

let journeysRequest = 0;
export async function loadJourneys() {
  const ticket = ++journeysRequest;
  try {
    const result = await post('/api/journeys', { buffers: unsavedBuffers() });
    if (ticket === journeysRequest) renderJourneys(result);
  } catch (e) {
    document.getElementById('journey-list').replaceChildren(el('div', 'test-summary error', e.message));
  }
}

function renderJourneys(result) {
  const container = document.getElementById('journey-list');
  const parts = [];
  if (result.errors > 0) parts.push(el('div', 'journey-note', result.errors + ' ' + T('editor.journeyserrors')));
  if (result.journeys.length === 0) parts.push(el('div', 'journey-note', T('editor.journeysnone')));
  for (const j of result.journeys) {
    const card = el('section', 'journey');
    card.dataset.journey = j.name;
    const head = el('h4', 'journey-head');
    head.append(sourceLink(el('span', 'journey-name', j.name), j.place));
    if (j.label) head.append(el('span', 'journey-label', j.label));
    card.append(head);
    const clauses = el('dl', 'clauses');
    const clause = (key, value, fallback) => {
      clauses.append(el('dt', '', T(key)));
      const dd = el('dd', value ? '' : 'none', value ? value.text : fallback);
      clauses.append(value ? sourceLink(dd, value.place) : dd);
    };
    clause('editor.trigger', j.trigger, '');
    clause('editor.audience', j.audience, T('editor.everyone'));
    clause('editor.reentry', j.reentry, '');
    clause('editor.goal', j.goal, T('editor.nogoal'));
    clause('editor.holdout', j.holdout, '0%');
    clauses.firstElementChild.nextElementSibling.classList.add('trigger-' + j.triggerKind);
    card.append(clauses);
    const flow = renderSteps(j.steps);
    flow.append(el('li', 'step end', '● ' + T('editor.end')));
    card.append(flow);
    parts.push(card);
  }
  container.replaceChildren(...parts);
}

// Glyphs every system font has (DejaVu, the fallback on Linux), no emoji.
const stepIcons = { wait: '◷', wait_until: '◷', send: '✉', if: '◇', split: '⋔', exit: '■' };

function renderSteps(steps) {
  const flow = el('ol', 'flow');
  for (const step of steps) {
    const li = el('li', 'step ' + step.kind);
    const node = sourceLink(el('div', 'node'), step.place);
    node.append(el('span', 'icon', stepIcons[step.kind] || '•'));
    if (step.kind === 'send') {
      node.append(el('span', 'channel', step.channel), el('span', 'template', step.template));
      if (step.offer) node.append(el('span', 'offer', 'offer ' + step.offer));
      // What the message carries (a send's `items:`, e.g. a recommender's list), evaluated per user when it goes.
      if (step.items) node.append(el('span', 'items', 'items: ' + step.items));
    } else if (step.kind === 'if') {
      node.append(el('span', 'text', step.condition));
    } else {
      node.append(el('span', 'text', step.text));
    }
    li.append(node);
    if (step.kind === 'if' || step.kind === 'split') {
      const branches = el('div', 'branches');
      const branch = (title, body) => {
        const b = el('div', 'branch');
        b.append(el('div', 'branch-head', title), body.length ? renderSteps(body) : el('div', 'pass', '→'));
        branches.append(b);
      };
      if (step.kind === 'if') { branch(T('editor.then'), step.then); branch(T('editor.else'), step.else); }
      else for (const b of step.branches) branch(b.percent + '%', b.steps);
      li.append(branches);
    }
    flow.append(li);
  }
  return flow;
}

