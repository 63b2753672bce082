import { call, ciPath, get, query } from '../api';
import { h, instantFrom, replace, when } from '../dom';
import { diffView } from '../diff-view';
import { errorBox, guarded } from '../feedback';
import type { Ci, PatchOperation } from '../types';

/** A CI's history at work: two points compared, and a restore previewed then applied. */

/** A revision number, or (when the instant field is filled) the state at that instant. */
function pointQuery(revision: string, instant: string): string {
  const at = instantFrom(instant);
  return at ? query({ asOf: at }) : query({ revision });
}

function revisionSelect(name: string, revisions: number[], selected: number | undefined): HTMLSelectElement {
  return h(
    'select',
    { name },
    ...revisions.map((r) => h('option', { value: String(r), selected: r === selected }, `revision ${r}`)),
  );
}

export function compareSection(id: string, revisions: number[]): HTMLElement {
  const last = revisions[revisions.length - 1];
  const from = revisionSelect('from', revisions, revisions[revisions.length - 2] ?? last);
  const to = revisionSelect('to', revisions, last);
  const fromAt = h('input', { type: 'datetime-local', step: '1', name: 'fromAsOf' });
  const toAt = h('input', { type: 'datetime-local', step: '1', name: 'toAsOf' });
  const out = h('div', { class: 'compare-result' });
  const compare = async (event: Event) => {
    event.preventDefault();
    await guarded(out, async () => {
      const [left, right] = await Promise.all([
        get<Ci>(`${ciPath(id)}${pointQuery(from.value, fromAt.value)}`),
        get<Ci>(`${ciPath(id)}${pointQuery(to.value, toAt.value)}`),
      ]);
      replace(
        out,
        h(
          'p',
          { class: 'caption' },
          `From revision ${left.revision} (${when(left.recordedAt)}) to revision ${right.revision} (${when(right.recordedAt)})`,
        ),
        diffView(left, right),
      );
    });
  };
  return h(
    'section',
    { id: 'compare' },
    h('h2', {}, 'Compare'),
    h(
      'form',
      { class: 'filters', onsubmit: compare },
      h('label', {}, 'From ', from, ' or at ', fromAt),
      h('label', {}, 'to ', to, ' or at ', toAt),
      h('button', { type: 'submit' }, 'Show the difference'),
    ),
    out,
  );
}

export function restoreSection(
  id: string,
  revisions: number[],
  reload: (notice: string) => Promise<void>,
): HTMLElement {
  const target = revisionSelect('revision', revisions.slice(0, -1), revisions[revisions.length - 2]);
  const reason = h('input', { name: 'reason', placeholder: 'why (recorded with the change)', size: '40' });
  const changeRef = h('input', { name: 'changeRef', placeholder: 'ticket, e.g. CHG-1234' });
  const out = h('div', { class: 'restore-result' });
  const body = () => ({
    revision: Number(target.value),
    ...(reason.value.trim() && { reason: reason.value.trim() }),
    ...(changeRef.value.trim() && { changeRef: changeRef.value.trim() }),
  });
  const apply = h('button', { type: 'button', disabled: true, onclick: () => void restore() }, 'Restore');
  const preview = async (event: Event) => {
    event.preventDefault();
    apply.disabled = true;
    await guarded(out, async () => {
      const [dry, now, then] = await Promise.all([
        call<{ patch: PatchOperation[] }>('POST', `${ciPath(id)}/restore`, { ...body(), dryRun: true }),
        get<Ci>(ciPath(id)),
        get<Ci>(`${ciPath(id)}${query({ revision: target.value })}`),
      ]);
      replace(
        out,
        h(
          'p',
          { class: 'caption' },
          dry.patch.length === 0
            ? 'Nothing would change: the CI already stands as at that revision.'
            : `Dry run: the restore would apply ${dry.patch.length} change${dry.patch.length === 1 ? '' : 's'}:`,
        ),
        dry.patch.length > 0 ? diffView(now, then) : null,
      );
      apply.disabled = dry.patch.length === 0;
    });
  };
  const restore = async () => {
    apply.disabled = true;
    try {
      const ci = await call<Ci>('POST', `${ciPath(id)}/restore`, body());
      await reload(`Restored: the CI is now at revision ${ci.revision}.`);
    } catch (error) {
      replace(out, errorBox(error));
    }
  };
  return h(
    'section',
    { id: 'restore' },
    h('h2', {}, 'Restore'),
    h(
      'p',
      { class: 'muted' },
      'Brings back an earlier revision as a new change; the history keeps everything. Preview first.',
    ),
    h(
      'form',
      { class: 'filters', onsubmit: preview },
      h('label', {}, 'To ', target),
      reason,
      changeRef,
      h('button', { type: 'submit' }, 'Preview (dry run)'),
      apply,
    ),
    out,
  );
}
