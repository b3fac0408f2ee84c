// One journey's results drawn into the results view (Pages/Shared/_JourneyResults.cshtml): KPIs,
// the uplift against the holdout with its 95% interval, the funnel, conversions per day,
// channels, split tests, attribution by model and send times. The Results page (live or a
// journeys.json from disk) and the Simulation page's journey replay both draw with it.
// render(results, { T, language }) draws; fromReplay(journeysJson, name) turns a replay's journey
// into the object the live endpoint answers.
import { element as html, format, table as pagesTable } from './pages.js';
import { bars, columns, svg } from './charts.js';

const $ = (id) => document.getElementById(id);
const pct = (x) => typeof x === 'number' ? (100 * x).toFixed(1) + '%' : '–';
let T = (key) => key;
let number = new Intl.NumberFormat();
let money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function section(id, title) {
  const box = $(id);
  box.replaceChildren(html('h2', '', title));
  return box;
}

const table = (headers, rows, id) => pagesTable(headers, rows, 'sim-table', id);

// A replay's journey has uplift and attribution beside `results`: one object, as the live endpoint answers.
export function fromReplay(replay, name) {
  const j = replay.journeys[name];
  return Object.assign({ journey: name, label: j.label }, j.results, { uplift: j.uplift, attribution: j.attribution });
}

// ------------------------------------------------------------------ drawing

export function render(r, options) {
  T = options.T;
  number = new Intl.NumberFormat(options.language);
  money = new Intl.NumberFormat(options.language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  $('results-view').hidden = false;
  kpis(r);
  uplift(r.uplift);
  funnel(r.funnel);
  daily(r.by_day);
  channels(r.by_channel);
  branches(r.split_tests);
  attribution(r.attribution);
  sendTime(r.send_time);
}

// Sends per local hour, and the hour whose sends converted best with the expected gain of moving there.
function sendTime(s) {
  const box = section('results-sendtime', T('results.sendtime'));
  if (!s || !s.by_hour.length) { box.hidden = true; return; }
  box.hidden = false;
  const items = s.by_hour.map((h) => ({ name: String(h.hour).padStart(2, '0') + ':00', count: h.sent }));
  box.appendChild(columns(items, { column: 24, height: 80 }));
  const text = s.best_hour === null ? T('results.sendtime.few')
    : format(T('results.sendtime.advice'), s.peak_send_hour, s.best_hour, number.format(s.expected_extra_conversions));
  const p = html('p', 'hint', text);
  p.id = 'results-sendtime-advice';
  box.appendChild(p);
}

function kpis(r) {
  const f = r.funnel;
  const box = $('results-kpis');
  box.replaceChildren();
  const items = [
    ['results.entered', number.format(f.entered)], ['results.sent', number.format(f.sent)], ['results.converted', number.format(f.converted)],
    ['results.revenue', money.format(f.revenue)], ['results.cost', money.format(f.cost)],
    ['results.roi', f.roi === null || f.roi === undefined ? '–' : pct(f.roi)],
  ];
  for (const [key, value] of items) {
    const kpi = html('div', 'kpi');
    kpi.append(html('span', 'kpi-value', value), html('span', 'kpi-label', T(key)));
    box.appendChild(kpi);
  }
}

// Rates with their intervals and the difference's interval on one axis, zero marked.
function uplift(u) {
  const box = section('results-uplift', T('results.uplift'));
  if (!u || !u.difference) { box.appendChild(html('p', 'hint', T('results.noholdout'))); return; }
  const rows = [
    [T('results.treated'), u.treated_rate], [T('results.heldout'), u.held_out_rate], [T('results.difference'), u.difference],
  ];
  const lo = Math.min(0, ...rows.map((r) => r[1].low)), hi = Math.max(0, ...rows.map((r) => r[1].high));
  const width = 640, left = 190, right = 150, row = 30, span = (hi - lo) || 1;
  const x = (v) => left + (width - left - right) * (v - lo) / span;
  const chart = svg('svg', { width, height: rows.length * row + 24, class: 'uplift-chart', role: 'img' });
  chart.appendChild(svg('line', { x1: x(0), x2: x(0), y1: 0, y2: rows.length * row + 6, class: 'uplift-zero' }));
  chart.appendChild(svg('text', { x: x(0), y: rows.length * row + 20, 'text-anchor': 'middle', class: 'chart-tick' }, '0'));
  rows.forEach(([label, i], n) => {
    const y = n * row + 15;
    chart.appendChild(svg('text', { x: left - 10, y: y + 4, 'text-anchor': 'end', class: 'chart-label' }, label));
    const interval = svg('line', { x1: x(i.low), x2: x(i.high), y1: y, y2: y, class: 'uplift-interval' + (n === 2 ? ' difference' : '') });
    interval.appendChild(svg('title', {}, `${pct(i.estimate)} [${pct(i.low)}, ${pct(i.high)}]`));
    chart.appendChild(interval);
    for (const end of [i.low, i.high]) chart.appendChild(svg('line', { x1: x(end), x2: x(end), y1: y - 6, y2: y + 6, class: 'uplift-interval' }));
    chart.appendChild(svg('circle', { cx: x(i.estimate), cy: y, r: 5, class: 'uplift-point' }));
    chart.appendChild(svg('text', { x: width - right + 8, y: y + 4, class: 'chart-count' }, `${pct(i.estimate)} [${pct(i.low)}, ${pct(i.high)}]`));
  });
  box.appendChild(chart);
  const verdict = html('p', u.significant ? 'verdict significant' : 'verdict', u.significant ? T('results.significant')
      : T('results.notsignificant'));
  verdict.id = 'results-verdict';
  box.appendChild(verdict);
  const inc = u.incremental_conversions, rev = u.incremental_revenue;
  box.appendChild(table([T('results.incremental'), T('results.increvenue')], [[
    `${number.format(inc.estimate)} [${number.format(inc.low)}, ${number.format(inc.high)}]`,
    rev ? `${money.format(rev.estimate)} [${money.format(rev.low)}, ${money.format(rev.high)}]` : '–',
  ]]));
}

function funnel(f) {
  const box = section('results-funnel', T('results.funnel'));
  const steps = ['entered_treated', 'sent', 'delivered', 'opened', 'clicked', 'converted'];
  const keys = { entered_treated: 'results.entered' };
  const items = steps.map((s) => ({ name: T(keys[s] || 'results.' + s), count: f[s] || 0 }));
  box.appendChild(bars(items, { labelWidth: 120, barWidth: 260 }));
}

function daily(byDay) {
  const box = section('results-daily', T('results.daily'));
  const items = Object.entries(byDay || {}).map(([day, c]) => ({ name: day, count: c.converted || 0 }));
  box.appendChild(columns(items, { column: Math.max(10, Math.min(28, Math.floor(560 / Math.max(1, items.length)))) }));
}

function counts(name, c) {
  return [name, number.format(c.sent), number.format(c.delivered), number.format(c.failed), number.format(c.opened), number.format(c.clicked),
    money.format(c.cost)];
}

function channels(byChannel) {
  const box = section('results-channels', T('results.channels'));
  const headers = [T('results.channel'), T('results.sent'), T('results.delivered'), T('results.failed'), T('results.opened'),
      T('results.clicked'), T('results.cost')];
  box.appendChild(table(headers, Object.entries(byChannel || {}).map(([name, c]) => counts(name, c)), 'results-channel-table'));
}

function branches(splits) {
  const box = section('results-branches', T('results.branches'));
  for (const [name, s] of Object.entries(splits || {})) {
    box.appendChild(html('h3', '', `split "${name}"` + (s.winner_after ? ` · winner after ${s.winner_after}` : '')));
    const rows = s.branches.map((b) => [
      `${b.branch}. ${b.share}% ${b.first_step}`, number.format(b.entered), number.format(b.converted), money.format(b.revenue),
      b.goal_rate ? `${pct(b.goal_rate.estimate)} [${pct(b.goal_rate.low)}, ${pct(b.goal_rate.high)}]` : '–',
      b.sequential_p_against_branch_1 === null || b.sequential_p_against_branch_1 === undefined ? '–' : b.sequential_p_against_branch_1.toFixed(4),
    ]);
    box.appendChild(table([T('results.branch'), T('results.entered'), T('results.converted'), T('results.revenue'), T('results.rate'),
        T('results.seqp')], rows));
    const d = s.decision;
    const text = d.winner ? format(T('results.winner'), d.winner) : T('results.reason.' + d.reason);
    const p = html('p', 'verdict', `${T('results.decision')}: ${text}` + (s.chi_squared ? ' · ' + format(T('results.chisq'),
        s.chi_squared.p.toFixed(4)) : ''));
    p.title = d.explanation;
    box.appendChild(p);
  }
  box.hidden = Object.keys(splits || {}).length === 0;
}

function attribution(a) {
  const box = section('results-attribution', T('results.attribution'));
  const models = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'].filter((m) => a && a[m]);
  const rows = models.map((m) => [T('results.model.' + m), a[m].conversions.toFixed(2), money.format(a[m].revenue),
    Object.entries(a[m].by_channel).map(([c, v]) => `${c} ${v.conversions.toFixed(1)}`).join(' · ')]);
  box.appendChild(table([T('results.model'), T('results.conversions'), T('results.revenue'), T('results.channels')], rows,
      'results-attribution-table'));
}

