import { ciPath, get, lastWrittenPosition, query } from '../api';
import { h, replace, table, when } from '../dom';
import { guarded } from '../feedback';
import { graphPicture } from '../graph-picture';
import type { Change, ImpactItem, Page } from '../types';

/** Around a CI: its impact set as a picture, and the changes to it and what it depends on. */

export function graphSection(id: string, asOf: string | undefined): HTMLElement {
  const out = h('div', { class: 'graph-holder' }, h('p', { class: 'muted' }, 'Loading…'));
  const direction = h(
    'select',
    { name: 'direction', onchange: () => void draw() },
    h('option', { value: 'dependents' }, 'what depends on it'),
    h('option', { value: 'dependencies' }, 'what it depends on'),
  );
  const draw = () =>
    guarded(out, async () => {
      const impact = await get<{ items: ImpactItem[]; truncated: boolean }>(
        `${ciPath(id)}/impact${query({ asOf, direction: direction.value, depth: 3, limit: 200 })}`,
      );
      replace(
        out,
        impact.items.length === 0
          ? h(
              'p',
              { class: 'muted' },
              direction.value === 'dependents' ? 'Nothing depends on it.' : 'It depends on nothing.',
            )
          : graphPicture(id, impact.items, (ciId) => (location.hash = `#/ci/${encodeURIComponent(ciId)}`)),
        impact.truncated ? h('p', { class: 'muted' }, 'More CIs are reachable than shown.') : null,
      );
    });
  void draw();
  return h('section', { id: 'graph' }, h('h2', {}, 'Impact'), h('label', {}, 'Show ', direction), out);
}

export function aroundSection(id: string): HTMLElement {
  const out = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const since = h(
    'select',
    { name: 'since', onchange: () => void load() },
    ...['2h', '24h', '7d', '30d'].map((s) => h('option', { value: s }, `last ${s}`)),
  );
  const load = () =>
    guarded(out, async () => {
      const page = await get<Page<Change>>(
        `/changes${query({ relatedTo: id, since: since.value, limit: 100, minPosition: lastWrittenPosition() })}`,
      );
      replace(
        out,
        page.items.length === 0
          ? h('p', { class: 'muted' }, 'No change to it or anything it depends on in that time.')
          : table(
              ['When', 'CI', 'Change', 'Who', 'Why', 'Ticket'],
              page.items.map((c) => [
                when(c.recordedAt),
                h('a', { href: `#/ci/${encodeURIComponent(c.ciId ?? '')}` }, c.ciId ?? ''),
                c.eventType.replace(/^Ci/, ''),
                c.actor,
                c.reason ?? '',
                c.changeRef ?? '',
              ]),
            ),
      );
    });
  void load();
  return h(
    'section',
    { id: 'around' },
    h('h2', {}, 'What changed around it'),
    h(
      'p',
      { class: 'muted' },
      'Changes to this CI and everything it depends on: where an incident responder looks first.',
    ),
    h('label', {}, 'In the ', since),
    out,
  );
}
