// The MarketingDsl editor page: Monaco with the language registered from the Monarch definition
// (editor/marketingdsl.monarch.json), and every language feature answered by /api — the same
// Compilation the CLI uses. Nothing here checks the language itself.
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('editor-config').textContent);
  const T = (key) => (config.texts && config.texts[key]) || key;
  const LANGUAGE = 'marketingdsl';
  // Custom function files (functions/*.csx) are C#: Monaco's own C# colouring; markers still come from /api.
  const languageOf = (path) => (path.endsWith('.csx') ? 'csharp' : LANGUAGE);
  // The pause that ends a typing burst adapts to the server: the median of the recent request
  // times, between 20 and 75 ms (examples/retail answers in ~15 ms warm, so a marker follows the
  // last keystroke by well under 150 ms). One request per file is in flight at a time and edits
  // made meanwhile go in the next one, so a short pause cannot pile requests up on a busy server;
  // unchanged text is never sent again.
  const MIN_DEBOUNCE_MS = 20;
  const MAX_DEBOUNCE_MS = 75;
  let debounceMs = MAX_DEBOUNCE_MS;
  let fixedDebounceMs = null;   // set by the browser test to measure the former fixed pause as a baseline
  const recentRequestMs = [];

  const saved = new Map();      // path → text last loaded or saved
  let editor = null;
  let current = null;           // path of the open file
  let files = [];

  // Timing of the keystroke → marker round trip, read by the browser test: each sample splits
  // it into debounce (last change → request sent), request (sent → answer, server part
  // included), markers (answer → markers set) and paint (→ the next frame, when squiggles show).
  const timing = { lastChangeAt: 0, lastChangeVersion: 0, markersAt: 0, markersVersion: 0, roundTripMs: null, serverMs: null, samples: [], get debounceMs() { return debounceMs; } };
  window.mdsl = {
    timing, get editor() { return editor; }, get path() { return current; }, openFile: (path, line) => openAt(path, line, 1),
    fixDebounce(ms) { fixedDebounceMs = ms; debounceMs = ms ?? MAX_DEBOUNCE_MS; },
  };

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', [config.header]: config.antiforgeryToken },
      body: JSON.stringify(body),
    });
    if (response.status === 401) { location.href = '/Account/Login?returnUrl=' + encodeURIComponent(location.pathname + location.search); throw new Error('signed out'); }
    const json = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(json.error || ('HTTP ' + response.status));
    const inServer = /app;dur=([\d.]+)/.exec(response.headers.get('Server-Timing') || '');
    if (inServer && json && typeof json === 'object') Object.defineProperty(json, 'pipelineMs', { value: parseFloat(inServer[1]), enumerable: false });
    return json;
  }

  async function get(url) {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (response.status === 401) { location.href = '/Account/Login'; throw new Error('signed out'); }
    const json = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(json.error || ('HTTP ' + response.status));
    return json;
  }

  const uriOf = (path) => monaco.Uri.parse('mdsl:/' + path);
  const pathOf = (model) => model.uri.path.replace(/^\//, '');
  const toRange = (r) => new monaco.Range(r.startLine, r.startColumn, r.endLine, r.endColumn);
  const buffer = (model, position, extra) => Object.assign({
    path: pathOf(model), text: model.getValue(),
    line: position ? position.lineNumber : 1, column: position ? position.column : 1,
  }, extra || {});

  function setStatus(text) { document.getElementById('status').textContent = text; }

  // ------------------------------------------------------------------ files

  async function modelFor(path) {
    let model = monaco.editor.getModel(uriOf(path));
    if (model) return model;
    const file = await get('/api/files/read?path=' + encodeURIComponent(path));
    model = monaco.editor.getModel(uriOf(path)) || monaco.editor.createModel(file.text, languageOf(path), uriOf(path));
    saved.set(path, file.text);
    model.onDidChangeContent(() => onChange(model));
    applyTestMarkers(model);
    return model;
  }

  /** Opens a file and puts the cursor on a line (links from the test panel and the journey views). */
  function openAt(path, line, column) {
    const position = new monaco.Range(line, column || 1, line, column || 1);
    return openFile(path, position);
  }

  async function openFile(path, selection) {
    const model = await modelFor(path);
    current = path;
    editor.setModel(model);
    editor.updateOptions({ readOnly: false });
    document.getElementById('current-file').textContent = path;
    document.getElementById('format').disabled = false;
    const save = document.getElementById('save');
    if (save) save.disabled = false;
    if (selection) { editor.setSelection(selection); editor.revealRangeInCenter(selection); }
    renderFiles();
    updateDirty();
    history.replaceState(null, '', '/?file=' + encodeURIComponent(path));
    validate(model, true);
    editor.focus();
  }

  function renderFiles() {
    const list = document.getElementById('file-list');
    list.replaceChildren(...files.map((path) => {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = '#';
      link.textContent = path;
      link.dataset.path = path;
      if (path === current) link.className = 'active';
      const model = monaco.editor.getModel(uriOf(path));
      if (model && saved.get(path) !== model.getValue()) link.textContent += ' ●';
      link.addEventListener('click', (e) => { e.preventDefault(); openFile(path); });
      item.append(link);
      return item;
    }));
  }

  function updateDirty() {
    const model = editor.getModel();
    const dirty = !!model && saved.get(pathOf(model)) !== model.getValue();
    document.getElementById('dirty').hidden = !dirty;
  }

  async function saveAll() {
    const dirty = monaco.editor.getModels().filter((m) => m.getLanguageId() === LANGUAGE && saved.get(pathOf(m)) !== m.getValue());
    if (current && !dirty.some((m) => pathOf(m) === current)) dirty.push(editor.getModel());
    for (const model of dirty) {
      const path = pathOf(model);
      try {
        const result = await post('/api/files/save', { path, text: model.getValue() });
        saved.set(path, result.text);
        if (model.getValue() !== result.text) {
          const selection = model === editor.getModel() ? editor.getSelection() : null;
          model.pushEditOperations([], [{ range: model.getFullModelRange(), text: result.text }], () => null);
          if (selection) editor.setSelection(selection);
        }
        applyMarkers(model, result.markers);
        // The save answered with the markers of the saved (formatted) text: the check that the
        // formatting edit schedules has nothing to add, and would replace the saved status.
        const check = checks.get(model) || { inFlight: false, again: false, shownText: null };
        check.shownText = result.text;
        checks.set(model, check);
        setStatus((result.formatted ? T('editor.saved') : T('editor.savedraw')) + ' #' + result.version);
      } catch (e) {
        setStatus(path + ': ' + e.message);
      }
    }
    updateDirty();
    renderFiles();
  }

  // ------------------------------------------------------------------ live diagnostics

  const timers = new Map();
  const checks = new Map();     // model → { inFlight, again, shownText: the text whose markers are shown }
  function onChange(model) {
    if (model === editor.getModel()) {
      timing.lastChangeAt = performance.now();
      timing.lastChangeVersion = model.getVersionId();
      updateDirty();
    }
    clearTimeout(timers.get(model));
    timers.set(model, setTimeout(() => validate(model), debounceMs));
  }

  function adaptDebounce(requestMs) {
    recentRequestMs.push(requestMs);
    if (recentRequestMs.length > 8) recentRequestMs.shift();
    const sorted = [...recentRequestMs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    if (fixedDebounceMs !== null) { debounceMs = fixedDebounceMs; return; }
    debounceMs = Math.round(Math.min(MAX_DEBOUNCE_MS, Math.max(MIN_DEBOUNCE_MS, median)));
  }

  async function validate(model, force) {
    const check = checks.get(model) || { inFlight: false, again: false, shownText: null };
    checks.set(model, check);
    if (check.inFlight) { check.again = true; return; }
    const text = model.getValue();
    const version = model.getVersionId();
    // Typing then undoing within one pause leaves the text whose markers are already shown.
    if (!force && text === check.shownText) { noteMarkers(model, version, null); return; }
    check.inFlight = true;
    const sentAt = performance.now();
    setStatus(T('editor.checking'));
    try {
      const result = await post('/api/diagnostics', { path: pathOf(model), text });
      const answeredAt = performance.now();
      adaptDebounce(answeredAt - sentAt);
      if (model.isDisposed()) return;
      if (model.getVersionId() === version) {
        applyMarkers(model, result.markers);
        check.shownText = text;
        noteMarkers(model, version, { sentAt, answeredAt, server: result.timing, serverMs: result.serverMs, pipelineMs: result.pipelineMs });
      }
      setStatus('✓ ' + result.serverMs + ' ms');
    } catch (e) {
      setStatus(e.message);
    } finally {
      check.inFlight = false;
      if (check.again && !model.isDisposed()) { check.again = false; validate(model); }
    }
  }

  function noteMarkers(model, version, request) {
    if (model !== editor.getModel()) return;
    const markersAt = performance.now();
    timing.markersAt = markersAt;
    timing.markersVersion = version;
    if (request) timing.serverMs = request.serverMs;
    if (timing.lastChangeVersion !== version) return;
    const changeAt = timing.lastChangeAt;
    timing.roundTripMs = markersAt - changeAt;
    const sample = {
      version, roundTripMs: markersAt - changeAt, debounceSetting: debounceMs,
      debounceMs: request ? request.sentAt - changeAt : null, requestMs: request ? request.answeredAt - request.sentAt : null,
      serverMs: request ? request.serverMs : null, server: request ? request.server : null, pipelineMs: request && request.pipelineMs !== undefined ? request.pipelineMs : null,
      markersMs: request ? markersAt - request.answeredAt : null, paintedMs: null,
    };
    timing.samples.push(sample);
    if (timing.samples.length > 200) timing.samples.shift();
    requestAnimationFrame(() => { sample.paintedMs = performance.now() - changeAt; });
  }

  const severities = () => ({ error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning, info: monaco.MarkerSeverity.Info });

  function applyMarkers(model, markers) {
    const sev = severities();
    monaco.editor.setModelMarkers(model, 'mdsl', markers.map((m) => ({
      startLineNumber: m.range.startLine, startColumn: m.range.startColumn, endLineNumber: m.range.endLine, endColumn: m.range.endColumn,
      severity: sev[m.severity] || monaco.MarkerSeverity.Info, message: m.message, code: m.code, source: 'mdsl',
    })));
    if (model === editor.getModel()) renderProblems(markers);
  }

  function renderProblems(markers) {
    document.getElementById('problem-count').textContent = markers.length ? '(' + markers.length + ')' : '';
    const list = document.getElementById('problem-list');
    if (!markers.length) {
      const li = document.createElement('li');
      li.className = 'none';
      li.textContent = T('editor.noproblems');
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(...markers.map((m) => {
      const li = document.createElement('li');
      li.className = m.severity;
      li.textContent = `${m.range.startLine}:${m.range.startColumn}  ${m.severity} ${m.code}: ${m.message}`;
      li.addEventListener('click', () => { const r = toRange(m.range); editor.setSelection(r); editor.revealRangeInCenter(r); editor.focus(); });
      return li;
    }));
  }

  // ------------------------------------------------------------------ panel: problems · tests · journeys

  let activeTab = 'problems';
  function showTab(name) {
    activeTab = name;
    for (const tab of document.querySelectorAll('.tabs .tab')) tab.classList.toggle('active', tab.dataset.tab === name);
    for (const body of document.querySelectorAll('.tab-body')) body.hidden = body.dataset.body !== name;
    document.querySelector('.panel').classList.toggle('tall', name === 'journeys' || name === 'publish');
    if (name === 'journeys') loadJourneys();
  }

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  /** A link to a place in the source: clicking opens the file and reveals the line. */
  function sourceLink(node, place) {
    if (!place) return node;
    node.classList.add('src');
    node.dataset.path = place.path;
    node.dataset.line = place.line;
    node.title = place.path + ':' + place.line;
    node.tabIndex = 0;
    const go = (e) => { e.preventDefault(); e.stopPropagation(); openAt(place.path, place.line, place.column); };
    node.addEventListener('click', go);
    node.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(e); });
    return node;
  }

  /** The working copy the server compiles: every file with unsaved changes (new files included). */
  function unsavedBuffers() {
    return monaco.editor.getModels()
      .filter((m) => m.getLanguageId() === LANGUAGE && saved.get(pathOf(m)) !== m.getValue())
      .map((m) => ({ path: pathOf(m), text: m.getValue() }));
  }

  // Failing expectations are also shown as markers in their files, until the next run.
  let testMarkers = new Map();   // path → monaco markers
  function applyTestMarkers(model) {
    monaco.editor.setModelMarkers(model, 'mdsl-tests', testMarkers.get(pathOf(model)) || []);
  }

  async function runTests() {
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
          row.append(el('span', 'where', `${f.place.path}:${f.place.line}`), el('span', 'expect', `${T('editor.expect')} ${f.expectation}`), el('span', 'but', `${T('editor.but')}: ${f.explanation}`));
          li.append(row);
          const markers = testMarkers.get(f.place.path) || [];
          markers.push({
            startLineNumber: f.place.line, startColumn: f.place.column, endLineNumber: f.place.line, endColumn: f.place.column + 6 + f.expectation.length + 1,
            severity: monaco.MarkerSeverity.Error, message: `test "${t.name}": expect ${f.expectation}, but ${f.explanation}`, source: 'mdsl test',
          });
          testMarkers.set(f.place.path, markers);
        }
        return li;
      }));
    }
    for (const model of monaco.editor.getModels()) if (model.getLanguageId() === LANGUAGE) applyTestMarkers(model);
  }

  // The journey views: each journey's header and step tree, drawn from /api/journeys.
  let journeysTimer = null;
  function scheduleJourneys() {
    clearTimeout(journeysTimer);
    journeysTimer = setTimeout(loadJourneys, 300);
  }

  let journeysRequest = 0;
  async function loadJourneys() {
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

  // ------------------------------------------------------------------ language features

  function registerLanguage(monarch) {
    monaco.languages.register({ id: LANGUAGE, extensions: ['.mdsl'] });
    monaco.languages.setLanguageConfiguration(LANGUAGE, {
      comments: { lineComment: '//', blockComment: ['/*', '*/'] },
      brackets: [['{', '}'], ['(', ')'], ['[', ']']],
      autoClosingPairs: [{ open: '{', close: '}' }, { open: '(', close: ')' }, { open: '[', close: ']' }, { open: '"', close: '"', notIn: ['string', 'comment'] }],
      wordPattern: /[\p{L}_][\p{L}\p{N}_]*/u,
    });
    monaco.languages.setMonarchTokensProvider(LANGUAGE, monarch);

    const kinds = monaco.languages.CompletionItemKind;
    const kindMap = {
      Keyword: kinds.Keyword, Tag: kinds.Variable, Segment: kinds.Class, Segmentation: kinds.Enum, ProfileField: kinds.Field,
      EventType: kinds.Struct, EventField: kinds.Field, Model: kinds.Module, ModelOutput: kinds.Property, Channel: kinds.Interface,
      Function: kinds.Function, NamedArgument: kinds.Property, Type: kinds.TypeParameter, Property: kinds.Property,
    };
    monaco.languages.registerCompletionItemProvider(LANGUAGE, {
      triggerCharacters: ['.', '(', ',', ':', ' '],
      async provideCompletionItems(model, position) {
        const list = await post('/api/completion', buffer(model, position));
        const range = toRange(list.range);
        return {
          suggestions: list.items.map((item, i) => ({
            label: item.label, kind: kindMap[item.kind] ?? kinds.Text, insertText: item.insertText, detail: item.detail || undefined,
            documentation: item.documentation ? { value: item.documentation } : undefined, range, sortText: String(i).padStart(4, '0'),
            insertTextRules: item.isSnippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
          })),
        };
      },
    });
    monaco.languages.registerHoverProvider(LANGUAGE, {
      async provideHover(model, position) {
        const { hover } = await post('/api/hover', buffer(model, position));
        return hover ? { range: toRange(hover.range), contents: [{ value: hover.markdown }] } : null;
      },
    });
    monaco.languages.registerSignatureHelpProvider(LANGUAGE, {
      signatureHelpTriggerCharacters: ['(', ','],
      signatureHelpRetriggerCharacters: [','],
      async provideSignatureHelp(model, position) {
        const { signature } = await post('/api/signature', buffer(model, position));
        if (!signature) return null;
        return {
          value: {
            signatures: [{ label: signature.label, documentation: signature.documentation, parameters: signature.parameters.map((p) => ({ label: p })) }],
            activeSignature: 0, activeParameter: Math.max(signature.activeParameter, 0),
          },
          dispose() {},
        };
      },
    });
    const toLocations = async (locations) => {
      await Promise.all(locations.map((l) => modelFor(l.path)));
      return locations.map((l) => ({ uri: uriOf(l.path), range: toRange(l.range) }));
    };
    monaco.languages.registerDefinitionProvider(LANGUAGE, {
      async provideDefinition(model, position) { return toLocations((await post('/api/definition', buffer(model, position))).locations); },
    });
    monaco.languages.registerReferenceProvider(LANGUAGE, {
      async provideReferences(model, position) { return toLocations((await post('/api/references', buffer(model, position))).locations); },
    });
    monaco.languages.registerRenameProvider(LANGUAGE, {
      async provideRenameEdits(model, position, newName) {
        const result = await post('/api/rename', buffer(model, position, { newName }));
        if (result.error) return { edits: [], rejectReason: result.error };
        await Promise.all(result.edits.map((e) => modelFor(e.path)));
        return { edits: result.edits.map((e) => ({ resource: uriOf(e.path), textEdit: { range: toRange(e.range), text: e.newText }, versionId: undefined })) };
      },
    });
    monaco.languages.registerDocumentFormattingEditProvider(LANGUAGE, {
      async provideDocumentFormattingEdits(model) {
        const result = await post('/api/format', buffer(model));
        if (result.error) { setStatus(result.error); return []; }
        return [{ range: model.getFullModelRange(), text: result.text }];
      },
    });
    monaco.languages.registerCodeActionProvider(LANGUAGE, {
      async provideCodeActions(model, range, context) {
        const { fixes } = await post('/api/fixes', buffer(model, null, { startLine: range.startLineNumber, endLine: range.endLineNumber }));
        const actions = fixes.map((fix) => ({
          title: fix.title, kind: 'quickfix', isPreferred: true,
          diagnostics: context.markers.filter((m) => m.code === fix.diagnosticCode && m.startLineNumber === fix.diagnosticRange.startLine && m.startColumn === fix.diagnosticRange.startColumn),
          edit: { edits: [{ resource: model.uri, textEdit: { range: toRange(fix.edit.range), text: fix.edit.newText }, versionId: model.getVersionId() }] },
        }));
        return { actions, dispose() {} };
      },
    }, { providedCodeActionKinds: ['quickfix'] });

    // Definitions and references in other files open them here.
    monaco.editor.registerEditorOpener({
      async openCodeEditor(source, resource, selectionOrPosition) {
        const path = resource.path.replace(/^\//, '');
        let selection = null;
        if (selectionOrPosition && 'startLineNumber' in selectionOrPosition) selection = selectionOrPosition;
        else if (selectionOrPosition) selection = new monaco.Range(selectionOrPosition.lineNumber, selectionOrPosition.column, selectionOrPosition.lineNumber, selectionOrPosition.column);
        await openFile(path, selection);
        return true;
      },
    });
  }

  // ------------------------------------------------------------------ start

  require.config({ paths: { vs: '/lib/monaco/vs' } });
  // ------------------------------------------------------------------ publish (publisher, admin; `mdsl serve` only)

  /** A POST whose refusals carry data (diagnostics): answers { ok, status, json } instead of throwing. */
  async function postForAnswer(url, body) {
    const response = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', [config.header]: config.antiforgeryToken },
      body: JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, json };
  }

  function renderNames(list, label, names) {
    const item = el('li', null, label + ': ');
    item.append(names.length ? names.join(', ') : T('editor.publishnone'));
    list.append(item);
  }

  function renderEnds(body, ends) {
    if (!ends.length) return;
    const table = el('table', 'publish-ends');
    const head = el('tr');
    for (const key of ['editor.publishjourney', 'editor.publishreason', 'editor.publishcount']) head.append(el('th', null, T(key)));
    table.append(head);
    for (const end of ends) {
      const row = el('tr');
      row.append(el('td', null, end.journey), el('td', null, end.reason), el('td', null, String(end.count)));
      table.append(row);
    }
    body.append(table);
  }

  function renderRefusal(body, answer) {
    body.append(el('p', 'error', answer.status === 422 && answer.json.diagnostics ? T('editor.publisherrors') : T('editor.publishfailed') + ' ' + (answer.json.error || ('HTTP ' + answer.status))));
    if (!answer.json.diagnostics) return;
    const list = el('ul', 'publish-diagnostics');
    for (const d of answer.json.diagnostics) {
      const item = sourceLink(el('li', 'problem error'), { path: d.file, line: d.start.line, column: d.start.column });
      item.append(el('span', 'where', d.file + ':' + d.start.line + ':' + d.start.column), ' ', el('span', 'code', d.code), ' ', d.message);
      list.append(item);
    }
    body.append(list);
  }

  async function previewPublish() {
    showTab('publish');
    const body = document.getElementById('publish-body');
    body.replaceChildren();
    const unsaved = unsavedBuffers();
    if (unsaved.length) { body.append(el('p', 'error', T('editor.publishunsaved') + ' ' + unsaved.map((b) => b.path).join(', '))); return; }
    body.append(el('p', 'hint', T('editor.publishpreviewing')));
    const answer = await postForAnswer('/api/publish/preview', {});
    body.replaceChildren();
    if (!answer.ok) { renderRefusal(body, answer); return; }
    const p = answer.json;
    body.append(el('h3', null, T('editor.publishpreview')));
    body.append(el('p', null, p.files + ' ' + T('editor.publishfiles') + ' ' + p.hash.slice(0, 12) + ' · ' + p.journeys + ' ' + T('editor.publishjourneys')));
    const changes = el('ul', 'publish-changes');
    renderNames(changes, T('editor.publishadded'), p.added);
    renderNames(changes, T('editor.publishremoved'), p.removed);
    renderNames(changes, T('editor.publishchanged'), p.stepsChanged);
    body.append(changes);
    body.append(el('p', 'publish-counts', p.continued + ' ' + T('editor.publishcontinued') + ' · ' + p.endedCount + ' ' + T('editor.publishended')));
    renderEnds(body, p.ends);
    const confirm = el('button', 'primary', T('editor.publishconfirm'));
    confirm.type = 'button';
    confirm.id = 'publish-confirm';
    confirm.addEventListener('click', () => confirmPublish(p.hash, confirm));
    body.append(confirm);
  }

  async function confirmPublish(hash, button) {
    button.disabled = true;
    setStatus(T('editor.publishing'));
    const answer = await postForAnswer('/api/publish', { hash });
    setStatus('');
    const body = document.getElementById('publish-body');
    body.replaceChildren();
    if (!answer.ok) { renderRefusal(body, answer); return; }
    const r = answer.json;
    const done = el('p', 'published', T('editor.published') + ' ');
    const link = el('a', null, '#' + r.publication.id);
    link.href = '/Publications';
    done.append(link, ' · ' + r.continued + ' ' + T('editor.publishcontinued') + ' · ' + r.endedCount + ' ' + T('editor.publishendedwere'));
    body.append(done);
    renderEnds(body, r.ends);
  }

  require(['vs/editor/editor.main'], async function () {
    const monarch = await (await fetch('/lib/marketingdsl.monarch.json', { credentials: 'same-origin' })).json();
    registerLanguage(monarch);
    editor = monaco.editor.create(document.getElementById('editor'), {
      model: null, automaticLayout: true, minimap: { enabled: false }, fontSize: 14, tabSize: 2, insertSpaces: true,
      renderWhitespace: 'selection', fixedOverflowWidgets: true, 'semanticHighlighting.enabled': false, readOnly: true,
      // Sticky scroll kept the previous file's header line after switching files (Monaco keeps it per editor, not per model).
      stickyScroll: { enabled: false },
    });
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => { if (config.canEdit) saveAll(); });
    document.getElementById('format').addEventListener('click', () => editor.getAction('editor.action.formatDocument').run());
    document.getElementById('run-tests').addEventListener('click', () => runTests());
    for (const tab of document.querySelectorAll('.tabs .tab')) tab.addEventListener('click', () => showTab(tab.dataset.tab));
    showTab(config.panel || 'problems');
    const publishButton = document.getElementById('publish');
    if (publishButton && config.canPublish) publishButton.addEventListener('click', () => previewPublish().catch((e) => setStatus(T('editor.publishfailed') + ' ' + e.message)));
    const saveButton = document.getElementById('save');
    if (saveButton) saveButton.addEventListener('click', () => saveAll());
    const newFile = document.getElementById('new-file');
    if (newFile) newFile.addEventListener('click', async () => {
      const path = (prompt(T('editor.newprompt')) || '').trim();
      if (!path) return;
      if (!monaco.editor.getModel(uriOf(path))) {
        const model = monaco.editor.createModel('', languageOf(path), uriOf(path));
        saved.set(path, null);
        model.onDidChangeContent(() => onChange(model));
      }
      if (!files.includes(path)) files.push(path);
      files.sort();
      openFile(path);
    });
    window.addEventListener('beforeunload', (e) => {
      if (monaco.editor.getModels().some((m) => saved.get(pathOf(m)) !== m.getValue())) e.preventDefault();
    });

    files = (await get('/api/files')).files;
    renderFiles();
    const start = config.file && files.includes(config.file) ? config.file : null;
    if (start) openFile(start);
    document.body.dataset.ready = 'true';
  });
})();
