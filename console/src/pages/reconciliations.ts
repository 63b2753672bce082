import { get, query } from '../api';
import { h, replace, table, when } from '../dom';
import { guarded } from '../feedback';
import type { Me, PatchOperation, Reconciliation } from '../types';

interface Finding {
  readonly kind: string;
  readonly ciId?: string;
  readonly line?: number;
  readonly patch?: PatchOperation[];
  readonly errors?: { field: string; message: string }[];
}

const counted = (counts: Record<string, number>) =>
  ['drift', 'new', 'missing', 'invalid'].map((kind) => `${counts[kind] ?? 0} ${kind}`).join(', ');

/** The reconciliation reports kept, and one report's findings a page at a time. */
export async function reconciliationsPage(main: HTMLElement, id: string | undefined, params: URLSearchParams, _me: Me) {
  replace(main, h('h1', {}, 'Reconciliations'), h('p', { class: 'muted' }, 'Loading…'));
  await guarded(main, async () => {
    if (!id) {
      const { items } = await get<{ items: Reconciliation[] }>('/reconciliations');
      replace(
        main,
        h('h1', {}, 'Reconciliations'),
        items.length === 0
          ? h('p', { class: 'muted' }, 'No reconciliation has been run (POST /api/v1/reconciliations).')
          : table(
              ['Report', 'Source', 'Scope', 'Findings', 'Applied', 'Started', 'By'],
              items.map((r) => [
                h('a', { href: `#/reconciliations/${encodeURIComponent(r.id)}` }, r.id.slice(0, 8)),
                r.source,
                r.scope,
                counted(r.counts),
                r.apply ? 'yes' : 'no',
                when(r.startedAt),
                r.actor,
              ]),
            ),
      );
      return;
    }
    const cursor = params.get('cursor') ?? undefined;
    const report = await get<Reconciliation & { items: Finding[]; nextCursor: string | null }>(
      `/reconciliations/${encodeURIComponent(id)}${query({ cursor, limit: 100 })}`,
    );
    replace(
      main,
      h('h1', {}, `Reconciliation with ${report.source}`),
      h('p', { class: 'caption' }, `${when(report.startedAt)} · scope ${report.scope} · ${counted(report.counts)}`),
      table(
        ['Finding', 'CI', 'What differs'],
        report.items.map((f) => [
          f.kind,
          f.ciId ? h('a', { href: `#/ci/${encodeURIComponent(f.ciId)}` }, f.ciId) : `line ${f.line ?? '?'}`,
          h(
            'code',
            {},
            f.patch
              ? f.patch
                  .map((op) => `${op.op} ${op.path}${op.value === undefined ? '' : ` = ${JSON.stringify(op.value)}`}`)
                  .join('; ')
              : (f.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; '),
          ),
        ]),
      ),
      report.nextCursor
        ? h(
            'p',
            { class: 'paging' },
            h(
              'a',
              { href: `#/reconciliations/${encodeURIComponent(id)}?cursor=${encodeURIComponent(report.nextCursor)}` },
              'Next page →',
            ),
          )
        : null,
    );
  });
}
