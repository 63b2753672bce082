import { ciPath, download, get, query } from '../api';
import { h, replace, table, when } from '../dom';
import { errorBox, guarded } from '../feedback';
import { compareSection, restoreSection } from './ci-history';
import { aroundSection, graphSection } from './ci-neighbourhood';
import { may, type Change, type Ci, type Me, type Page, type PatchOperation } from '../types';

/** A CI: its state (now or as of an instant), its timeline, a diff of any two points, restore, its graph. */
export async function ciPage(
  main: HTMLElement,
  id: string,
  params: URLSearchParams,
  me: Me,
  notice?: string,
): Promise<void> {
  const asOf = params.get('asOf') ?? undefined;
  const reload = (message: string) => ciPage(main, id, params, me, message);
  replace(main, h('h1', {}, id), h('p', { class: 'muted' }, 'Loading…'));
  await guarded(main, async () => {
    const [ci, history] = await Promise.all([
      get<Ci>(`${ciPath(id)}${query({ asOf })}`),
      get<Page<Change>>(`${ciPath(id)}/history`),
    ]);
    const revisions = history.items.map((change) => change.revision);
    replace(
      main,
      h('h1', {}, ci.name, ci.name === ci.id ? null : h('span', { class: 'muted' }, ` (${ci.id})`)),
      notice ? h('p', { class: 'ok', role: 'status' }, notice) : null,
      asOf
        ? h(
            'p',
            { class: 'banner' },
            `As it stood at ${when(asOf)} (revision ${ci.revision}). `,
            h('a', { href: `#/ci/${encodeURIComponent(id)}` }, 'Show it now'),
          )
        : null,
      stateSection(ci),
      timelineSection(history.items),
      compareSection(id, revisions),
      may(me, 'writer') ? restoreSection(id, revisions, reload) : null,
      graphSection(id, asOf),
      aroundSection(id),
      may(me, 'auditor') ? evidenceSection(id) : null,
    );
  });
}

function stateSection(ci: Ci): HTMLElement {
  const attributes = Object.entries(ci.attributes).map(([key, value]) => [
    key,
    h('code', {}, typeof value === 'string' ? value : JSON.stringify(value)),
  ]);
  const relationships = ci.relationships.map((r) => [
    r.type,
    h('a', { href: `#/ci/${encodeURIComponent(r.target)}` }, r.target),
  ]);
  return h(
    'section',
    { id: 'state' },
    h('h2', {}, 'State'),
    h(
      'dl',
      { class: 'facts' },
      ...[
        ['Type', ci.type],
        ['Status', h('span', { class: `status status-${ci.status}` }, ci.status)],
        ['Revision', ci.revision],
        ['Recorded', when(ci.recordedAt)],
      ].flatMap(([term, value]) => [h('dt', {}, term as string), h('dd', {}, value as Node | string)]),
    ),
    attributes.length > 0 ? table(['Attribute', 'Value'], attributes) : h('p', { class: 'muted' }, 'No attributes.'),
    relationships.length > 0 ? table(['Relationship', 'Target'], relationships) : null,
  );
}

function changedFields(patch: PatchOperation[]): string {
  const fields = [...new Set(patch.map((op) => op.path.split('/').slice(1, 3).join('/') || '/'))];
  return fields.length > 4 ? `${fields.slice(0, 4).join(', ')} and ${fields.length - 4} more` : fields.join(', ');
}

function timelineSection(changes: Change[]): HTMLElement {
  const rows = [...changes]
    .reverse()
    .map((c) => [
      c.revision,
      when(c.recordedAt),
      c.eventType.replace(/^Ci/, ''),
      c.onBehalfOf ? `${c.actor} for ${c.onBehalfOf}` : c.actor,
      c.reason ?? '',
      c.changeRef ?? '',
      c.source,
      changedFields(c.patch),
    ]);
  return h(
    'section',
    { id: 'timeline' },
    h('h2', {}, 'Timeline'),
    h('p', { class: 'muted' }, 'Every change, newest first: who, why, under which ticket, when.'),
    table(['Rev', 'When', 'Change', 'Who', 'Why', 'Ticket', 'Source', 'Fields'], rows),
  );
}

function evidenceSection(id: string): HTMLElement {
  const out = h('div', {});
  const button = h(
    'button',
    {
      type: 'button',
      onclick: () =>
        void download(
          `/evidence${query({ asOf: new Date(Date.now() - 1000).toISOString(), ciId: id })}`,
          `evidence-${id}.json`,
        ).catch((error: unknown) => replace(out, errorBox(error))),
    },
    'Download a signed evidence pack',
  );
  return h('section', { id: 'evidence' }, h('h2', {}, 'Evidence'), button, out);
}
