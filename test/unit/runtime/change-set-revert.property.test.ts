import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { toRecordedCiEvent } from '../../../src/application/ci-event-codec';
import {
  CiNotFoundError,
  CiRulesViolatedError,
  ciStreamName,
  foldCi,
  type ChangeMetadata,
  type CiDocument,
  type CiStatus,
} from '../../../src/domain';
import type { EventStore } from '../../../src/ports/event-store';
import { createTestService, type TestService } from '../../support/test-service';

/**
 * Change-set revert is exact (issue #13): reverting a change set with no later
 * conflicting change returns every field the set touched to its value before
 * the set, keeps every other field as it is, retires the CIs the set
 * registered, and touches no other CI.
 *
 * The oracle is independent of the implementation's patch reading: a field
 * was touched by the set when its value differs before and after one of the
 * set's events, read by folding the stream. Later changes (outside the set)
 * only touch fields the set was not given to change, so no conflict can arise.
 */

const ciIds = ['a', 'b', 'c', 'd'];
const newIds = ['n1', 'n2'];
const attributeKeys = ['k1', 'k2', 'k3', 'k4'];
// No `disposed`: nothing leaves it, so a set that disposes a CI cannot be reverted (a lifecycle refusal, tested apart).
const statuses: CiStatus[] = ['planned', 'ordered', 'in_stock', 'live', 'maintenance', 'retired'];

type FieldChange =
  | { kind: 'name'; value: string }
  | { kind: 'status'; value: CiStatus }
  | { kind: 'attribute'; key: string; value: number | string | null }
  | { kind: 'relationships'; value: { type: string; target: string }[] };

const fieldChangeArb: fc.Arbitrary<FieldChange> = fc.oneof(
  fc.record({ kind: fc.constant('name' as const), value: fc.constantFrom('x', 'y', 'z') }),
  fc.record({ kind: fc.constant('status' as const), value: fc.constantFrom(...statuses) }),
  fc.record({
    kind: fc.constant('attribute' as const),
    key: fc.constantFrom(...attributeKeys),
    value: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('p', 'q'), fc.constant(null)),
  }),
  fc.record({
    kind: fc.constant('relationships' as const),
    value: fc.uniqueArray(
      fc.record({ type: fc.constantFrom('runs_on', 'depends_on'), target: fc.constantFrom('a', 'b', 'z') }),
      { maxLength: 2, selector: (r) => `${r.type}/${r.target}` },
    ),
  }),
);

const fieldName = (change: FieldChange) => (change.kind === 'attribute' ? `attributes.${change.key}` : change.kind);

const stepArb = fc.record({ ciId: fc.constantFrom(...ciIds), change: fieldChangeArb });
const scenarioArb = fc.record({
  before: fc.array(stepArb, { maxLength: 8 }),
  set: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: stepArb },
      { weight: 1, arbitrary: fc.record({ ciId: fc.constantFrom(...newIds), change: fieldChangeArb }) },
    ),
    {
      minLength: 1,
      maxLength: 8,
    },
  ),
  // Each later step is placed after set step `at` (interleaved with the set, or after it).
  later: fc.array(fc.record({ step: stepArb, at: fc.nat(10) }), { maxLength: 8 }),
});

const SET = 'CHG-SET';
const meta = (changeRef: string | null): ChangeMetadata => ({
  actor: 'prop',
  reason: null,
  changeRef,
  source: 'api',
  correlationId: null,
});

async function apply(service: TestService, ciId: string, change: FieldChange, changeRef: string | null) {
  const exists = (await service.eventStore.streamHead(ciStreamName(ciId))) !== undefined;
  const mergePatch =
    change.kind === 'attribute' ? { attributes: { [change.key]: change.value } } : { [change.kind]: change.value };
  const command = exists
    ? { type: 'PatchCi' as const, ciId, mergePatch }
    : {
        type: 'DeclareCi' as const,
        ciId,
        desired: {
          type: 'server',
          name: ciId,
          attributes: {},
          relationships: [],
          ...(change.kind === 'status' && { status: change.value }),
        },
      };
  await service.commands.execute(command, { metadata: meta(changeRef) }).catch((error: unknown) => {
    // A lifecycle refusal (retired → live by a PATCH) appends nothing: part of a random history.
    if (error instanceof CiRulesViolatedError && error.issues.every((issue) => issue.field === 'status')) return;
    if (error instanceof CiNotFoundError) return;
    throw error;
  });
}

async function documents(eventStore: EventStore, ids: readonly string[]) {
  const docs = new Map<string, { revision: number; document: CiDocument | undefined }>();
  for (const id of ids) {
    const state = foldCi((await eventStore.readStream(ciStreamName(id))).map(toRecordedCiEvent));
    docs.set(id, { revision: state.revision, document: state.document });
  }
  return docs;
}

/** The fields (name, status, relationships, attributes.<key>) whose value an event of the set changed, per CI. */
async function fieldsTouchedBySet(eventStore: EventStore, ids: readonly string[]) {
  const touched = new Map<string, Set<string>>();
  for (const id of ids) {
    const events = (await eventStore.readStream(ciStreamName(id))).map(toRecordedCiEvent);
    events.forEach((event, index) => {
      if (event.metadata.changeRef !== SET) return;
      const before = foldCi(events.slice(0, index)).document;
      const after = foldCi(events.slice(0, index + 1)).document!;
      const fields = touched.get(id) ?? new Set<string>();
      for (const field of allFields(before, after)) {
        if (!isDeepStrictEqual(valueOf(before, field), valueOf(after, field))) fields.add(field);
      }
      touched.set(id, fields);
    });
  }
  return touched;
}

function allFields(...docs: (CiDocument | undefined)[]): string[] {
  const keys = new Set(docs.flatMap((doc) => Object.keys(doc?.attributes ?? {})));
  return ['type', 'name', 'status', 'relationships', ...[...keys].map((key) => `attributes.${key}`)];
}

function valueOf(doc: CiDocument | undefined, field: string): unknown {
  if (!doc) return undefined;
  if (field.startsWith('attributes.')) return doc.attributes[field.slice('attributes.'.length)];
  return (doc as Record<string, unknown>)[field];
}

describe('change-set revert (property)', () => {
  it('returns every touched field to its value before the set, keeps the rest, and touches no other CI', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const service = await createTestService();
        try {
          const everyId = [...ciIds, ...newIds];
          for (const id of ciIds) await apply(service, id, { kind: 'name', value: id }, null);
          for (const step of scenario.before) await apply(service, step.ciId, step.change, 'CHG-EARLIER');
          const beforeSet = await documents(service.eventStore, everyId);

          // The set, with later changes interleaved; a later change never touches a field the set was given for that CI.
          const setFields = new Map<string, Set<string>>();
          for (const step of scenario.set) {
            const fields = setFields.get(step.ciId) ?? new Set<string>();
            fields.add(fieldName(step.change));
            setFields.set(step.ciId, fields);
          }
          const later = scenario.later.filter(
            ({ step }) => !setFields.get(step.ciId)?.has(fieldName(step.change)) && beforeSet.get(step.ciId)!.document,
          );
          const setStarted = new Set<string>();
          for (const [index, step] of scenario.set.entries()) {
            await apply(service, step.ciId, step.change, SET);
            setStarted.add(step.ciId);
            for (const { step: other } of later.filter((l) => Math.min(l.at, scenario.set.length - 1) === index)) {
              // A CI the set registered is all the set's: nothing else may change it.
              if (!beforeSet.get(other.ciId)!.document && setStarted.has(other.ciId)) continue;
              await apply(service, other.ciId, other.change, 'CHG-LATER');
            }
          }
          const touched = await fieldsTouchedBySet(service.eventStore, everyId);
          const beforeRevert = await documents(service.eventStore, everyId);
          if (touched.size === 0) return; // every change of the set was a no-op or refused: nothing to revert

          const items = await service.changeSets.revert({
            changeRef: SET,
            dryRun: false,
            force: false,
            metadata: { ...meta('CHG-REVERT'), source: 'revert', changeRef: 'CHG-REVERT' },
          });
          expect(items.filter((item) => item.outcome === 'conflict')).toEqual([]);
          expect(items.map((item) => item.ciId).sort()).toEqual([...touched.keys()].sort());
          const afterRevert = await documents(service.eventStore, everyId);

          for (const id of everyId) {
            const fields = touched.get(id);
            const after = afterRevert.get(id)!;
            const pre = beforeRevert.get(id)!;
            if (!fields) {
              expect(after.revision).toBe(pre.revision); // not in the set: not touched
              continue;
            }
            const original = beforeSet.get(id)!.document;
            if (!original) {
              // Registered by the set: retired, everything else as it was.
              expect(after.document).toEqual({
                ...pre.document,
                status: pre.document!.status === 'disposed' ? 'disposed' : 'retired',
              });
              continue;
            }
            for (const field of allFields(original, pre.document, after.document)) {
              const expected = fields.has(field) ? valueOf(original, field) : valueOf(pre.document, field);
              expect([field, valueOf(after.document, field)]).toEqual([field, expected]);
            }
            const laterChanged = (await service.eventStore.readStream(ciStreamName(id)))
              .map(toRecordedCiEvent)
              .some(
                (event) => event.metadata.changeRef === 'CHG-LATER' && event.revision > beforeSet.get(id)!.revision,
              );
            if (!laterChanged) expect(after.document).toEqual(original); // the whole state before the set
          }

          // A second run finds every CI reverted already and appends nothing.
          const head = await service.eventStore.headPosition();
          const again = await service.changeSets.revert({
            changeRef: SET,
            dryRun: false,
            force: false,
            metadata: { ...meta('CHG-REVERT'), source: 'revert', changeRef: 'CHG-REVERT' },
          });
          expect(again.every((item) => item.outcome === 'already-reverted' || item.outcome === 'nothing-to-do')).toBe(
            true,
          );
          expect(await service.eventStore.headPosition()).toBe(head);
        } finally {
          await service.stop();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
