// Renders the compile results: the per-stage table, the ReLU distribution chart, the per-pass view,
// the kernels and the equalized family. Plain DOM; every number cell carries its exact value in
// data-value so tests read what hrn computed, not its formatting.
import type { NetworkStats } from '../../src/ir/stats.js';
import type { FamilyView, KernelView, PassView } from './compile.js';
import { int, plural } from './text.js';


export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function num(value: number | undefined, text = value === undefined ? '' : int(value)): HTMLTableCellElement {
  return el('td', value === undefined ? { class: 'num' } : { class: 'num', 'data-value': String(value) }, text);
}

/** The per-stage table of `hrn stats`: ReLUs (and share), FLOPs, parameters. */
export function statsTable(s: NetworkStats): HTMLTableElement {
  const stages = Object.keys(s.relus.stages);
  const head = el('tr', {}, ...['stage', 'ReLUs', 'share', 'FLOPs (MACs)', 'params'].map((h) => el('th', {}, h)));
  const rows = stages.map((st) =>
    el('tr', { 'data-stage': st }, el('td', {}, st), num(s.relus.stages[st]), num(s.relus.share[st], `${s.relus.share[st].toFixed(1)}%`), num(s.flops.stages[st]), num(s.params.stages[st])),
  );
  rows.push(el('tr', { 'data-stage': 'head' }, el('td', {}, 'head'), num(undefined), num(undefined), num(s.flops.stages.head), num(s.params.stages.head)));
  rows.push(el('tr', { 'data-stage': 'total', class: 'total' }, el('td', {}, 'total'), num(s.relus.total), num(undefined, '100%'), num(s.flops.total), num(s.params.total)));
  return el('table', { class: 'stats', 'data-network': s.network }, el('thead', {}, head), el('tbody', {}, ...rows));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Width of `text` in the chart's units at `px` font size: generous, so labels never touch. */
const textWidth = (text: string, px: number) => text.length * px * 0.62;

/**
 * Bars of ReLUs per stage, with the count and share above each bar. The drawing is as wide as its
 * labels need (every bar's slot holds its label), and the SVG scales to its box, so no label is cut
 * off or overlaps another however many stages or ReLUs the network has.
 */
export function reluChart(s: NetworkStats): SVGElement {
  const stages = Object.keys(s.relus.stages);
  const h = 180;
  const side = 8;
  const base = h - 24;
  const top = 46;
  const line = 12;
  const title = 'ReLUs per stage';
  const counts = stages.map((st) => int(s.relus.stages[st]));
  const slot = Math.max(44, ...[...counts, ...stages].map((l) => textWidth(l, 10) + 10));
  const w = Math.max(360, 2 * side + slot * stages.length, textWidth(title, 11) + 2 * side);
  const bw = (w - 2 * side) / Math.max(1, stages.length);
  const max = Math.max(1, ...stages.map((st) => s.relus.stages[st]));
  const chart = svg('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart', role: 'img', 'aria-label': `ReLUs per stage of ${s.network}` });
  chart.append(svg('line', { x1: side, y1: base, x2: w - side, y2: base, class: 'axis' }));
  stages.forEach((st, i) => {
    const v = s.relus.stages[st];
    const bh = ((base - top) * v) / max;
    const mid = side + (i + 0.5) * bw;
    const barW = Math.min(bw * 0.7, 60);
    chart.append(svg('rect', { x: mid - barW / 2, y: base - bh, width: barW, height: bh, class: 'bar', 'data-stage': st, 'data-value': v }));
    chart.append(svg('text', { x: mid, y: base - bh - 4 - line, class: 'label' }, counts[i]));
    chart.append(svg('text', { x: mid, y: base - bh - 4, class: 'label share' }, `${s.relus.share[st].toFixed(0)}%`));
    chart.append(svg('text', { x: mid, y: base + 15, class: 'label' }, st));
  });
  chart.append(svg('text', { x: side, y: 14, class: 'title' }, title));
  return chart;
}

/** The pass list and the selected pass's IR or diff. */
export function passView(passes: PassView[], selected: number, showDiff: boolean, onSelect: (i: number) => void): HTMLElement {
  const list = el('ol', { class: 'pass-list' });
  passes.forEach((p, i) => {
    const b = el('button', { class: `pass ${p.level}${i === selected ? ' selected' : ''}`, 'data-pass': String(i) }, `${p.level === 'graph' ? 'graph: ' : ''}${p.title}`);
    b.addEventListener('click', () => onSelect(i));
    list.append(el('li', {}, b));
  });
  const p = passes[Math.min(selected, passes.length - 1)];
  const body = el('pre', { class: 'ir', id: 'pass-text' }, p === undefined ? '' : showDiff && p.diff !== '' ? p.diff : p.text);
  return el('div', { class: 'passes' }, list, body);
}

/** One collapsible block per kernel, titled by the layers it computes. */
export function kernelView(kernels: KernelView[]): HTMLElement {
  return el(
    'div',
    { class: 'kernels' },
    ...kernels.map((k) => el('details', { class: 'kernel', 'data-kernel': k.name }, el('summary', {}, `${k.layers.join(', ')} `, el('span', { class: 'kname' }, `(${k.name})`)), el('pre', { class: 'wgsl' }, k.wgsl))),
  );
}

/** The equalized family as `hrn equalize` tabulates it. */
export function familyView(f: FamilyView): HTMLElement {
  if (f.error !== undefined) return el('p', { class: 'note' }, f.error);
  const head = el('tr', {}, ...['network', 'factors', 'channels', 'ReLUs', 'FLOPs', 'ReLU share'].map((h) => el('th', {}, h)));
  const rows = f.members.map((m) =>
    el(
      'tr',
      {},
      el('td', {}, m.stats.network),
      el('td', {}, m.factors.join(', ')),
      el('td', {}, m.channels.join('/')),
      num(m.stats.relus.total),
      num(m.stats.flops.total),
      el('td', {}, Object.entries(m.stats.relus.share).map(([st, v]) => `${st} ${v.toFixed(0)}%`).join(' ')),
    ),
  );
  return el('div', {}, el('p', {}, `${plural(f.members.length, 'equalized network')}`), el('table', { class: 'family' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}
