// The Problems panel: the open file's markers (live, as typed), then every other file's diagnostics
// in the working copy (the workspace with the unsaved buffers in place), so deleting a tag that
// another file uses shows the break at once; with a data set chosen, every file's data-aware warnings
// (MD5050) too. The file list shows each file's error and warning counts.
import { post } from './api.js';
import { state, T, el, toRange, unsavedBuffers, keepDrafts } from './state.js';
import { openAt, renderFiles } from './files.js';

/** path → { errors, warnings } of the last workspace check. */
export const counts = new Map();
let workspaceFiles = [];
let timer = null;
let ticket = 0;

const problemText = (m) => `${m.range.startLine}:${m.range.startColumn}  ${T('editor.sev.' + m.severity)} ${m.code}: ${m.message}`;

/** The open file's markers, as the last check of its buffer answered. */
export function renderProblems(markers) {
  const list = document.getElementById('problem-list');
  if (!markers.length) {
    list.replaceChildren(el('li', 'none', T('editor.noproblems')));
  } else {
    list.replaceChildren(...markers.map((m) => {
      const li = el('li', m.severity, problemText(m));
      li.addEventListener('click', () => {
        const r = toRange(m.range);
        state.editor.setSelection(r);
        state.editor.revealRangeInCenter(r);
        state.editor.focus();
      });
      return li;
    }));
  }
  if (state.current) counts.set(state.current, tally(markers));
  renderOtherFiles();
}

function tally(markers) {
  return { errors: markers.filter((m) => m.severity === 'error').length, warnings: markers.filter((m) => m.severity === 'warning').length };
}

/** Checks the whole working copy a little after the last edit (and at once when asked). */
export function scheduleWorkspaceProblems(delayMs) {
  clearTimeout(timer);
  timer = setTimeout(refreshWorkspaceProblems, delayMs ?? 400);
}

export async function refreshWorkspaceProblems() {
  const mine = ++ticket;
  keepDrafts();
  try {
    const result = await post('/api/problems', { buffers: unsavedBuffers(), dataFolder: state.dataFolder });
    if (mine !== ticket) return;
    workspaceFiles = result.files;
    counts.clear();
    for (const f of result.files) counts.set(f.path, tally(f.markers));
    renderOtherFiles();
    renderFiles();
  } catch (e) {
    document.getElementById('workspace-problems').replaceChildren(el('p', 'error', e.message));
  }
}

function renderOtherFiles() {
  const box = document.getElementById('workspace-problems');
  const others = workspaceFiles.filter((f) => f.path !== state.current && f.markers.length);
  let total = 0;
  for (const c of counts.values()) total += c.errors + c.warnings;
  document.getElementById('problem-count').textContent = total ? '(' + total + ')' : '';
  const parts = [el('h4', null, others.length ? T('editor.otherfiles') : T('editor.otherfilesnone'))];
  for (const file of others) {
    const section = el('section', 'file-problems');
    section.dataset.path = file.path;
    section.append(el('div', 'file-problems-head', file.path));
    const list = el('ul');
    for (const m of file.markers) {
      const li = el('li', m.severity, problemText(m));
      li.addEventListener('click', () => openAt(file.path, m.range.startLine, m.range.startColumn));
      list.append(li);
    }
    section.append(list);
    parts.push(section);
  }
  box.replaceChildren(...parts);
}

// A data set chosen (or none any more) or loaded: every file's data-aware warnings change.
document.addEventListener('mdsl:data-ready', () => scheduleWorkspaceProblems(0));
