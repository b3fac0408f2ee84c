// The MarketingDsl editor page: Monaco with the language registered from the Monarch definition
// (editor/marketingdsl.monarch.json), and every language feature answered by /api — the same
// Compilation the CLI uses. Nothing here checks the language itself.
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('editor-config').textContent);
  const T = (key) => (config.texts && config.texts[key]) || key;
  const LANGUAGE = 'marketingdsl';
  // Typing pauses of ~75 ms end a burst; the server answers in ~10 ms (examples/retail), so a
  // marker appears well within 150 ms of the last keystroke. Stale answers are dropped below.
  const DEBOUNCE_MS = 75;

  const saved = new Map();      // path → text last loaded or saved
  let editor = null;
  let current = null;           // path of the open file
  let files = [];

  // Timing of the keystroke → marker round trip, read by the browser test.
  const timing = { lastChangeAt: 0, lastChangeVersion: 0, markersAt: 0, markersVersion: 0, roundTripMs: null, serverMs: null };
  window.mdsl = { timing, get editor() { return editor; }, get path() { return current; } };

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
    model = monaco.editor.getModel(uriOf(path)) || monaco.editor.createModel(file.text, LANGUAGE, uriOf(path));
    saved.set(path, file.text);
    model.onDidChangeContent(() => onChange(model));
    return model;
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
    validate(model);
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
  function onChange(model) {
    if (model === editor.getModel()) {
      timing.lastChangeAt = performance.now();
      timing.lastChangeVersion = model.getVersionId();
      updateDirty();
    }
    clearTimeout(timers.get(model));
    timers.set(model, setTimeout(() => validate(model), DEBOUNCE_MS));
  }

  async function validate(model) {
    const version = model.getVersionId();
    setStatus(T('editor.checking'));
    try {
      const result = await post('/api/diagnostics', buffer(model));
      if (model.isDisposed() || model.getVersionId() !== version) return; // a newer edit will answer
      applyMarkers(model, result.markers);
      if (model === editor.getModel()) {
        timing.markersAt = performance.now();
        timing.markersVersion = version;
        timing.serverMs = result.serverMs;
        if (timing.lastChangeVersion === version) timing.roundTripMs = timing.markersAt - timing.lastChangeAt;
      }
      setStatus('✓ ' + result.serverMs + ' ms');
    } catch (e) {
      setStatus(e.message);
    }
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
  require(['vs/editor/editor.main'], async function () {
    const monarch = await (await fetch('/lib/marketingdsl.monarch.json', { credentials: 'same-origin' })).json();
    registerLanguage(monarch);
    editor = monaco.editor.create(document.getElementById('editor'), {
      model: null, automaticLayout: true, minimap: { enabled: false }, fontSize: 14, tabSize: 2, insertSpaces: true,
      renderWhitespace: 'selection', fixedOverflowWidgets: true, 'semanticHighlighting.enabled': false, readOnly: true,
    });
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => { if (config.canEdit) saveAll(); });
    document.getElementById('format').addEventListener('click', () => editor.getAction('editor.action.formatDocument').run());
    const saveButton = document.getElementById('save');
    if (saveButton) saveButton.addEventListener('click', () => saveAll());
    const newFile = document.getElementById('new-file');
    if (newFile) newFile.addEventListener('click', async () => {
      const path = (prompt(T('editor.newprompt')) || '').trim();
      if (!path) return;
      if (!monaco.editor.getModel(uriOf(path))) {
        const model = monaco.editor.createModel('', LANGUAGE, uriOf(path));
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
