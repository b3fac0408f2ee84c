// The MarketingDsl language features in Monaco, every one answered by /api (the same Compilation
// the CLI uses). Nothing here checks the language itself.
import { post } from './api.js';
import { LANGUAGE, uriOf, toRange, buffer, setStatus } from './state.js';
import { modelFor, openFile } from './files.js';

/** The language features, each answered by /api (the colouring is registerSyntax's). */
export function registerFeatures() {
  const kinds = monaco.languages.CompletionItemKind;
  const kindMap = {
    Keyword: kinds.Keyword, Tag: kinds.Variable, Segment: kinds.Class, Segmentation: kinds.Enum, ProfileField: kinds.Field,
    EventType: kinds.Struct, EventField: kinds.Field, Model: kinds.Module, ModelOutput: kinds.Property, Channel: kinds.Interface,
    Function: kinds.Function, NamedArgument: kinds.Property, Type: kinds.TypeParameter, Property: kinds.Property,
  };
  monaco.languages.registerCompletionItemProvider(LANGUAGE, {
    triggerCharacters: ['.', '(', ',', ':', ' ', '"'],
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
          signatures: [{ label: signature.label, documentation: signature.documentation,
              parameters: signature.parameters.map((p) => ({ label: p })) }],
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
      return { edits: result.edits.map((e) => ({ resource: uriOf(e.path), textEdit: { range: toRange(e.range), text: e.newText },
          versionId: undefined })) };
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
        diagnostics: context.markers.filter((m) => m.code === fix.diagnosticCode && m.startLineNumber === fix.diagnosticRange.startLine
            && m.startColumn === fix.diagnosticRange.startColumn),
        edit: { edits: [{ resource: model.uri, textEdit: { range: toRange(fix.edit.range), text: fix.edit.newText },
            versionId: model.getVersionId() }] },
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
      else if (selectionOrPosition) selection = new monaco.Range(selectionOrPosition.lineNumber, selectionOrPosition.column,
          selectionOrPosition.lineNumber, selectionOrPosition.column);
      await openFile(path, selection);
      return true;
    },
  });
}

