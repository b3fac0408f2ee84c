// Data-aware editing: the data set chosen in the toolbar (remembered in this browser) gives the
// audience size beside each segment, segmentation group and boolean tag (inlay hints, from
// /api/editor-data/sizes on the working copy, a moment after typing stops), and through
// state.dataFolder the values that complete string literals and the MD5050 warnings, which
// /api/completion and /api/diagnostics answer.
import { get, post } from './api.js';
import { state, T, LANGUAGE, pathOf, unsavedBuffers } from './state.js';
import { format } from '../pages.js';

const STORAGE_KEY = 'mdsl-editor-data';
// Typing stops, then this pause, then the request: sizes follow within about a second.
const PAUSE_MS = 400;
const RETRY_LOADING_MS = 1000;

let hints = { sizes: [], versions: new Map(), source: null };
let timer = null;
let ticket = 0;
let readyFolder = null;
// Made once Monaco is loaded (this module is evaluated before).
let changed = null;

const number = (n) => n.toLocaleString(state.language === 'zh-CN' ? 'zh-CN' : 'en-US');
const percent = (share) => (share * 100).toFixed(share >= 0.1 || share === 0 ? 0 : 1) + '%';
const instant = (iso) => new Date(iso).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$|:\d\dZ$/, '') + ' UTC';

/** The data set chooser and the inlay hints; call once Monaco and the editor exist. */
export async function setUpData() {
  const select = document.getElementById('data-set');
  if (!select) return;
  changed = new monaco.Emitter();
  monaco.languages.registerInlayHintsProvider(LANGUAGE, {
    onDidChangeInlayHints: changed.event,
    provideInlayHints(model) {
      const path = pathOf(model);
      // Sizes answered for an older text of this file would sit at the wrong places.
      if (hints.versions.get(path) !== model.getVersionId()) return { hints: [], dispose() {} };
      return { hints: hints.sizes.filter((s) => s.path === path).map(hintOf), dispose() {} };
    },
  });
  let folders = [];
  try {
    folders = (await get('/api/data-folders')).folders;
  } catch (e) {
    setDataStatus(e.message, 'error');
  }
  const none = new Option(T('editor.data.none'), '');
  select.replaceChildren(none, ...folders.map((f) => new Option(f, f)));
  const remembered = localStorage.getItem(STORAGE_KEY) || '';
  select.value = folders.includes(remembered) ? remembered : '';
  state.dataFolder = select.value || null;
  select.addEventListener('change', () => {
    state.dataFolder = select.value || null;
    readyFolder = null;
    localStorage.setItem(STORAGE_KEY, select.value);
    if (!state.dataFolder) document.dispatchEvent(new CustomEvent('mdsl:data-ready'));
    refreshSizes(0);
  });
  state.editor.onDidChangeModelContent(() => refreshSizes());
  state.editor.onDidChangeModel(() => refreshSizes(0));
  refreshSizes(0);
}

/** Asks for the sizes of the working copy after a pause (at once with 0). */
export function refreshSizes(delayMs) {
  clearTimeout(timer);
  timer = setTimeout(loadSizes, delayMs ?? PAUSE_MS);
}

async function loadSizes() {
  const mine = ++ticket;
  const model = state.editor.getModel();
  if (!state.dataFolder) {
    setDataStatus('', null);
    show([], new Map(), null);
    return;
  }
  if (!model || model.getLanguageId() !== LANGUAGE) return;
  const versions = new Map(monaco.editor.getModels().filter((m) => m.getLanguageId() === LANGUAGE).map((m) => [pathOf(m), m.getVersionId()]));
  let answer;
  try {
    answer = await post('/api/editor-data/sizes', { folder: state.dataFolder, buffers: unsavedBuffers() });
  } catch (e) {
    if (mine === ticket) setDataStatus(e.message, 'error');
    return;
  }
  if (mine !== ticket) return;
  if (answer.status === 'loading') {
    setDataStatus(format(T('editor.data.loading'), state.dataFolder), 'loading');
    refreshSizes(RETRY_LOADING_MS);
    return;
  }
  if (answer.status === 'failed') { setDataStatus(answer.error, 'error'); show([], new Map(), null); return; }
  if (answer.status === 'errors') {
    setDataStatus(sourceText(answer.source) + ' · ' + T('editor.data.errors'), 'stale');
    show([], new Map(), answer.source);
    return;
  }
  setDataStatus(sourceText(answer.source), 'ready');
  show(answer.sizes, versions, answer.source);
  // The checks of the open file read the data's values from now on (MD5050): check it again once.
  if (readyFolder !== answer.source.name) {
    readyFolder = answer.source.name;
    document.dispatchEvent(new CustomEvent('mdsl:data-ready'));
  }
}

function show(sizes, versions, source) {
  hints = { sizes, versions, source };
  if (changed) changed.fire();
  const box = document.getElementById('editor');
  box.dataset.sizes = String(sizes.length);
  box.dataset.sizesVersion = String(versions.get(state.current) ?? '');
}

function sourceText(source) {
  const sample = source.sampled
    ? format(T('editor.data.sample'), number(source.evaluated), number(source.users))
    : format(T('editor.data.users'), number(source.users));
  return `${source.name} · ${T('editor.data.asof')} ${instant(source.asOf)} · ${sample}`;
}

function hintOf(size) {
  const source = hints.source;
  const users = source.sampled ? '≈' + number(Math.round(size.share * source.users)) : number(size.count);
  const notScored = size.notScoredModel ? ' ' + format(T('editor.data.notscored'), size.notScoredModel) : '';
  return {
    position: { lineNumber: size.line, column: size.column },
    label: ` ${users} · ${percent(size.share)}${notScored}`,
    kind: monaco.languages.InlayHintKind.Type,
    paddingLeft: true,
    tooltip: {
      value: `**${size.name}**: ${number(size.count)} ${T('editor.data.of')} ${number(source.evaluated)} (${percent(size.share)})` +
        `\n\n${sourceText(source)}`,
    },
  };
}

function setDataStatus(text, kind) {
  const status = document.getElementById('data-status');
  status.textContent = text || '';
  status.dataset.state = kind || '';
}
