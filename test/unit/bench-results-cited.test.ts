import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Every figure in the documentation names the results file it comes from
 * (`npm run bench` writes one per run to bench/results/). A file renamed,
 * never committed or cleaned away would leave figures nobody can check: each
 * file named must be there, and be a results file.
 */
const root = path.resolve(__dirname, '../..');
const resultsDir = path.join(root, 'bench', 'results');
const results = readdirSync(resultsDir).filter((name) => name.endsWith('.json'));

const documents = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name)),
];

const FULL_NAME = /\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-(?:quick|full)\.json/g;
// A run of the same day named after another, its date left out: `…23-05-56-609Z-quick.json`.
const SHORT_NAME = /…(\d{2}-\d{2}-\d{2}-\d{3}Z-(?:quick|full)\.json)/g;

function citations(): { document: string; cited: string; file: string | undefined }[] {
  return documents.flatMap((document) => {
    const text = readFileSync(path.join(root, document), 'utf8');
    const full = [...text.matchAll(FULL_NAME)].map(([cited]) => ({
      document,
      cited,
      file: results.includes(cited) ? cited : undefined,
    }));
    const short = [...text.matchAll(SHORT_NAME)].map(([cited, suffix]) => {
      const matching = results.filter((name) => name.endsWith(`T${suffix}`));
      return { document, cited, file: matching.length === 1 ? matching[0] : undefined };
    });
    return [...full, ...short];
  });
}

describe('results files the documentation cites', () => {
  const cited = citations();

  it('finds the citations (docs/performance.md cites many runs)', () => {
    expect(cited.filter((c) => c.document === path.join('docs', 'performance.md')).length).toBeGreaterThan(100);
  });

  it('names only files in bench/results (a shortened name, exactly one)', () => {
    expect(cited.filter((c) => c.file === undefined).map((c) => `${c.document}: ${c.cited}`)).toEqual([]);
  });

  it('names results files: a run with its mode, machine and figures', () => {
    const files = [...new Set(cited.map((c) => c.file).filter((file): file is string => file !== undefined))];
    const notResults = files.filter((file) => {
      const run = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8')) as Record<string, unknown>;
      const rows = run['rows'];
      return (
        !['quick', 'full'].includes(run['mode'] as string) ||
        typeof run['machine'] !== 'object' ||
        !Array.isArray(rows) ||
        rows.length === 0
      );
    });
    expect(notResults).toEqual([]);
  });
});
