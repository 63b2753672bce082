import { Router, type Response } from 'express';
import { z } from 'zod';
import { IMPORT_ID_PATTERN } from '../../application/import-records';
import type { ImportLineResult, Imports, ParsedLine } from '../../application/imports';
import { LineTooLongError, NDJSON_TYPES, parsedLines, spooled, unsupportedNdjson } from '../ndjson';
import { HttpProblem, invalidRequest, problem, toProblem } from '../problem';
import { LimitTextSchema, parseWith } from '../request-parsing';
import { changeMetadata } from '../write-headers';

export const ImportQuerySchema = z.strictObject({
  importId: z
    .string()
    .regex(IMPORT_ID_PATTERN, 'must be 1-128 characters: letters, digits and . _ : -, starting with a letter or digit')
    .optional(),
  /** `skip` (default): a malformed line is reported and skipped. `refuse`: any malformed line refuses the whole body. */
  onError: z.enum(['skip', 'refuse'], { error: 'must be skip or refuse' }).default('skip'),
});

export const ImportListQuerySchema = z.strictObject({ limit: LimitTextSchema });

/** Result lines sent per write. */
const RESULTS_PER_WRITE = 500;

/** How many malformed lines a refusal lists. */
const MAX_LISTED = 100;

/**
 * POST /imports (writer): NDJSON in, one desired state per line; NDJSON out,
 * one result per line in line order, then `{"summary": …}`. The import id
 * (X-Import-Id, and in the summary) resumes an interrupted import.
 */
export function importRoutes(imports: Imports): Router {
  const router = Router();

  router.post('/imports', async (req, res) => {
    const query = parseWith(ImportQuerySchema, req.query);
    if (!req.is(NDJSON_TYPES)) throw unsupportedNdjson();
    const metadata = changeMetadata(req);
    if (query.onError === 'skip') {
      await runImport(res, imports, query.importId, metadata, parsedLines(req));
      return;
    }
    await spooled(req, async ({ invalid, lines }) => {
      if (invalid.length > 0) throw refusal(invalid);
      await runImport(res, imports, query.importId, metadata, lines());
    });
  });

  router.get('/imports', async (req, res) => {
    const query = parseWith(ImportListQuerySchema, req.query);
    res.json({ items: await imports.records.list(query.limit) });
  });

  router.get('/imports/:importId', async (req, res) => {
    const importId = parseWith(ImportQuerySchema.shape.importId, req.params.importId, 'importId');
    const record = importId && (await imports.records.get(importId));
    if (!record) throw problem(404, 'import-not-found', 'Import not found', `no import has the id "${importId}"`);
    res.json(record);
  });

  return router;
}

async function runImport(
  res: Response,
  imports: Imports,
  givenId: string | undefined,
  metadata: ReturnType<typeof changeMetadata>,
  lines: AsyncIterable<ParsedLine>,
): Promise<void> {
  const importId = givenId ?? crypto.randomUUID();
  res.status(200).type('application/x-ndjson').setHeader('X-Import-Id', importId);
  // Results are written in batches: one socket write per line would cost more than the import itself.
  let pending: string[] = [];
  const flush = () =>
    new Promise<void>((resolve) => {
      const text = pending.join('');
      pending = [];
      if (text === '' || res.write(text)) resolve();
      else res.once('drain', resolve); // the client reads slower than we write: wait for it
    });
  const write = async (value: object) => {
    pending.push(`${JSON.stringify(value)}\n`);
    if (pending.length >= RESULTS_PER_WRITE) await flush();
  };
  try {
    const summary = await imports.run({ importId, metadata }, lines, (result: ImportLineResult) => write(result));
    await write({ summary });
    await flush();
  } catch (error) {
    if (!res.headersSent && pending.length === 0) throw error instanceof LineTooLongError ? tooLong(error) : error;
    // The results so far are sent: the failure is the last line, with how to go on.
    const body = error instanceof LineTooLongError ? tooLong(error).problem : toProblem(error);
    const done = (error as { doneThroughLine?: number }).doneThroughLine;
    await write({
      error: {
        ...body,
        importId,
        doneThroughLine: done ?? null,
        detail: `${body.detail}; send the same body again with ?importId=${importId} to resume after line ${done ?? 0}`,
      },
    });
    await flush();
  }
  res.end();
}

function tooLong(error: LineTooLongError) {
  return invalidRequest([{ field: `line ${error.line}`, message: error.message }]);
}

function refusal(invalid: readonly ParsedLine[]): HttpProblem {
  const errors = invalid
    .slice(0, MAX_LISTED)
    .flatMap((parsed) =>
      parsed.ok
        ? []
        : parsed.errors.map((issue) => ({ field: `line ${parsed.line}: ${issue.field}`, message: issue.message })),
    );
  const more = invalid.length > MAX_LISTED ? ` (the first ${MAX_LISTED} listed)` : '';
  const detail =
    `${invalid.length} line(s) are malformed${more}; with onError=refuse nothing was written: ` +
    'fix them and send the file again';
  return new HttpProblem({
    ...problem(422, 'import-refused', 'Import refused: malformed lines', detail).problem,
    errors,
  });
}
