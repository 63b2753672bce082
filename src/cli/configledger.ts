#!/usr/bin/env node
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { EventSource } from 'eventsource';
import { apiUrl, call, headersFor, ServiceProblemError, UnreachableError, type Connection } from './api-client';

/**
 * `configledger`: the service from a terminal or a script. Every command
 * talks to a running service over its API (URL and token from --url /
 * --token or CONFIGLEDGER_URL / CONFIGLEDGER_TOKEN), prints a table for a
 * person or `--json` for a program, and exits with a code a script can
 * rely on: 0 done; 1 the service refused or the answer was a failure (a log
 * that does not verify); 2 a usage error; 3 the service could not be reached.
 * `tokens`, `rebuild-views`, `import` and `types` are the commands of the
 * same names (see `--help` of each).
 */

interface Globals {
  readonly url: string;
  readonly token?: string;
  readonly json?: boolean;
}

const program = new Command()
  .name('configledger')
  .description('ConfigLedger from the command line: every change to every CI, as of any time.')
  .option('--url <url>', 'the service', process.env['CONFIGLEDGER_URL'] ?? 'http://127.0.0.1:8080')
  .option('--token <token>', 'an API token (default: $CONFIGLEDGER_TOKEN)', process.env['CONFIGLEDGER_TOKEN'])
  .option('--json', 'print the service answer as JSON (one document, or one per line for streams)')
  .showHelpAfterError()
  .exitOverride();

const globals = (): Globals => program.opts<Globals>();
const connection = (): Connection => ({ url: globals().url, token: globals().token });
const out = (line = '') => process.stdout.write(`${line}\n`);

/** Prints rows as aligned columns (a person's view), or the JSON (a program's). */
function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): void {
  const cell = (value: unknown) =>
    value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  out(
    columns
      .map((column, i) => column.toUpperCase().padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  for (const row of rows)
    out(
      columns
        .map((column, i) => cell(row[column]).padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

function print(body: unknown, human: () => void): void {
  if (globals().json) out(JSON.stringify(body, null, 2));
  else human();
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number, 1 or more');
  return n;
}

type CiBody = {
  id: string;
  type: string;
  name: string;
  status: string;
  revision: number;
  recordedAt: string;
  attributes: Record<string, unknown>;
  relationships: { type: string; target: string }[];
};

program
  .command('get')
  .description('a CI now, as of an instant, or at a revision')
  .argument('<id>')
  .option('--as-of <time>', 'an RFC 3339 date-time')
  .option('--revision <n>', 'a revision number', positiveInteger)
  .action(async (id: string, options: { asOf?: string; revision?: number }) => {
    const ci = await call<CiBody>(connection(), 'GET', `/cis/${encodeURIComponent(id)}`, {
      query: { asOf: options.asOf, revision: options.revision },
    });
    print(ci, () => {
      out(`${ci.id}  ${ci.type}  "${ci.name}"  ${ci.status}  revision ${ci.revision}  recorded ${ci.recordedAt}`);
      for (const [key, value] of Object.entries(ci.attributes)) out(`  ${key}: ${JSON.stringify(value)}`);
      for (const relationship of ci.relationships) out(`  → ${relationship.type} ${relationship.target}`);
    });
  });

program
  .command('list')
  .description('CIs now or as of an instant, in id order (every page)')
  .option('--as-of <time>', 'an RFC 3339 date-time')
  .option('--type <type>')
  .option('--status <status>')
  .option('--include-retired', 'retired CIs too')
  .option('--limit <n>', 'at most this many CIs', positiveInteger)
  .action(
    async (options: { asOf?: string; type?: string; status?: string; includeRetired?: boolean; limit?: number }) => {
      const items: CiBody[] = [];
      for (let cursor: string | undefined; ;) {
        const page = await call<{ items: CiBody[]; nextCursor: string | null }>(connection(), 'GET', '/cis', {
          query: {
            asOf: options.asOf,
            type: options.type,
            status: options.status,
            includeRetired: options.includeRetired ? true : undefined,
            limit: Math.min(1000, options.limit ?? 1000),
            cursor,
          },
        });
        items.push(...page.items);
        if (!page.nextCursor || (options.limit !== undefined && items.length >= options.limit)) break;
        cursor = page.nextCursor;
      }
      const shown = options.limit === undefined ? items : items.slice(0, options.limit);
      print({ items: shown }, () => table(shown, ['id', 'type', 'name', 'status', 'revision', 'recordedAt']));
    },
  );

program
  .command('history')
  .description('every change of a CI, oldest first: who, why, which ticket, what')
  .argument('<id>')
  .action(async (id: string) => {
    const items: Record<string, unknown>[] = [];
    for (let cursor: string | undefined; ;) {
      const page = await call<{ items: Record<string, unknown>[]; nextCursor: string | null }>(
        connection(),
        'GET',
        `/cis/${encodeURIComponent(id)}/history`,
        { query: { cursor } },
      );
      items.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    print({ items }, () =>
      table(
        items.map((item) => ({ ...item, change: summarise(item['patch'] as Patch) })),
        ['revision', 'recordedAt', 'eventType', 'actor', 'changeRef', 'source', 'change'],
      ),
    );
  });

type Patch = { op: string; path: string; value?: unknown; from?: string }[];

function summarise(patch: Patch): string {
  return patch.map((op) => `${op.op} ${op.path}${'value' in op ? `=${JSON.stringify(op.value)}` : ''}`).join('; ');
}

program
  .command('diff')
  .description('what changed in a CI between two points (revisions or RFC 3339 instants)')
  .argument('<id>')
  .requiredOption('--from <point>')
  .option('--to <point>', 'default: now')
  .action(async (id: string, options: { from: string; to?: string }) => {
    const diff = await call<{ patch: Patch }>(connection(), 'GET', `/cis/${encodeURIComponent(id)}/diff`, {
      query: { from: options.from, to: options.to },
    });
    print(diff, () => {
      if (diff.patch.length === 0) out('no difference');
      for (const op of diff.patch)
        out(`${op.op.padEnd(7)} ${op.path}${'value' in op ? `  ${JSON.stringify(op.value)}` : ''}`);
    });
  });

program
  .command('restore')
  .description('make a CI equal to an earlier state (a new event); --dry-run shows the patch only')
  .argument('<id>')
  .option('--revision <n>', 'the revision to restore', positiveInteger)
  .option('--as-of <time>', 'the instant to restore')
  .option('--dry-run', 'show what would change, write nothing')
  .option('--reason <text>')
  .option('--change-ref <ref>')
  .action(
    async (
      id: string,
      options: { revision?: number; asOf?: string; dryRun?: boolean; reason?: string; changeRef?: string },
    ) => {
      if ((options.revision === undefined) === (options.asOf === undefined)) {
        throw new InvalidArgumentError('give exactly one of --revision or --as-of');
      }
      const body = await call<{ patch?: Patch } & Partial<CiBody>>(
        connection(),
        'POST',
        `/cis/${encodeURIComponent(id)}/restore`,
        {
          body: {
            ...(options.revision !== undefined ? { revision: options.revision } : { asOf: options.asOf }),
            dryRun: Boolean(options.dryRun),
            ...(options.reason && { reason: options.reason }),
            ...(options.changeRef && { changeRef: options.changeRef }),
          },
        },
      );
      print(body, () => {
        if (options.dryRun)
          out(body.patch!.length === 0 ? 'nothing would change' : summarise(body.patch!).replaceAll('; ', '\n'));
        else out(`${body.id} restored: revision ${body.revision}`);
      });
    },
  );

program
  .command('changes')
  .description('the change feed, newest first; --follow prints changes as they are recorded')
  .option('--since <time>', 'an RFC 3339 date-time or a duration back such as 2h')
  .option('--ci <id>')
  .option('--type <type>')
  .option('--actor <actor>')
  .option('--change-ref <ref>')
  .option('--limit <n>', 'at most this many', positiveInteger, 100)
  .option('--follow', 'then keep printing new changes until interrupted')
  .action(
    async (options: {
      since?: string;
      ci?: string;
      type?: string;
      actor?: string;
      changeRef?: string;
      limit: number;
      follow?: boolean;
    }) => {
      const columns = ['position', 'recordedAt', 'ciId', 'eventType', 'actor', 'changeRef', 'change'];
      const row = (item: Record<string, unknown>) => ({ ...item, change: summarise(item['patch'] as Patch) });
      const feed = await call<{ items: Record<string, unknown>[] }>(connection(), 'GET', '/changes', {
        query: {
          since: options.since,
          ciId: options.ci,
          type: options.type,
          actor: options.actor,
          changeRef: options.changeRef,
          limit: Math.min(options.limit, 1000),
        },
      });
      if (!options.follow) {
        print(feed, () => table(feed.items.map(row), columns));
        return;
      }
      // Oldest first, then live: resume after the newest change shown.
      const items = [...feed.items].reverse();
      for (const item of items) out(globals().json ? JSON.stringify(item) : tableLine(row(item), columns));
      const after = items.at(-1)?.['position'] ?? undefined;
      await follow(after === undefined ? undefined : Number(after), options, (item) =>
        out(globals().json ? JSON.stringify(item) : tableLine(row(item), columns)),
      );
    },
  );

function tableLine(row: Record<string, unknown>, columns: readonly string[]): string {
  return columns
    .map((column) => (row[column] === null || row[column] === undefined ? '-' : String(row[column])))
    .join('  ');
}

/** Prints the live change stream (SSE) until interrupted; EventSource reconnects with Last-Event-ID by itself. */
function follow(
  after: number | undefined,
  options: { ci?: string; type?: string },
  onChange: (item: Record<string, unknown>) => void,
): Promise<void> {
  const c = connection();
  const url = apiUrl(c, '/changes/stream', { from: after, ciId: options.ci, type: options.type });
  return new Promise((_resolve, reject) => {
    const source = new EventSource(url, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headersFor(c) } }),
    });
    source.onmessage = (event) => onChange(JSON.parse(event.data) as Record<string, unknown>);
    source.onerror = (error) => {
      // A refusal (401, 403, 404) will not get better by reconnecting; a dropped connection will.
      if (error.code !== undefined && error.code >= 400 && error.code < 500) {
        source.close();
        reject(new ServiceProblemError(error.code, error.message ?? 'the change stream was refused'));
      }
    };
  });
}

program
  .command('export')
  .description('every CI as of an instant (default now) to NDJSON, one desired state per line: importable as it is')
  .option('--as-of <time>', 'an RFC 3339 date-time')
  .option('--type <type>')
  .option('--include-retired', 'retired CIs too')
  .option('--output <file>', 'write here instead of stdout')
  .action(async (options: { asOf?: string; type?: string; includeRetired?: boolean; output?: string }) => {
    const sink = options.output ? createWriteStream(options.output) : process.stdout;
    const bar =
      options.output && process.stderr.isTTY
        ? new SingleBar({ format: 'export |{bar}| {value} CIs', stream: process.stderr }, Presets.shades_classic)
        : undefined;
    bar?.start(0, 0);
    let count = 0;
    for (let cursor: string | undefined; ;) {
      const page = await call<{ items: CiBody[]; nextCursor: string | null }>(connection(), 'GET', '/cis', {
        query: {
          asOf: options.asOf,
          type: options.type,
          includeRetired: options.includeRetired ? true : undefined,
          limit: 1000,
          cursor,
        },
      });
      const text = page.items
        .map(({ id, type, name, status, attributes, relationships }) =>
          JSON.stringify({ id, type, name, status, attributes, relationships }),
        )
        .join('\n');
      if (text)
        await new Promise<void>((resolve) =>
          sink.write(`${text}\n`) ? resolve() : sink.once('drain', () => resolve()),
        );
      count += page.items.length;
      bar?.setTotal(count);
      bar?.update(count);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    bar?.stop();
    if (options.output) {
      await new Promise<void>((resolve) => (sink as ReturnType<typeof createWriteStream>).end(resolve));
      process.stderr.write(`exported ${count} CIs to ${options.output}\n`);
    }
  });

program
  .command('verify')
  .description('recompute the hash chain of the whole log (auditor); exits 1 if it does not verify')
  .action(async () => {
    const result = await call<{
      ok: boolean;
      events?: number;
      head?: { position: number; hash: string } | null;
      position?: number;
      reason?: string;
    }>(connection(), 'GET', '/verify');
    print(result, () =>
      out(
        result.ok
          ? `verified: ${result.events} events, head ${result.head ? `${result.head.position} ${result.head.hash}` : '(empty log)'}`
          : `DOES NOT VERIFY at position ${result.position}: ${result.reason}`,
      ),
    );
    if (!result.ok) process.exitCode = 1;
  });

// The commands that have programs of their own run them, with their own options.
for (const [name, description] of [
  ['tokens', 'create, list and revoke API tokens (on the tokens file)'],
  ['rebuild-views', 'drop every view and rebuild it from the log (on the stores the environment selects)'],
  ['import', 'import CIs from CSV or NDJSON (see configledger import --help)'],
  ['types', 'define CI types, e.g. the starter catalogue (configledger types load --starter)'],
] as const) {
  program.command(name, description, { executableFile: path.join(__dirname, `${name}.js`) });
}

// They read the service from the environment: what was given to configledger goes on to them.
program.hook('preSubcommand', () => {
  const { url, token } = globals();
  process.env['CONFIGLEDGER_URL'] = url;
  if (token) process.env['CONFIGLEDGER_TOKEN'] = token;
});

async function main(): Promise<void> {
  try {
    await program.parseAsync();
  } catch (error) {
    const code = (error as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // Help and version are not errors; a usage error has been printed by commander.
      process.exit(code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2);
    }
    if (error instanceof InvalidArgumentError) {
      process.stderr.write(`configledger: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`configledger: ${(error as Error).message}\n`);
    process.exit(error instanceof UnreachableError ? 3 : 1);
  }
}

void main();
