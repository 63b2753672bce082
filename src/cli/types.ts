import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { STARTER_TYPES } from '../catalogue/starter-types';

/**
 * `npm run types -- load --starter` (or `--file types.json`): defines CI
 * types in a running service, over its HTTP API (so its authentication
 * applies: an admin token in CONFIGLEDGER_TOKEN or --token). A type whose
 * definition is unchanged is left as it is; the command can be re-run.
 */
export interface LoadOptions {
  readonly url: string;
  readonly token?: string | undefined;
  readonly changeRef?: string | undefined;
  readonly write?: (line: string) => void;
}

/** PUTs each type; resolves to the number that failed (each failure is reported with the service's problem). */
export async function loadTypes(types: Readonly<Record<string, unknown>>, options: LoadOptions): Promise<number> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  let failed = 0;
  for (const [type, definition] of Object.entries(types)) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Change-Reason': 'types loaded' };
    if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
    if (options.changeRef) headers['X-Change-Ref'] = options.changeRef;
    const url = `${options.url.replace(/\/+$/, '')}/api/v1/types/${encodeURIComponent(type)}`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify(definition) });
    } catch (error) {
      throw new Error(`cannot reach ${options.url} (${(error as Error).message}); is the service running? set --url`);
    }
    const body = (await res.json().catch(() => ({}))) as { revision?: number; detail?: string };
    if (res.status === 201) write(`${type}: defined (revision ${body.revision})`);
    else if (res.status === 200) write(`${type}: unchanged or updated (revision ${body.revision})`);
    else {
      failed++;
      write(`${type}: refused, ${res.status}: ${body.detail ?? res.statusText}`);
    }
  }
  return failed;
}

const program = new Command().name('types').description('Define CI types in a running ConfigLedger.');

program
  .command('load')
  .description('define the starter catalogue (--starter) or the types of a JSON file {"<type>": {schema, ...}}')
  .option(
    '--starter',
    'the starter catalogue: server, virtual-machine, application, database, network-device, licence, contract',
  )
  .option('--file <path>', 'a JSON file of type definitions')
  .option('--url <url>', 'the service', process.env['CONFIGLEDGER_URL'] ?? 'http://127.0.0.1:8080')
  .option('--token <token>', 'an admin token (default: $CONFIGLEDGER_TOKEN)', process.env['CONFIGLEDGER_TOKEN'])
  .option('--change-ref <ref>', 'the change reference to record')
  .action(async (options: { starter?: boolean; file?: string; url: string; token?: string; changeRef?: string }) => {
    if (Boolean(options.starter) === Boolean(options.file))
      program.error('give exactly one of --starter or --file <path>');
    const types = options.starter
      ? STARTER_TYPES
      : (JSON.parse(readFileSync(options.file!, 'utf8')) as Record<string, unknown>);
    const failed = await loadTypes(types, options);
    if (failed > 0) program.error(`${failed} type(s) refused; see above`);
  });

if (require.main === module) {
  program.parseAsync().catch((error: unknown) => {
    process.stderr.write(`types: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
