// Monaco and the MarketingDsl syntax (colouring, brackets, comments), without the language
// features: what both the editor and the History page's diff need.
import { request } from '../pages.js';

export const LANGUAGE = 'marketingdsl';

/** Loads Monaco through its AMD loader (a classic script on the page). */
export const loadMonaco = () => new Promise((resolve, reject) => {
  require.config({ paths: { vs: '/lib/monaco/vs' } });
  require(['vs/editor/editor.main'], resolve, reject);
});

/** Registers the language with its Monarch definition (editor/marketingdsl.monarch.json). */
export async function registerSyntax() {
  const monarch = await request('/lib/marketingdsl.monarch.json');
  monaco.languages.register({ id: LANGUAGE, extensions: ['.mdsl'] });
  monaco.languages.setLanguageConfiguration(LANGUAGE, {
    comments: { lineComment: '//', blockComment: ['/*', '*/'] },
    brackets: [['{', '}'], ['(', ')'], ['[', ']']],
    autoClosingPairs: [{ open: '{', close: '}' }, { open: '(', close: ')' }, { open: '[', close: ']' },
        { open: '"', close: '"', notIn: ['string', 'comment'] }],
    wordPattern: /[\p{L}_][\p{L}\p{N}_]*/u,
  });
  monaco.languages.setMonarchTokensProvider(LANGUAGE, monarch);
}
