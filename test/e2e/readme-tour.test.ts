import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** The shell block between `<!-- NAME:start -->` and `<!-- NAME:end -->` in the README. */
function tourScript(name = 'tour'): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`).exec(
    readme,
  );
  if (!block) throw new Error(`README.md has no block between <!-- ${name}:start --> and <!-- ${name}:end -->`);
  return block[1]!;
}

/**
 * The built service for one describe block, as `npm start` runs it, on a free
 * port and a fresh data directory (plus `env`); stopped after the block.
 */
function tourService(env: (dataDir: string) => Record<string, string> = () => ({})) {
  const state = { dataDir: '', port: 0, output: '', child: undefined as ChildProcess | undefined };
  beforeAll(async () => {
    state.dataDir = mkdtempSync(path.join(tmpdir(), 'cl-tour-'));
    // Port 0: the service binds a free port itself and logs it. A port found free by the test and
    // handed over could be taken meanwhile by a server of another test running in parallel.
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: state.dataDir,
        LOG_LEVEL: 'info',
        ...env(state.dataDir),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    state.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
    state.port = await listeningPort(state, child);
    await waitUntilLive(state.port, child);
  });
  afterAll(async () => {
    const child = state.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(state.dataDir, { recursive: true, force: true });
  });
  return state;
}

/** The port the service logged it listens on. */
async function listeningPort(state: { output: string }, child: ChildProcess): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const logged = /"port":(\d+),"host":"127\.0\.0\.1","msg":"ConfigLedger listening/.exec(state.output);
    if (logged) return Number(logged[1]);
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${state.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the service did not say which port it listens on within 10 s:\n${state.output}`);
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
  const service = tourService();

  it('runs every command of the tour successfully, with the results it promises', () => {
    const script = tourScript().replaceAll('localhost:8080', `localhost:${service.port}`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0)
      throw new Error(`tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${service.output}`);
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
    const child = service.child!;
    // 'close': the output is read whole before it is checked for errors.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(service.output).not.toMatch(/"level":(50|60)/);
  });
});

describeTour('README graph tour (end to end)', () => {
  const service = tourService();

  it('answers impact before and after the retirement, as the README says', () => {
    const script = tourScript('graph-tour').replaceAll('localhost:8080', `localhost:${service.port}`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0)
      throw new Error(`graph tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${service.output}`);
    const [before, dependenciesThen, dependenciesNow, relationships, changes] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const ids = (body: { items: { ciId: string }[] }) => body.items.map((item) => item.ciId);
    expect(ids(before)).toEqual(['db-9', 'app-9', 'svc-9']);
    expect(before.items[2]).toEqual({
      ciId: 'svc-9',
      depth: 3,
      path: ['host-9', 'db-9', 'app-9', 'svc-9'],
      via: ['runs_on', 'uses', 'runs_on'],
    });
    expect(ids(dependenciesThen)).toEqual(['app-9', 'db-9', 'host-9']);
    expect(ids(dependenciesNow)).toEqual(['app-9', 'db-9']);
    expect(relationships.items).toEqual([
      { source: 'db-9', type: 'runs_on', target: 'host-9' },
      { source: 'app-9', type: 'uses', target: 'db-9' },
    ]);
    expect(changes.items.map((item: { ciId: string; eventType: string }) => `${item.ciId} ${item.eventType}`)).toEqual([
      'host-9 CiRetired',
      'svc-9 CiRegistered',
      'app-9 CiRegistered',
      'db-9 CiRegistered',
      'host-9 CiRegistered',
    ]);
  });
});

describeTour('README trust tour (end to end, authentication on)', () => {
  const service = tourService((dataDir) => ({ AUTH_TOKENS_FILE: path.join(dataDir, 'tokens.json') }));

  it('runs every command of the trust tour, with the results it promises', () => {
    const script = tourScript('trust-tour')
      .replaceAll('localhost:8080', `localhost:${service.port}`)
      .replaceAll('data/', `${service.dataDir}/`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, encoding: 'utf8', timeout: 90_000 });
    if (run.status !== 0)
      throw new Error(`trust tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${service.output}`);
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

describeTour('README configuration-control tour (end to end)', () => {
  const service = tourService();

  it('loads the starter catalogue, refuses a bad server, diffs a baseline and reverts a release', () => {
    const script = tourScript('control-tour').replaceAll('localhost:8080', `localhost:${service.port}`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, encoding: 'utf8', timeout: 90_000 });
    if (run.status !== 0)
      throw new Error(`control tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${service.output}`);
    const lines = run.stdout.split('\n').filter((line) => line.trim() !== ''); // -o /dev/null leaves a bare newline
    expect(lines.slice(0, 7)).toEqual([
      'contract: defined (revision 1)',
      'licence: defined (revision 1)',
      'network-device: defined (revision 1)',
      'server: defined (revision 1)',
      'virtual-machine: defined (revision 1)',
      'database: defined (revision 1)',
      'application: defined (revision 1)',
    ]);
    const [refused, baseline, diff, dry, real, after] = lines.slice(7).map((line) => JSON.parse(line));
    expect(refused.status).toBe(422);
    expect(refused.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'attributes.owner',
      'attributes.serialNumber',
      'attributes.warrantyEnd',
    ]);
    expect(baseline).toMatchObject({ name: 'before-release-7', members: 2, actor: 'carol' });
    expect(diff.items.map((i: { ciId: string; change: string }) => `${i.ciId} ${i.change}`)).toEqual([
      'app-1 changed',
      'srv-1 changed',
    ]);
    expect(dry.items.map((i: { ciId: string; outcome: string }) => `${i.ciId} ${i.outcome}`)).toEqual([
      'app-1 revert',
      'srv-1 revert',
    ]);
    expect(real).toMatchObject({ revertChangeRef: 'revert:CHG-7', counts: { reverted: 2 } });
    expect(after.items).toEqual([
      { ciId: 'app-1', change: 'changed', patch: [{ op: 'replace', path: '/attributes/owner', value: 'web-oncall' }] },
    ]);
  });
});

describeTour('README estate tour (end to end)', () => {
  const service = tourService();

  it('imports a CSV of 1,000 servers, reconciles a snapshot, applies it and lists the renewals', () => {
    const script = tourScript('estate-tour').replaceAll('localhost:8080', `localhost:${service.port}`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (run.status !== 0)
      throw new Error(`estate tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${service.output}`);
    const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
    expect(lines[0]).toMatch(/^imported: 1000 created, 0 changed, 0 unchanged, 0 invalid, 0 refused/);
    expect(lines[1]).toMatch(/^imported: 0 created, 0 changed, 1000 unchanged/);
    expect(JSON.parse(lines[2]!)).toEqual({
      observed: 999,
      matching: 900,
      drift: 99, // srv-10 … srv-990
      new: 0,
      missing: 1,
      invalid: 0,
      applied: 0,
      refused: 0,
    });
    const findings = JSON.parse(lines[3]!);
    expect(findings.items[0]).toEqual({
      kind: 'drift',
      ciId: 'srv-10',
      patch: [{ op: 'replace', path: '/attributes/cores', value: 32 }],
    });
    expect(JSON.parse(lines[4]!)).toMatchObject({ drift: 99, applied: 99, missing: 1 });
    expect(lines[5]).toBe('date,ends,ciId,type,name,status,attribute');
    expect(lines[6]).toMatch(/^\d{4}-\d{2}-\d{2},warranty,srv-1,server,web-1,live,warrantyEnd$/);
  });
});

describeTour('README command-line tour (end to end, the built binary)', () => {
  const service = tourService();

  it('runs every CLI command of the tour, with tables, JSON and exit codes as the README says', () => {
    const script = tourScript('cli-tour').replaceAll('localhost:8080', `localhost:${service.port}`);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, encoding: 'utf8', timeout: 90_000 });
    if (run.status !== 0)
      throw new Error(`CLI tour failed (${run.status}):\n${run.stdout}\n${run.stderr}\n${service.output}`);
    const out = run.stdout;
    expect(out).toMatch(/^imported: 2 created, 0 changed, 0 unchanged, 0 invalid, 0 refused/m);
    expect(out).toMatch(/^ID\s+TYPE\s+NAME\s+STATUS\s+REVISION\s+RECORDEDAT$/m);
    expect(out).toMatch(/^app-7\s+application\s+shop\s+live\s+1\s/m);
    expect(out).toMatch(/^2\s+\S+\s+CiChanged\s+dba\s+CHG-71\s+api\s+replace \/attributes\/engine="postgres 16"$/m);
    expect(out).toMatch(/^replace \/attributes\/engine {2}"postgres 16"$/m);
    expect(out).toMatch(/^replace \/attributes\/engine="postgres 15"$/m);
    expect(out).toContain('"engine": "postgres 15"');
    expect(out).toMatch(/^\s*2$/m); // the export's lines
    expect(out).toMatch(/^verified: 3 events, head 3 [0-9a-f]{64}$/m);
    expect(out).toMatch(/^exit code 1$/m);
    expect(run.stderr).toContain('configledger: 404: CI "nothing-here" does not exist');
  });
});
