// The panel under the editor: its tabs (problems · tests · journeys · publish) and links from the
// panel's entries back to places in the source.
import { openAt } from './files.js';
import { loadJourneys } from './journeys.js';

export function showTab(name) {
  for (const tab of document.querySelectorAll('.tabs .tab')) tab.classList.toggle('active', tab.dataset.tab === name);
  for (const body of document.querySelectorAll('.tab-body')) body.hidden = body.dataset.body !== name;
  document.querySelector('.panel').classList.toggle('tall', name === 'journeys' || name === 'publish');
  if (name === 'journeys') loadJourneys();
}

/** A link to a place in the source: clicking opens the file and reveals the line. */
export function sourceLink(node, place) {
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
