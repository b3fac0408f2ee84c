// Bar charts and histograms drawn as inline SVG (no chart library, nothing from a CDN).
// bars(items, options) → <svg> with one horizontal bar per item; columns(items, options) → <svg>
// with vertical columns (histograms of ranges). Each item is { name, label, count }; a declared
// label is shown as written, with the name. svg() makes the SVG elements of the other charts.

const SVG = 'http://www.w3.org/2000/svg';
const number = new Intl.NumberFormat();

/** An SVG element with these attributes and text. */
export function svg(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const caption = (item) => item.label ? item.label + ' · ' + item.name : item.name;
const share = (count, total) => total > 0 ? ' (' + (100 * count / total).toFixed(1) + '%)' : '';

// Horizontal bars: caption on the left, bar, count and share of `total` on the right.
export function bars(items, options) {
  const o = Object.assign({ labelWidth: 240, barWidth: 320, row: 22, total: 0, className: 'chart-bars' }, options || {});
  const width = o.labelWidth + o.barWidth + 130;
  const height = Math.max(1, items.length) * o.row + 4;
  const chart = svg('svg', { class: o.className, width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const max = Math.max(1, ...items.map((i) => i.count));
  items.forEach((item, index) => {
    const y = index * o.row + 2;
    const text = svg('text', { x: o.labelWidth - 8, y: y + o.row * 0.68, 'text-anchor': 'end', class: 'chart-label' }, truncate(caption(item), 34));
    text.appendChild(svg('title', {}, caption(item)));
    chart.appendChild(text);
    const w = Math.max(item.count > 0 ? 1 : 0, Math.round(o.barWidth * item.count / max));
    const rect = svg('rect', { x: o.labelWidth, y: y + 3, width: w, height: o.row - 6, rx: 2, class: 'sim-bar' + (item.muted ? ' muted' : ''),
        'data-name': item.name });
    rect.appendChild(svg('title', {}, caption(item) + ': ' + number.format(item.count) + share(item.count, o.total)));
    chart.appendChild(rect);
    chart.appendChild(svg('text', { x: o.labelWidth + w + 6, y: y + o.row * 0.68, class: 'chart-count' },
        number.format(item.count) + share(item.count, o.total)));
  });
  return chart;
}

// Vertical columns with the bucket names underneath (turned, so long ranges fit).
export function columns(items, options) {
  const o = Object.assign({ column: 28, height: 120, className: 'chart-columns' }, options || {});
  const width = Math.max(1, items.length) * o.column + 76; // room for the last turned tick label
  const total = o.height + 70;
  const chart = svg('svg', { class: o.className, width, height: total, viewBox: `0 0 ${width} ${total}`, role: 'img' });
  const max = Math.max(1, ...items.map((i) => i.count));
  chart.appendChild(svg('text', { x: 2, y: 10, class: 'chart-count' }, number.format(max)));
  items.forEach((item, index) => {
    const x = 36 + index * o.column;
    const h = Math.max(item.count > 0 ? 1 : 0, Math.round(o.height * item.count / max));
    const rect = svg('rect', { x, y: 14 + o.height - h, width: o.column - 4, height: h, rx: 2, class: 'sim-bar' + (item.muted ? ' muted' : ''),
        'data-name': item.name });
    rect.appendChild(svg('title', {}, caption(item) + ': ' + number.format(item.count)));
    chart.appendChild(rect);
    const lx = x + (o.column - 4) / 2;
    const ly = 14 + o.height + 10;
    chart.appendChild(svg('text', { x: lx, y: ly, transform: `rotate(35 ${lx} ${ly})`, class: 'chart-tick' }, truncate(item.name, 14)));
  });
  return chart;
}

function truncate(text, n) { return text.length > n ? text.slice(0, n - 1) + '…' : text; }

