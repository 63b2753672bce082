import { get, query, streamUrl } from '../api';
import { h, replace, when } from '../dom';
import { guarded } from '../feedback';
import type { Change, Me, Page } from '../types';

/** Closes the open stream when the reader leaves the page. */
export type Cleanup = () => void;

function row(change: Change, fresh: boolean): HTMLTableRowElement {
  const id = change.ciId ?? '';
  return h(
    'tr',
    { class: fresh ? 'fresh' : undefined },
    h('td', {}, when(change.recordedAt)),
    h('td', {}, h('a', { href: `#/ci/${encodeURIComponent(id)}` }, id)),
    h('td', {}, change.ciType ?? ''),
    h('td', {}, change.eventType.replace(/^Ci/, '')),
    h('td', {}, change.onBehalfOf ? `${change.actor} for ${change.onBehalfOf}` : change.actor),
    h('td', {}, change.reason ?? ''),
    h('td', {}, change.changeRef ?? ''),
  );
}

/**
 * The change feed: the latest changes, then every new one as it is recorded
 * (the SSE stream), filtered by CI, type and actor.
 */
export async function changesPage(main: HTMLElement, params: URLSearchParams, _me: Me): Promise<Cleanup> {
  const ciId = params.get('ciId') ?? '';
  const type = params.get('type') ?? '';
  const actor = params.get('actor') ?? '';
  const ciInput = h('input', { name: 'ciId', value: ciId, placeholder: 'any CI' });
  const typeInput = h('input', { name: 'type', value: type, placeholder: 'any type' });
  const actorInput = h('input', { name: 'actor', value: actor, placeholder: 'anyone' });
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        location.hash = `#/changes${query({ ciId: ciInput.value.trim(), type: typeInput.value.trim(), actor: actorInput.value.trim() })}`;
      },
    },
    h('label', {}, 'CI ', ciInput),
    h('label', {}, 'Type ', typeInput),
    h('label', {}, 'Actor ', actorInput),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const live = h('span', { class: 'live', role: 'status' }, 'connecting…');
  const body = h('tbody', {});
  const list = h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...['When', 'CI', 'Type', 'Change', 'Who', 'Why', 'Ticket'].map((t) => h('th', {}, t)))),
    body,
  );
  replace(main, h('h1', {}, 'Changes ', live), form, list);

  let source: EventSource | undefined;
  await guarded(main, async () => {
    const recent = await get<Page<Change>>(`/changes${query({ ciId, type, actor, limit: 50 })}`);
    body.append(...recent.items.map((change) => row(change, false)));
    source = new EventSource(await streamUrl({ ciId: ciId || undefined, type: type || undefined }));
    source.addEventListener('open', () => (live.textContent = '● live'));
    source.addEventListener('error', () => {
      // EventSource reconnects by itself (resuming after the last event); closed means it gave up (a ticket expired).
      live.textContent = source?.readyState === EventSource.CLOSED ? 'disconnected: reload the page' : 'reconnecting…';
    });
    source.addEventListener('message', (event) => {
      const change = JSON.parse((event as MessageEvent<string>).data) as Change;
      if (actor && change.actor !== actor) return; // the stream filters by CI and type; the actor here
      body.prepend(row(change, true));
      while (body.rows.length > 500) body.lastElementChild?.remove();
    });
  });
  return () => source?.close();
}
