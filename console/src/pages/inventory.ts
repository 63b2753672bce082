import { get, query } from '../api';
import { h, instantFrom, localFrom, replace, table, when } from '../dom';
import { guarded } from '../feedback';
import type { Ci, Me, Page } from '../types';

const STATUSES = ['planned', 'ordered', 'in_stock', 'live', 'maintenance', 'retired', 'disposed'];
const PAGE_SIZE = 50;

/** The inventory, now or as of any instant, filtered by type and status, a page at a time. */
export async function inventoryPage(main: HTMLElement, params: URLSearchParams, _me: Me): Promise<void> {
  const asOf = params.get('asOf') ?? undefined;
  const type = params.get('type') ?? '';
  const status = params.get('status') ?? '';
  const includeRetired = params.get('includeRetired') === 'true';
  const cursor = params.get('cursor') ?? undefined;

  const asOfInput = h('input', { type: 'datetime-local', name: 'asOf', step: '1', value: localFrom(asOf) });
  const typeInput = h('input', { name: 'type', list: 'known-types', value: type, placeholder: 'any type' });
  const statusSelect = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'any status'),
    ...STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  const retired = h('input', { type: 'checkbox', name: 'includeRetired', checked: includeRetired });
  const types = h('datalist', { id: 'known-types' });
  const form = h(
    'form',
    { class: 'filters', onsubmit: (event: Event) => submit(event) },
    h('label', {}, 'As of ', asOfInput),
    h(
      'button',
      { type: 'button', class: 'link', onclick: () => ((asOfInput.value = ''), form.requestSubmit()) },
      'now',
    ),
    h('label', {}, 'Type ', typeInput),
    h('label', {}, 'Status ', statusSelect),
    h('label', {}, retired, ' include retired'),
    h('button', { type: 'submit' }, 'Show'),
    types,
  );
  function submit(event: Event): void {
    event.preventDefault();
    location.hash = `#/${query({
      asOf: instantFrom(asOfInput.value),
      type: typeInput.value.trim(),
      status: statusSelect.value,
      includeRetired: retired.checked || undefined,
    })}`;
  }

  const results = h('section', { class: 'results' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Inventory'), form, results);

  void get<{ items: { type: string }[] }>('/types').then(
    (answer) => types.append(...answer.items.map((t) => h('option', { value: t.type }))),
    () => undefined, // the list of types only helps typing; the inventory works without it
  );

  await guarded(results, async () => {
    const page = await get<Page<Ci>>(
      `/cis${query({ asOf, type, status, includeRetired: includeRetired || undefined, limit: PAGE_SIZE, cursor })}`,
    );
    const here = new URLSearchParams(params);
    here.delete('cursor');
    const rows = page.items.map((ci) => [
      h('a', { href: `#/ci/${encodeURIComponent(ci.id)}${query({ asOf })}` }, ci.id),
      ci.type,
      ci.name,
      h('span', { class: `status status-${ci.status}` }, ci.status),
      ci.revision,
      when(ci.recordedAt),
    ]);
    replace(
      results,
      h(
        'p',
        { class: 'caption' },
        asOf ? `As it stood at ${when(asOf)}` : 'As it stands now',
        ` · ${page.items.length} CI${page.items.length === 1 ? '' : 's'} on this page`,
      ),
      page.items.length > 0
        ? table(['Id', 'Type', 'Name', 'Status', 'Revision', 'Last changed'], rows)
        : h('p', { class: 'muted' }, 'No CI matches.'),
      h(
        'p',
        { class: 'paging' },
        cursor ? h('a', { href: `#/?${here.toString()}` }, '← First page') : null,
        page.nextCursor
          ? h(
              'a',
              { href: `#/?${new URLSearchParams({ ...Object.fromEntries(here), cursor: page.nextCursor })}` },
              'Next page →',
            )
          : null,
      ),
    );
  });
}
