import { get } from '../api';
import { h, replace, table, when } from '../dom';
import { guarded } from '../feedback';
import type { Baseline, Me, PatchOperation } from '../types';

/** The baselines taken, and one baseline compared with now. */
export async function baselinesPage(main: HTMLElement, name: string | undefined, _me: Me): Promise<void> {
  replace(main, h('h1', {}, name ? `Baseline ${name}` : 'Baselines'), h('p', { class: 'muted' }, 'Loading…'));
  await guarded(main, async () => {
    if (!name) {
      const { items } = await get<{ items: Baseline[] }>('/baselines');
      replace(
        main,
        h('h1', {}, 'Baselines'),
        items.length === 0
          ? h('p', { class: 'muted' }, 'No baseline has been taken (POST /api/v1/baselines).')
          : table(
              ['Name', 'Taken', 'Stands at', 'CIs', 'By', 'Why'],
              items.map((b) => [
                h('a', { href: `#/baselines/${encodeURIComponent(b.name)}` }, b.name),
                when(b.takenAt),
                b.asOf ? when(b.asOf) : `log position ${b.position}`,
                b.members,
                b.actor,
                b.reason ?? '',
              ]),
            ),
      );
      return;
    }
    const diff = await get<{ items: { ciId: string; change: string; patch: PatchOperation[] }[] }>(
      `/baselines/${encodeURIComponent(name)}/diff`,
    );
    const counts = { added: 0, removed: 0, changed: 0 } as Record<string, number>;
    for (const item of diff.items) counts[item.change] = (counts[item.change] ?? 0) + 1;
    replace(
      main,
      h('h1', {}, `Baseline ${name}`),
      h(
        'p',
        { class: 'caption' },
        `Against now: ${counts['changed']} changed, ${counts['added']} added, ${counts['removed']} removed.`,
      ),
      diff.items.length === 0
        ? h('p', { class: 'muted' }, 'Everything stands as in the baseline.')
        : table(
            ['CI', 'Since the baseline', 'What differs'],
            diff.items.map((item) => [
              h('a', { href: `#/ci/${encodeURIComponent(item.ciId)}` }, item.ciId),
              item.change,
              h('code', {}, item.patch.map((op) => `${op.op} ${op.path}`).join('; ')),
            ]),
          ),
    );
  });
}
