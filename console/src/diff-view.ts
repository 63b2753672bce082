import { create, type DiffContext } from 'jsondiffpatch';
import { format } from 'jsondiffpatch/formatters/html';
import { h } from './dom';
import { LONG_ARRAY_CELLS, longArrayDelta } from './long-array-delta';
import type { Ci } from './types';

// Relationships are matched by what they are (type and target), not by their place in the list.
const differ = create({
  objectHash: (item: object, index?: number) => {
    const { type, target } = item as { type?: unknown; target?: unknown };
    return typeof type === 'string' && typeof target === 'string' ? `${type}→${target}` : `#${index ?? ''}`;
  },
  arrays: { detectMove: false },
});

/** Long arrays (a server's installed packages) are diffed in bounded time, before jsondiffpatch's own LCS would be. */
function longArrays(context: DiffContext): void {
  const { left, right } = context;
  if (!Array.isArray(left) || !Array.isArray(right) || left.length * right.length <= LONG_ARRAY_CELLS) return;
  context.setResult(longArrayDelta(left, right, (before, after) => differ.diff(before, after))).exit();
}
longArrays.filterName = 'longArrays';
differ.processor.pipes.diff.before('arrays', longArrays);

/** What a reader compares: the document, without the bookkeeping that always differs. */
function document(ci: Ci) {
  const { type, name, status, attributes, relationships } = ci;
  return { type, name, status, attributes, relationships };
}

/** jsondiffpatch's HTML view of two states of a CI (it escapes every value it shows). */
export function diffView(left: Ci, right: Ci): HTMLElement {
  const before = document(left);
  const delta = differ.diff(before, document(right));
  const view = h('div', { class: 'diff' });
  if (!delta) {
    view.append(h('p', { class: 'muted' }, 'No difference: the two states are the same.'));
    return view;
  }
  view.innerHTML = format(delta, before) ?? '';
  return view;
}
