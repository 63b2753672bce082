import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { SingleBar, Presets } from 'cli-progress';
import { Command, Option } from 'commander';
import { parse } from 'csv-parse';
import split2 from 'split2';
import { CsvMappingSchema, planColumns, rowToDesired, type CsvMapping } from './csv-mapping';

/**
 * `npm run import -- <file.csv|file.ndjson> [--mapping map.json]`: imports
 * CIs into a running service through POST /api/v1/imports, streaming the
 * file (any size) with a progress bar and a summary. CSV columns are mapped
 * by the mapping file (see csv-mapping.ts); a CSV with columns that map to
 * nothing is refused before anything is sent. Re-running appends nothing;
 * an interrupted import resumes with --import-id.
 */
export interface ImportOptions {
  readonly file: string;
  readonly format: 'csv' | 'ndjson';
  readonly mapping?: CsvMapping | undefined;
  readonly url: string;
  readonly token?: string | undefined;
  readonly changeRef?: string | undefined;
  readonly importId?: string | undefined;
  readonly onError: 'skip' | 'refuse';
  /** Shows a progress bar on stderr (the CLI does; tests do not). */
  readonly progress: boolean;
  readonly write: (line: string) => void;
}

export interface ImportOutcome {
  readonly completed: boolean;
  readonly counts: Record<string, number>;
  readonly importId: string | undefined;
  /** Rows or lines that were not imported, each with why. */
  readonly problems: readonly string[];
}

class ImportCliError extends Error {}

/** The file's rows as NDJSON lines, each with the row (CSV) or line (NDJSON) of the file it came from. */
async function* linesOf(options: ImportOptions, problems: string[]): AsyncIterable<{ source: number; text: string }> {
  if (options.format === 'ndjson') {
    let line = 0;
    for await (const text of createReadStream(options.file).pipe(split2()) as AsyncIterable<string>) {
      line++;
      if (text.trim() !== '') yield { source: line, text };
    }
    return;
  }
  const mapping = options.mapping ?? CsvMappingSchema.parse({});
  let plan: ReturnType<typeof planColumns>['plan'] | undefined;
  let row = 1; // the header is row 1
  const parser = createReadStream(options.file).pipe(
    parse({ columns: (header: string[]) => header, bom: true, skip_empty_lines: true, trim: true }),
  );
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    row++;
    // Unknown columns were refused by checkHeader before anything was sent.
    plan ??= planColumns(Object.keys(record), mapping).plan;
    try {
      yield { source: row, text: JSON.stringify(rowToDesired(record, plan, mapping)) };
    } catch (error) {
      problems.push(`row ${row}: ${(error as Error).message}`);
    }
  }
}

/** Reads the CSV header alone, so a file with unknown columns is refused before anything is sent. */
async function checkHeader(options: ImportOptions): Promise<void> {
  if (options.format !== 'csv') return;
  const parser = createReadStream(options.file).pipe(parse({ to_line: 1, bom: true, trim: true }));
  for await (const header of parser as AsyncIterable<string[]>) {
    const { unknown } = planColumns(header, options.mapping ?? CsvMappingSchema.parse({}));
    if (unknown.length > 0) {
      throw new ImportCliError(
        `the CSV has columns that map to nothing: ${unknown.join(', ')}. Map them in the mapping file ` +
          '("columns": {"<column>": "attributes.<name>"}), list them in "ignore", or set "ignoreUnknownColumns": true. ' +
          'Nothing was sent.',
      );
    }
  }
}

async function countRows(options: ImportOptions): Promise<number> {
  let count = 0;
  for await (const text of createReadStream(options.file).pipe(split2()) as AsyncIterable<string>)
    if (text.trim()) count++;
  return options.format === 'csv' ? Math.max(0, count - 1) : count;
}

export async function importFile(options: ImportOptions): Promise<ImportOutcome> {
  await checkHeader(options);
  const problems: string[] = [];
  const sources: number[] = []; // sources[line - 1]: the file's row or line each sent line came from
  const lines = linesOf(options, problems);
  const body = Readable.from(
    (async function* () {
      for await (const { source, text } of lines) {
        sources.push(source);
        yield `${text}\n`;
      }
    })(),
  );
  const total = options.progress ? await countRows(options) : 0;
  const bar = options.progress
    ? new SingleBar(
        {
          format:
            'import |{bar}| {value}/{total} | {created} new, {changed} changed, {unchanged} unchanged | ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  const counts: Record<string, number> = { created: 0, changed: 0, unchanged: 0, invalid: 0, refused: 0 };
  bar?.start(total, 0, counts);

  const query = new URLSearchParams({
    onError: options.onError,
    ...(options.importId && { importId: options.importId }),
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-ndjson',
    'X-Change-Reason': `import of ${options.file}`,
  };
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  if (options.changeRef) headers['X-Change-Ref'] = options.changeRef;
  let res: Response;
  try {
    res = await fetch(`${options.url.replace(/\/+$/, '')}/api/v1/imports?${query}`, {
      method: 'POST',
      headers,
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    bar?.stop();
    if (error instanceof ImportCliError) throw error;
    const cause = (error as { cause?: Error }).cause;
    if (cause instanceof ImportCliError) throw cause;
    throw new ImportCliError(
      `cannot reach ${options.url} (${(cause ?? (error as Error)).message}); is the service running? set --url`,
    );
  }
  if (res.status !== 200) {
    bar?.stop();
    const problem = (await res.json().catch(() => ({}))) as {
      detail?: string;
      errors?: { field: string; message: string }[];
    };
    const listed = (problem.errors ?? []).slice(0, 20).map((e) => `  ${e.field}: ${e.message}`);
    throw new ImportCliError(
      [`the service refused the import (${res.status}): ${problem.detail ?? res.statusText}`, ...listed].join('\n'),
    );
  }
  const importId = res.headers.get('x-import-id') ?? undefined;
  let completed = false;
  let sent = 0;
  const where = (line: number) => `${options.format === 'csv' ? 'row' : 'line'} ${sources[line - 1] ?? line}`;
  for await (const text of Readable.fromWeb(res.body as never).pipe(split2()) as AsyncIterable<string>) {
    if (!text.trim()) continue;
    const message = JSON.parse(text) as {
      line?: number;
      id?: string;
      outcome?: string;
      errors?: { field: string; message: string }[];
      summary?: { counts: Record<string, number>; completed: boolean };
      error?: { detail: string };
    };
    if (message.summary) {
      completed = message.summary.completed;
      Object.assign(counts, message.summary.counts);
    } else if (message.error) {
      problems.push(`stopped: ${message.error.detail}`);
    } else if (message.outcome && message.line) {
      sent++;
      counts[message.outcome] = (counts[message.outcome] ?? 0) + 1;
      if (message.outcome === 'invalid' || message.outcome === 'refused') {
        const why = (message.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
        problems.push(`${where(message.line)}${message.id ? ` (${message.id})` : ''}: ${message.outcome}: ${why}`);
      }
      bar?.update(sent, counts);
    }
  }
  bar?.stop();
  const c = counts;
  options.write(
    `${completed ? 'imported' : 'interrupted'}: ${c['created']} created, ${c['changed']} changed, ${c['unchanged']} unchanged, ` +
      `${c['invalid']} invalid, ${c['refused']} refused (import ${importId})`,
  );
  for (const problem of problems.slice(0, 50)) options.write(`  ${problem}`);
  if (problems.length > 50) options.write(`  … and ${problems.length - 50} more`);
  if (!completed) options.write(`run it again with --import-id ${importId} to resume where it stopped`);
  return { completed, counts, importId, problems };
}

const program = new Command()
  .name('import')
  .description('Import CIs from CSV or NDJSON into a running ConfigLedger (idempotent, resumable).')
  .argument('<file>', 'a .csv or .ndjson/.jsonl file, one CI per row or line')
  .option('--mapping <file>', 'CSV only: a JSON column mapping {columns, defaults, ignore, ignoreUnknownColumns}')
  .addOption(new Option('--format <format>', 'csv or ndjson (default: from the file name)').choices(['csv', 'ndjson']))
  .option('--url <url>', 'the service', process.env['CONFIGLEDGER_URL'] ?? 'http://127.0.0.1:8080')
  .option('--token <token>', 'a writer token (default: $CONFIGLEDGER_TOKEN)', process.env['CONFIGLEDGER_TOKEN'])
  .option('--change-ref <ref>', 'the change reference to record on every change')
  .option('--import-id <id>', 'resume this import (printed by an interrupted run)')
  .addOption(
    new Option('--on-error <mode>', 'skip malformed rows, or refuse the whole file')
      .choices(['skip', 'refuse'])
      .default('skip'),
  )
  .action(
    async (
      file: string,
      opts: {
        mapping?: string;
        format?: 'csv' | 'ndjson';
        url: string;
        token?: string;
        changeRef?: string;
        importId?: string;
        onError: 'skip' | 'refuse';
      },
    ) => {
      const format = opts.format ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson');
      let mapping: CsvMapping | undefined;
      if (opts.mapping) {
        const parsed = CsvMappingSchema.safeParse(JSON.parse(readFileSync(opts.mapping, 'utf8')));
        if (!parsed.success) {
          program.error(
            `the mapping file ${opts.mapping} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        }
        mapping = parsed.data;
      }
      const outcome = await importFile({
        file,
        format,
        mapping,
        url: opts.url,
        token: opts.token,
        changeRef: opts.changeRef,
        importId: opts.importId,
        onError: opts.onError,
        progress: process.stderr.isTTY === true,
        write: (line) => process.stdout.write(`${line}\n`),
      });
      if (!outcome.completed) process.exitCode = 1;
    },
  );

if (require.main === module) {
  program.parseAsync().catch((error: unknown) => {
    process.stderr.write(`import: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
