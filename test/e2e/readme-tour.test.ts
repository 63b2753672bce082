import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The README's five-minute tour, run verbatim with curl against the built
 * service (`node dist/src/main.js`, as `npm start` runs it) on a free port.
 */
const root = path.resolve(__dirname, '../..');
const hasCurl = spawnSync('curl', ['--version']).status === 0;
const built = existsSync(path.join(root, 'dist/src/main.js'));
const describeTour = hasCurl && built ? describe : describe.skip;
if (!hasCurl) console.warn('README tour skipped: curl is not installed');
if (!built) console.warn('README tour skipped: run `npm run build` first (npm test does it)');

function tourScript(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /<!-- tour:start -->\s*```sh\n([\s\S]*?)```\s*<!-- tour:end -->/.exec(readme);
  if (!block) throw new Error('README.md has no tour block between <!-- tour:start --> and <!-- tour:end -->');
  return block[1]!;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntilLive(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the service did not become ready within 10 s');
}

describeTour('README tour (end to end)', () => {
  let dataDir: string;
  let port: number;
  let child: ChildProcess;
  let serverOutput = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-tour-'));
    port = await freePort();
    child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    await waitUntilLive(port, child);
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs every command of the tour successfully, with the results it promises', () => {
    const script = tourScript().replaceAll('localhost:8080', `localhost:${port}`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0)
      throw new Error(`tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${serverOutput}`);
    const out = run.stdout;
    expect(out).toMatch(/HTTP\/1\.1 201 Created/);
    expect(out).toMatch(/ETag: "1"/);
    expect(out).toContain('"eventType":"CiChanged"');
    expect(out).toContain('"kernel":"6.1"');
    expect(out).toContain('"eventType":"CiRestored"');
    expect(out).toMatch(/^412$/m);
    expect(out).toContain('"status":"retired"');
    expect(out).toContain('"field":"attributes"');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(serverOutput).not.toMatch(/"level":(50|60)/);
  });
});

describeTour('README trust tour (end to end, authentication on)', () => {
  let dataDir: string;
  let port: number;
  let child: ChildProcess;
  let serverOutput = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-trust-tour-'));
    port = await freePort();
    child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: dataDir,
        AUTH_TOKENS_FILE: path.join(dataDir, 'tokens.json'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    await waitUntilLive(port, child);
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs every command of the trust tour, with the results it promises', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /<!-- trust-tour:start -->\s*```sh\n([\s\S]*?)```\s*<!-- trust-tour:end -->/.exec(readme);
    expect(block).not.toBeNull();
    const script = block![1]!.replaceAll('localhost:8080', `localhost:${port}`).replaceAll('data/', `${dataDir}/`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, encoding: 'utf8', timeout: 90_000 });
    if (run.status !== 0)
      throw new Error(`trust tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${serverOutput}`);
    const out = run.stdout;
    expect(out).toMatch(/^401$/m);
    expect(out).toContain('"actor":"deploy-bot","onBehalfOf":"dana@example.com"');
    expect(out).toMatch(/"password":\{"\$secret":"hmac-sha256:[0-9a-f]{64}"\}/);
    expect(out).toMatch(/^403$/m);
    expect(out).toMatch(/"ok":true,"events":1/);
    expect(out).toMatch(/^VALID .*evidence\.json: 1 CIs as of/m);
    expect(out).not.toContain('s3cret!');
  });
});
