import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TokensFileAuthenticator } from '../../src/adapters/auth/tokens-file';
import { silentLogger } from '../support/test-service';

/** `npm run tokens -- …` as an operator runs it: the built CLI. */
const cli = path.resolve(__dirname, '../../dist/src/cli/tokens.js');
const describeCli = existsSync(cli) ? describe : describe.skip;

describeCli('tokens CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-tokens-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

  it('creates a token, prints it once and stores only its hash; list and revoke manage the file', async () => {
    const file = path.join(dir, 'tokens.json');
    const created = run(['create', '--principal', 'alice', '--roles', 'writer,auditor'], { AUTH_TOKENS_FILE: file });
    expect(created.status).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^clt_[\w-]{43}$/);
    expect(created.stderr).toMatch(/shown only now/);
    expect(readFileSync(file, 'utf8')).not.toContain(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const authenticator = new TokensFileAuthenticator(file, silentLogger);
    expect(await authenticator.authenticate(token)).toEqual({ name: 'alice', roles: ['writer', 'auditor'] });
    authenticator.close();

    expect(run(['list', '--file', file]).stdout).toMatch(/^alice\twriter,auditor\tsha256:[0-9a-f]{12}…$/m);
    expect(run(['revoke', '--principal', 'alice', '--file', file]).status).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('refuses unknown roles and a missing file setting with a message and exit code 2', () => {
    const badRole = run(['create', '--principal', 'bob', '--roles', 'root', '--file', path.join(dir, 't.json')]);
    expect(badRole.status).not.toBe(0);
    expect(badRole.stderr).toMatch(/roles are reader, writer, auditor, admin/);
    const noFile = run(['create', '--principal', 'bob', '--roles', 'reader'], { AUTH_TOKENS_FILE: '' });
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toMatch(/give --file or set AUTH_TOKENS_FILE/);
  });
});
