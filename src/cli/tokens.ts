import { existsSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ROLES, type Role } from '../ports/authenticator';
import { addToken, newToken, readTokensFile, sha256Hex } from '../adapters/auth/tokens-file';

/**
 * `npm run tokens -- create|list|revoke`: manages the tokens file the service
 * reads (AUTH_TOKENS_FILE, or --file). A new token is printed once, on
 * stdout, and only its SHA-256 is stored; the running service picks the
 * change up within a second (or on SIGHUP).
 */
const fileOption = ['--file <path>', 'the tokens file (default: $AUTH_TOKENS_FILE)'] as const;

function tokensFile(options: { file?: string }): string {
  const file = options.file ?? process.env['AUTH_TOKENS_FILE'];
  if (!file) throw new InvalidArgumentError('give --file or set AUTH_TOKENS_FILE');
  return file;
}

function roles(value: string): Role[] {
  const given = value.split(',').map((role) => role.trim());
  const unknown = given.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown.length > 0 || given.length === 0) {
    throw new InvalidArgumentError(`roles are ${ROLES.join(', ')} (comma-separated); not ${unknown.join(', ')}`);
  }
  return given as Role[];
}

const program = new Command()
  .name('tokens')
  .description('Create, list and revoke API tokens (hashes only are stored).');

program
  .command('create')
  .description('create a token for a principal and print it once')
  .requiredOption('--principal <name>', 'who the token is for; recorded as the actor of their changes')
  .requiredOption('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`, roles)
  .option(...fileOption)
  .action((options: { principal: string; roles: Role[]; file?: string }) => {
    const file = tokensFile(options);
    const token = newToken();
    addToken(file, { principal: options.principal, roles: options.roles, tokenSha256: sha256Hex(token) });
    process.stdout.write(`${token}\n`);
    process.stderr.write(
      `token created for ${options.principal} (${options.roles.join(', ')}) in ${file}; ` +
        'it is shown only now: keep it, the file holds only its hash\n',
    );
  });

program
  .command('list')
  .description('list principals, roles and the start of each token hash')
  .option(...fileOption)
  .action((options: { file?: string }) => {
    const file = tokensFile(options);
    for (const entry of existsSync(file) ? readTokensFile(file) : []) {
      process.stdout.write(`${entry.principal}\t${entry.roles.join(',')}\tsha256:${entry.tokenSha256.slice(0, 12)}…\n`);
    }
  });

program
  .command('revoke')
  .description('revoke every token of a principal (or one, by the start of its hash)')
  .requiredOption('--principal <name>', 'whose tokens')
  .option('--hash <prefix>', 'only the token whose SHA-256 starts so')
  .option(...fileOption)
  .action((options: { principal: string; hash?: string; file?: string }) => {
    const file = tokensFile(options);
    const entries = readTokensFile(file);
    const kept = entries.filter(
      (entry) =>
        entry.principal !== options.principal ||
        (options.hash !== undefined && !entry.tokenSha256.startsWith(options.hash)),
    );
    if (kept.length === entries.length) throw new InvalidArgumentError(`no token of ${options.principal} matches`);
    writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
    process.stderr.write(`revoked ${entries.length - kept.length} token(s) of ${options.principal}\n`);
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`tokens: ${(error as Error).message}\n`);
  process.exit(2);
});
