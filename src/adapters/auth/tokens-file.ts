import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile, writeFileSync, existsSync, chmodSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ROLES, type Authenticator, type Principal } from '../../ports/authenticator';

/** The tokens file: `[{principal, roles, tokenSha256}]`. Only hashes are kept, never a token. */
export const TokensFileSchema = z.array(
  z.strictObject({
    principal: z.string().min(1).max(256),
    roles: z.array(z.enum(ROLES)).min(1),
    tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the token, 64 lower-case hex digits'),
  }),
);
export type TokenEntry = z.infer<typeof TokensFileSchema>[number];

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new token: a recognisable prefix and 256 random bits. */
export function newToken(): string {
  return `clt_${randomBytes(32).toString('base64url')}`;
}

export function readTokensFile(file: string): TokenEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`AUTH_TOKENS_FILE ${file} cannot be read as JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = TokensFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`AUTH_TOKENS_FILE ${file}: [${issue.path.join('.')}] ${issue.message}`);
  }
  return result.data;
}

/** Adds an entry, creating the file (readable by its owner only) when missing. */
export function addToken(file: string, entry: TokenEntry): void {
  const entries = existsSync(file) ? readTokensFile(file) : [];
  writeFileSync(file, `${JSON.stringify([...entries, entry], null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * Bearer tokens checked against the hashes of a tokens file, reloaded when
 * the file changes (polled every second) or on reload(). A file that stops
 * parsing is reported and the previous tokens stay in force.
 */
export class TokensFileAuthenticator implements Authenticator {
  private entries: Array<{ hash: Buffer; principal: Principal }> = [];

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {
    // A file not made yet holds no token: the service starts, and accepts tokens once `tokens create` writes it.
    if (existsSync(file)) this.load(readTokensFile(file));
    else
      logger.warn(
        { file },
        'AUTH_TOKENS_FILE does not exist yet: no token is accepted until `npm run tokens -- create` makes one',
      );
    watchFile(file, { interval: 1000, persistent: false }, () => this.reload());
  }

  reload(): void {
    try {
      this.load(readTokensFile(this.file));
      this.logger.info({ file: this.file, tokens: this.entries.length }, 'tokens file reloaded');
    } catch (error) {
      this.logger.error({ err: error }, 'tokens file not reloaded; the previous tokens stay in force');
    }
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    // Every entry is compared, in constant time each, so timing says nothing about which matched.
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.hash, presented) && !found) found = entry.principal;
    }
    return found;
  }

  close(): void {
    unwatchFile(this.file);
  }

  private load(entries: readonly TokenEntry[]): void {
    this.entries = entries.map((entry) => ({
      hash: Buffer.from(entry.tokenSha256, 'hex'),
      principal: { name: entry.principal, roles: entry.roles },
    }));
  }
}
