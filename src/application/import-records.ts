import { z } from 'zod';
import { ChangeMetadataSchema, type ChangeMetadata } from '../domain';
import { CATALOGUE_PREFIX, type CatalogueDeps } from './catalogue-log';

export const ImportCountsSchema = z.strictObject({
  created: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  invalid: z.number().int().nonnegative(),
  refused: z.number().int().nonnegative(),
});
export type ImportCounts = z.infer<typeof ImportCountsSchema>;

const ProgressSchema = z.strictObject({
  /** Every line up to this one is done (written, found unchanged, or reported). */
  line: z.number().int().nonnegative(),
  counts: ImportCountsSchema,
  completed: z.boolean(),
});

export interface ImportRecord {
  readonly importId: string;
  readonly line: number;
  readonly counts: ImportCounts;
  readonly completed: boolean;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly actor: string;
}

export const IMPORT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Where each import has got to, in the catalogue log: one stream per import
 * (`import-<id>`) of progress events, the last of which says how far every
 * line is done; an index stream lists the imports. An import interrupted
 * (the store down, the client gone) resumes after its last progress.
 */
export class ImportRecords {
  private readonly prefix: string;

  constructor(private readonly deps: CatalogueDeps) {
    this.prefix = deps.streamPrefix ?? CATALOGUE_PREFIX;
  }

  async get(importId: string): Promise<ImportRecord | undefined> {
    const events = await this.deps.catalogue.readStream(this.stream(importId));
    const first = events[0];
    const last = events.at(-1);
    if (!first || !last) return undefined;
    const progress = ProgressSchema.parse(last.data);
    return {
      importId,
      line: progress.line,
      counts: progress.counts,
      completed: progress.completed,
      startedAt: first.recordedAt,
      updatedAt: last.recordedAt,
      actor: ChangeMetadataSchema.parse(last.metadata).actor,
    };
  }

  /** The imports, newest first. */
  async list(limit: number): Promise<ImportRecord[]> {
    const index = await this.deps.catalogue.readStream(`${this.prefix}imports`);
    const ids = [...new Set(index.map((event) => String((event.data as { importId: string }).importId)))].reverse();
    const records = await Promise.all(ids.slice(0, limit).map((id) => this.get(id)));
    return records.filter((record): record is ImportRecord => record !== undefined);
  }

  async record(
    importId: string,
    progress: z.infer<typeof ProgressSchema>,
    metadata: ChangeMetadata,
    isNew: boolean,
  ): Promise<void> {
    const recordedAt = this.deps.clock.now().toISOString();
    const checked = ChangeMetadataSchema.parse(metadata);
    if (isNew) {
      await this.deps.catalogue.append(
        `${this.prefix}imports`,
        [{ id: this.deps.newEventId(), type: 'ImportStarted', data: { importId }, metadata: checked, recordedAt }],
        'any',
      );
    }
    await this.deps.catalogue.append(
      this.stream(importId),
      [
        {
          id: this.deps.newEventId(),
          type: 'ImportProgressed',
          data: ProgressSchema.parse(progress),
          metadata: checked,
          recordedAt,
        },
      ],
      'any',
    );
  }

  private stream(importId: string): string {
    return `${this.prefix}import-${importId}`;
  }
}
