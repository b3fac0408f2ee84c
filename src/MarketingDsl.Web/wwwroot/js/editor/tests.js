// The test panel: runs the workspace's `test` blocks on the working copy (unsaved buffers included)
// and shows each failing expectation in the panel and as a marker in its file until the next run.
import { post } from './api.js';
import { T, LANGUAGE, el, pathOf, unsavedBuffers } from './state.js';
import { showTab, sourceLink } from './panel.js';

// Failing expectations are also shown as markers in their files, until the next run.
let testMarkers = new Map();   // path → monaco markers
export function applyTestMarkers(model) {
  monaco.editor.setModelMarkers(model, 'mdsl-tests', testMarkers.get(pathOf(model)) || []);
}

export async function runTests() {
  showTab('tests');
  const button = document.getElementById('run-tests');
  const summary = document.getElementById('test-summary');
  button.disabled = true;
  summary.className = 'test-summary running';
  summary.textContent = T('editor.testsrunning');
  document.getElementById('test-list').replaceChildren();
  try {
    renderTests(await post('/api/tests', { buffers: unsavedBuffers() }));
  } catch (e) {
    summary.className = 'test-summary error';
    summary.textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

function renderTests(run) {
  const summary = document.getElementById('test-summary');
  const list = document.getElementById('test-list');
  const count = document.getElementById('test-count');
  testMarkers = new Map();
  if (run.status === 'errors') {
    summary.className = 'test-summary error';
    summary.textContent = run.errorCount + ' ' + T('editor.testerrors');
    count.textContent = '(!)';
    list.replaceChildren(...run.errors.map((e) => {
      const li = sourceLink(el('li', 'compile-error'), e.place);
      li.textContent = `${e.place.path}:${e.place.line}:${e.place.column}  ${e.code}: ${e.message}`;
      return li;
    }));
  } else {
    summary.className = 'test-summary ' + run.status;
    summary.textContent = run.tests.length === 0 ? T('editor.testsnone')
      : `${run.passed} ${T('editor.testspassed')}, ${run.failed} ${T('editor.testsfailed')} · ${Math.round(run.elapsedMs)} ms`;
    count.textContent = run.tests.length ? `(${run.passed}/${run.tests.length})` : '';
    list.replaceChildren(...run.tests.map((t) => {
      const li = el('li', 'test ' + (t.passed ? 'pass' : 'fail'));
      li.dataset.test = t.name;
      const head = sourceLink(el('div', 'test-head'), t.place);
      head.append(el('span', 'mark', t.passed ? '✓' : '✗'), el('span', 'name', t.name));
      if (t.place) head.append(el('span', 'where', `${t.place.path}:${t.place.line}`));
      li.append(head);
      if (t.error) li.append(el('div', 'test-error', t.error));
      for (const note of t.notes) li.append(el('div', 'test-note', note));
      for (const f of t.failures) {
        const row = sourceLink(el('div', 'failure'), f.place);
        row.append(el('span', 'where', `${f.place.path}:${f.place.line}`), el('span', 'expect', `${T('editor.expect')} ${f.expectation}`),
            el('span', 'but', `${T('editor.but')}: ${f.explanation}`));
        li.append(row);
        const markers = testMarkers.get(f.place.path) || [];
        markers.push({
          startLineNumber: f.place.line, startColumn: f.place.column, endLineNumber: f.place.line,
              endColumn: f.place.column + 6 + f.expectation.length + 1,
          severity: monaco.MarkerSeverity.Error, message: `test "${t.name}": expect ${f.expectation}, but ${f.explanation}`, source: 'mdsl test',
        });
        testMarkers.set(f.place.path, markers);
      }
      return li;
    }));
  }
  for (const model of monaco.editor.getModels()) if (model.getLanguageId() === LANGUAGE) applyTestMarkers(model);
}

