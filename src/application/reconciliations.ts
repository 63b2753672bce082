import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { currentCiQueries, type CurrentCi } from '../../projections/current-cis';
import {
  ChangeMetadataSchema,
  DEFAULT_STATUS,
  ciDocument,
  diffDocuments,
  type ChangeMetadata,
  type DesiredCiLine,
  type FieldIssue,
  type JsonPatch,
} from '../domain';
import type { Clock } from '../ports/clock';
import type { EventStore, RecordedEvent } from '../ports/event-store';
import type { ViewReader } from '../ports/view-store';
import { ChunkWriter, readChunkedItems } from './chunked-stream';
import type { CiCommandHandler } from './ci-command-handler';
import type { ParsedLine } from './imports';
import { refusalIssues } from './refusals';
import { StreamFollower } from './stream-follower';
import { CATALOGUE_PREFIX } from './catalogue-log';
import type { ViewsWait } from './views-wait';

/** What a reconciliation found for one CI (or one line it could not read). */
export interface ReconciliationItem {
  /**
   * `drift`: recorded, observed otherwise (patch: recorded → observed);
   * `new`: observed, not recorded; `missing`: recorded in scope, not observed;
   * `invalid`: a line that is not an observed CI.
   */
  readonly kind: 'drift' | 'new' | 'missing' | 'invalid';
  readonly ciId?: string;
  readonly line?: number;
  readonly patch?: JsonPatch;
  /** With apply=true: the revision the observed state was recorded at, or why it was refused. */
  readonly revision?: number;
  readonly errors?: readonly FieldIssue[];
}

const CountsSchema = z.strictObject({
  observed: z.number(),
  matching: z.number(),
  drift: z.number(),
  new: z.number(),
  missing: z.number(),
  invalid: z.number(),
  applied: z.number(),
  refused: z.number(),
});
type Counts = z.infer<typeof CountsSchema>;

const ReconciledSchema = z.strictObject({
  id: z.string(),
  source: z.string(),
  scope: z.string(),
  apply: z.boolean(),
  counts: CountsSchema,
  itemsStream: z.string(),
  items: z.number(),
  startedAt: z.string(),
});

export type ReconciliationReport = z.infer<typeof ReconciledSchema> & {
  readonly finishedAt: string;
  readonly actor: string;
  readonly changeRef: string | null;
};

/** `all`, or `type:<type>`: which recorded CIs are expected to be observed. */
export type Scope = { readonly type?: string | undefined };

const BATCH = 500;
const CHUNK = 2000;

/**
 * Verification against reality: an observed snapshot (NDJSON, streamed) is
 * compared with what is recorded, CI by CI, in batches, holding only the
 * observed ids and one chunk of findings in memory. With `apply`, the
 * observed state is declared (source `discovery`, PUT semantics: the
 * recorded status is kept unless observed, and re-applying the same
 * snapshot appends nothing). Reports are kept in the catalogue log.
 */
export class Reconciliations {
  private readonly reports = new Map<string, ReconciliationReport>();
  private readonly stream: StreamFollower;
  private readonly prefix: string;

  constructor(
    private readonly deps: {
      readonly eventStore: EventStore;
      readonly viewStore: ViewReader;
      readonly wait: ViewsWait;
      readonly commands: CiCommandHandler;
      readonly catalogue: EventStore;
      readonly clock: Clock;
      readonly newEventId: () => string;
      readonly streamPrefix?: string;
    },
  ) {
    this.prefix = deps.streamPrefix ?? CATALOGUE_PREFIX;
    this.stream = new StreamFollower(deps.catalogue, `${this.prefix}reconciliations`, (raw) => this.fold(raw));
  }

  async run(
    request: { source: string; scope: Scope; apply: boolean; metadata: ChangeMetadata },
    lines: AsyncIterable<ParsedLine>,
  ): Promise<ReconciliationReport> {
    const id = randomUUID();
    const startedAt = this.deps.clock.now().toISOString();
    const metadata = ChangeMetadataSchema.parse({ ...request.metadata, source: 'discovery' });
    const writer = new ChunkWriter<ReconciliationItem>(
      this.deps.catalogue,
      `${this.prefix}reconciliation-${id}`,
      'ReconciliationItemsRecorded',
      CHUNK,
      { newEventId: this.deps.newEventId, metadata, recordedAt: () => this.deps.clock.now().toISOString() },
    );
    const counts: Counts = {
      observed: 0,
      matching: 0,
      drift: 0,
      new: 0,
      missing: 0,
      invalid: 0,
      applied: 0,
      refused: 0,
    };
    await this.deps.wait.forPosition(await this.deps.eventStore.headPosition());

    const observedIds = new Set<string>();
    let batch: DesiredCiLine[] = [];
    const compare = async () => {
      const recorded = new Map(
        (
          await currentCiQueries.getMany(
            this.deps.viewStore,
            batch.map((line) => line.id),
          )
        ).map((ci) => [ci.ciId, ci]),
      );
      const findings = await Promise.all(
        batch.map((observed) => this.reconcile(observed, recorded.get(observed.id), request.apply, metadata)),
      );
      for (const finding of findings) {
        if (!finding) {
          counts.matching++;
          continue;
        }
        counts[finding.kind]++;
        if (finding.revision !== undefined) counts.applied++;
        if (finding.errors) counts.refused++;
        await writer.add(finding);
      }
      batch = [];
    };
    for await (const parsed of lines) {
      if (!parsed.ok) {
        counts.invalid++;
        await writer.add({ kind: 'invalid', line: parsed.line, errors: parsed.errors });
        continue;
      }
      if (observedIds.has(parsed.desired.id)) {
        counts.invalid++;
        await writer.add({
          kind: 'invalid',
          line: parsed.line,
          ciId: parsed.desired.id,
          errors: [{ field: 'id', message: 'was observed twice in this snapshot; the first is kept' }],
        });
        continue;
      }
      observedIds.add(parsed.desired.id);
      counts.observed++;
      batch.push(parsed.desired);
      if (batch.length >= BATCH) await compare();
    }
    if (batch.length > 0) await compare();

    // Recorded in scope and not observed: retired CIs are not expected to be seen.
    for (let after: string | undefined; ;) {
      const page = await currentCiQueries.list(this.deps.viewStore, {
        type: request.scope.type,
        includeRetired: false,
        afterCiId: after,
        limit: 1000,
      });
      for (const ci of page) {
        if (observedIds.has(ci.ciId) || ci.document.status === 'disposed') continue;
        counts.missing++;
        await writer.add({ kind: 'missing', ciId: ci.ciId });
      }
      if (page.length < 1000) break;
      after = page.at(-1)!.ciId;
    }
    const { items } = await writer.flush();
    const data = {
      id,
      source: request.source,
      scope: request.scope.type ? `type:${request.scope.type}` : 'all',
      apply: request.apply,
      counts,
      itemsStream: writer.stream,
      items,
      startedAt,
    };
    await this.deps.catalogue.append(
      this.stream.stream,
      [
        {
          id: this.deps.newEventId(),
          type: 'Reconciled',
          data,
          metadata,
          recordedAt: this.deps.clock.now().toISOString(),
        },
      ],
      'any', // reports never collide: each has its own id
    );
    return this.get(id) as Promise<ReconciliationReport>;
  }

  async list(): Promise<ReconciliationReport[]> {
    await this.stream.refresh();
    return [...this.reports.values()].reverse();
  }

  async get(id: string): Promise<ReconciliationReport | undefined> {
    await this.stream.refresh();
    return this.reports.get(id);
  }

  /** A page of a report's findings, in the order found. */
  items(report: ReconciliationReport, from: number, limit: number): Promise<ReconciliationItem[]> {
    return readChunkedItems(this.deps.catalogue, report.itemsStream, CHUNK, from, limit);
  }

  private async reconcile(
    observed: DesiredCiLine,
    recorded: CurrentCi | undefined,
    apply: boolean,
    metadata: ChangeMetadata,
  ): Promise<ReconciliationItem | undefined> {
    const { id, ...clear } = observed;
    // Compared and reported as stored: secrets as their fingerprints, never in the clear.
    const desired = await this.deps.commands.fingerprintSecrets(id, clear);
    const document = ciDocument({
      type: desired.type,
      name: desired.name,
      status: desired.status ?? recorded?.document.status ?? DEFAULT_STATUS,
      attributes: desired.attributes,
      relationships: desired.relationships,
    });
    const patch = diffDocuments(recorded?.document, document);
    if (recorded && patch.length === 0) return undefined;
    const finding: ReconciliationItem = { kind: recorded ? 'drift' : 'new', ciId: id, patch };
    if (!apply) return finding;
    try {
      // Written from the clear values, so the type's schema judges new secrets before they are fingerprinted.
      const outcome = await this.deps.commands.execute({ type: 'DeclareCi', ciId: id, desired: clear }, { metadata });
      return { ...finding, revision: outcome.ci.revision };
    } catch (error) {
      const refused = refusalIssues(error);
      if (!refused) throw error;
      return { ...finding, errors: refused };
    }
  }

  private fold(raw: RecordedEvent): void {
    const data = ReconciledSchema.parse(raw.data);
    const metadata = ChangeMetadataSchema.parse(raw.metadata);
    this.reports.set(data.id, {
      ...data,
      finishedAt: raw.recordedAt,
      actor: metadata.actor,
      changeRef: metadata.changeRef,
    });
  }
}
