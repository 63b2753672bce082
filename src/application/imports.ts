import { randomUUID } from 'node:crypto';
import {
  DesiredCiLineSchema,
  compiledSchema,
  fieldIssues,
  type ChangeMetadata,
  type DesiredCiLine,
  type FieldIssue,
} from '../domain';
import type { CiCommandHandler } from './ci-command-handler';
import { ImportRecords, type ImportCounts } from './import-records';
import { refusalIssues } from './refusals';

export type ImportOutcome = 'created' | 'changed' | 'unchanged' | 'invalid' | 'refused';

export interface ImportLineResult {
  readonly line: number;
  readonly id?: string;
  readonly outcome: ImportOutcome;
  readonly revision?: number;
  readonly errors?: readonly FieldIssue[];
}

export interface ImportSummary {
  readonly importId: string;
  /** Lines read, resumed ones included. */
  readonly lines: number;
  /** The last line an earlier run of this import had done: the lines up to it were skipped. */
  readonly resumedAfterLine: number;
  readonly counts: ImportCounts;
  readonly completed: boolean;
}

/** One line of the body, as parsed (or why it could not be). */
export type ParsedLine =
  | { readonly line: number; readonly ok: true; readonly desired: DesiredCiLine }
  | { readonly line: number; readonly ok: false; readonly errors: readonly FieldIssue[] };

/** Every line of an import is checked against it. */
const CompiledLineSchema = compiledSchema(DesiredCiLineSchema);

/** A line's text as a desired state: JSON, then the shape of PUT /cis/{id} with the id. */
export function parseLine(line: number, text: string): ParsedLine | undefined {
  if (text.trim() === '') return undefined; // blank lines (a trailing newline) are not lines of data
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { line, ok: false, errors: [{ field: '(line)', message: `is not JSON: ${(error as Error).message}` }] };
  }
  const parsed = CompiledLineSchema.safeParse(json);
  if (!parsed.success) return { line, ok: false, errors: fieldIssues(parsed.error) };
  return { line, ok: true, desired: parsed.data };
}

/** Lines in flight at once: enough for the log's group commit to fill its batches. */
const IN_FLIGHT = 128;
/** Progress is recorded every so many lines (and at the end). */
const PROGRESS_EVERY = 2000;

/**
 * Bulk import: each line declares one CI's desired state (PUT semantics, so
 * re-sending a file appends nothing), source `import`. Lines run
 * concurrently (a CI's own lines in order) and results come back in line
 * order. Progress is recorded in the catalogue, so an interrupted import,
 * sent again with its id, skips the lines it had done.
 */
export class Imports {
  constructor(private readonly deps: { readonly commands: CiCommandHandler; readonly records: ImportRecords }) {}

  get records(): ImportRecords {
    return this.deps.records;
  }

  async run(
    request: { importId?: string | undefined; metadata: ChangeMetadata },
    lines: AsyncIterable<ParsedLine>,
    onResult: (result: ImportLineResult) => void | Promise<void>,
  ): Promise<ImportSummary> {
    const importId = request.importId ?? randomUUID();
    const earlier = request.importId ? await this.deps.records.get(importId) : undefined;
    // An unfinished import resumes after its last progress; a finished one sent again runs again (and appends nothing).
    const resumedAfterLine = earlier && !earlier.completed ? earlier.line : 0;
    const counts: ImportCounts = earlier && !earlier.completed ? { ...earlier.counts } : empty();
    const metadata = { ...request.metadata, source: 'import' };
    let isNew = !earlier;
    let done = resumedAfterLine;
    let recorded = done;
    let lastLine = 0;
    const record = async (completed: boolean) => {
      await this.deps.records.record(importId, { line: done, counts, completed }, metadata, isNew);
      isNew = false;
      recorded = done;
    };
    // Settled results (never rejected promises): a line failing while earlier ones are awaited is no unhandled rejection.
    const window: { line: number; result: Promise<{ done: ImportLineResult } | { failed: unknown }> }[] = [];
    const settleOldest = async () => {
      const { line, result } = window.shift()!;
      const settled = await result;
      if ('failed' in settled) throw settled.failed;
      const outcome = settled.done;
      counts[outcome.outcome] += 1;
      done = line;
      await onResult(outcome);
      if (done - recorded >= PROGRESS_EVERY) await record(false);
    };
    try {
      for await (const parsed of lines) {
        lastLine = parsed.line;
        if (parsed.line <= resumedAfterLine) continue;
        window.push({
          line: parsed.line,
          result: this.apply(parsed, metadata).then(
            (done) => ({ done }),
            (failed: unknown) => ({ failed }),
          ),
        });
        if (window.length >= IN_FLIGHT) await settleOldest();
      }
      while (window.length > 0) await settleOldest();
    } catch (error) {
      // What is done stays done: the progress says so, and a re-run resumes after it.
      await Promise.all(window.map((w) => w.result));
      await record(false).catch(() => undefined);
      throw Object.assign(error as Error, { importId, doneThroughLine: done });
    }
    done = Math.max(done, lastLine);
    await record(true);
    return { importId, lines: lastLine, resumedAfterLine, counts, completed: true };
  }

  private async apply(parsed: ParsedLine, metadata: ChangeMetadata): Promise<ImportLineResult> {
    if (!parsed.ok) return { line: parsed.line, outcome: 'invalid', errors: parsed.errors };
    const { id, ...desired } = parsed.desired;
    try {
      const outcome = await this.deps.commands.execute({ type: 'DeclareCi', ciId: id, desired }, { metadata });
      return {
        line: parsed.line,
        id,
        outcome: outcome.created ? 'created' : outcome.appended ? 'changed' : 'unchanged',
        revision: outcome.ci.revision,
      };
    } catch (error) {
      const refused = refusalIssues(error);
      if (!refused) throw error;
      return { line: parsed.line, id, outcome: 'refused', errors: refused };
    }
  }
}

function empty(): ImportCounts {
  return { created: 0, changed: 0, unchanged: 0, invalid: 0, refused: 0 };
}
