import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import split2 from 'split2';
import { parseLine, type ParsedLine } from '../application/imports';
import { MAX_BODY_DEPTH, exceedsDepth } from './json-body';
import { problem } from './problem';

/** The media types an NDJSON body may be sent as. */
export const NDJSON_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/jsonlines',
];

/** The longest line taken: one CI's desired state is at most the 1 MiB a PUT body may be. */
export const MAX_LINE_BYTES = 1024 * 1024;

export class LineTooLongError extends Error {
  constructor(readonly line: number) {
    super(`line ${line} is longer than ${MAX_LINE_BYTES} bytes; one line holds one CI, at most 1 MiB`);
  }
}

/** The body's lines, numbered from 1, parsed as desired states; blank lines are skipped (and counted). */
export async function* parsedLines(body: Readable): AsyncIterable<ParsedLine> {
  const lines = body.pipe(split2({ maxLength: MAX_LINE_BYTES }));
  let number = 0;
  try {
    for await (const text of lines as AsyncIterable<string>) {
      number++;
      // The depth guard every JSON body gets, before any recursive code sees the line.
      const parsed = exceedsDepth(Buffer.from(text), MAX_BODY_DEPTH)
        ? {
            line: number,
            ok: false as const,
            errors: [{ field: '(line)', message: `nests deeper than ${MAX_BODY_DEPTH} levels` }],
          }
        : parseLine(number, text);
      if (parsed) yield parsed;
    }
  } catch (error) {
    if ((error as Error).message.includes('maximum buffer')) throw new LineTooLongError(number + 1);
    throw error;
  }
}

/**
 * For `onError=refuse`: the whole body is read to a temporary file and every
 * line checked before anything is written. Returns the invalid lines (none:
 * the file's lines are then read again by `lines`), and always cleans up.
 */
export async function spooled<T>(
  body: Readable,
  use: (checked: { invalid: ParsedLine[]; lines: () => AsyncIterable<ParsedLine> }) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cl-import-'));
  const file = path.join(dir, 'body.ndjson');
  try {
    await pipeline(body, createWriteStream(file, { mode: 0o600 }));
    const invalid: ParsedLine[] = [];
    for await (const parsed of parsedLines(createReadStream(file))) if (!parsed.ok) invalid.push(parsed);
    return await use({ invalid, lines: () => parsedLines(createReadStream(file)) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function unsupportedNdjson() {
  return problem(
    415,
    'unsupported-media-type',
    'Unsupported media type',
    `send the body as NDJSON (one JSON object per line) with Content-Type: ${NDJSON_TYPES[0]}`,
  );
}
