import type { ImpactItem } from './types';

const SVG = 'http://www.w3.org/2000/svg';
const COLUMN = 250;
const ROW = 44;
const BOX = { width: 160, height: 28 };

function element<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/**
 * The impact set as a picture: the CI on the left, then one column per step
 * away, each CI joined to the one it was reached from, labelled with the
 * relationship. A plain SVG (text nodes, never markup), laid out in columns.
 */
export function graphPicture(root: string, items: ImpactItem[], onOpen: (ciId: string) => void): SVGSVGElement {
  const columns = new Map<number, string[]>([[0, [root]]]);
  for (const item of items) (columns.get(item.depth) ?? columns.set(item.depth, []).get(item.depth)!).push(item.ciId);
  const place = new Map<string, { x: number; y: number }>();
  let rows = 1;
  for (const [depth, ids] of columns) {
    ids.forEach((id, row) => place.set(id, { x: 10 + depth * COLUMN, y: 10 + row * ROW }));
    rows = Math.max(rows, ids.length);
  }
  const width = 20 + columns.size * COLUMN;
  const height = 20 + rows * ROW;
  const svg = element('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'graph', role: 'img' });
  const title = element('title', {});
  title.textContent = `${root} and ${items.length} CI${items.length === 1 ? '' : 's'} reached from it`;
  svg.append(title);
  for (const item of items) {
    const from = place.get(item.path[item.path.length - 2] ?? root)!;
    const to = place.get(item.ciId)!;
    const line = element('line', {
      x1: from.x + BOX.width,
      y1: from.y + BOX.height / 2,
      x2: to.x,
      y2: to.y + BOX.height / 2,
      class: 'edge',
    });
    // The relationship's name sits over the middle of the gap between the two columns.
    const label = element('text', {
      x: (from.x + BOX.width + to.x) / 2,
      y: to.y + BOX.height / 2 - 5,
      class: 'edge-label',
      'text-anchor': 'middle',
    });
    label.textContent = item.via[item.via.length - 1] ?? '';
    svg.append(line, label);
  }
  const missing = new Set(items.filter((i) => i.missing).map((i) => i.ciId));
  for (const [id, { x, y }] of place) {
    const group = element('g', { class: `node${id === root ? ' root' : ''}${missing.has(id) ? ' missing' : ''}` });
    group.append(element('rect', { x, y, width: BOX.width, height: BOX.height, rx: 4 }));
    const text = element('text', { x: x + 8, y: y + 18 });
    text.textContent = id.length > 22 ? `${id.slice(0, 21)}…` : id;
    group.append(text);
    if (id !== root && !missing.has(id)) group.addEventListener('click', () => onOpen(id));
    svg.append(group);
  }
  return svg;
}
