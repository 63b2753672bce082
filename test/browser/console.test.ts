import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { CHROMIUM } from './chromium-global-setup';

/**
 * The console, clicked through in Debian's Chromium against the real service
 * (authentication on): sign in, the inventory as of an instant, a CI's
 * timeline, a diff of two revisions, a restore previewed then applied, the
 * live change feed, what a reader does not see, and the API reference.
 * Screenshots go to test-output/console (the README's come from there).
 */
const SHOTS = path.resolve(__dirname, '../../test-output/console');
const TOKENS_CLI = path.resolve(__dirname, '../../dist/src/cli/tokens.js');

jest.setTimeout(60_000);

describe('the web console', () => {
  let dataDir: string;
  let service: ServiceProcess;
  let browser: Browser;
  let page: Page;
  const tokens: Record<'admin' | 'writer' | 'reader', string> = { admin: '', writer: '', reader: '' };
  const problems: string[] = [];
  let beforeChanges = '';

  const api = async (method: string, url: string, body?: unknown, token = tokens.admin) => {
    const response = await fetch(`${service.base}/api/v1${url}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body !== undefined && {
          'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
        }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const shot = (name: string, fullPage = true) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });

  async function signIn(token: string): Promise<void> {
    await page.goto(`${service.base}/`);
    await page.fill('input[name=token]', token);
    await page.click('button:has-text("Sign in")');
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-console-'));
    const tokensFile = path.join(dataDir, 'tokens.json');
    for (const [principal, roles] of [
      ['ada', 'admin'],
      ['wendy', 'writer'],
      ['rita', 'reader'],
    ] as const) {
      const made = spawnSync(process.execPath, [TOKENS_CLI, 'create', '--principal', principal, '--roles', roles], {
        env: { ...process.env, AUTH_TOKENS_FILE: tokensFile },
        encoding: 'utf8',
      });
      if (made.status !== 0) throw new Error(made.stderr);
      tokens[roles] = made.stdout.trim();
    }
    service = await startServiceProcess({ DATA_DIR: dataDir, AUTH_TOKENS_FILE: tokensFile });

    // An estate with a past: web-01 planned, then (after `beforeChanges`) made live and upgraded.
    const server = { type: 'server', name: 'web-01', status: 'planned', attributes: { cpu: 4, os: 'debian 11' } };
    await api('PUT', '/cis/web-01', server);
    await api('PUT', '/cis/db-01', {
      type: 'database',
      name: 'orders db',
      status: 'live',
      relationships: [{ type: 'runs_on', target: 'web-01' }],
    });
    await api('PUT', '/cis/shop', {
      type: 'application',
      name: 'shop',
      status: 'live',
      relationships: [{ type: 'depends_on', target: 'db-01' }],
    });
    await pause(1100);
    beforeChanges = new Date().toISOString();
    await pause(1100);
    const change = async (patch: object, reason: string, ticket: string) => {
      const response = await fetch(`${service.base}/api/v1/cis/web-01`, {
        method: 'PATCH',
        headers: {
          Authorization: `Bearer ${tokens.writer}`,
          'Content-Type': 'application/merge-patch+json',
          'X-Change-Reason': reason,
          'X-Change-Ref': ticket,
        },
        body: JSON.stringify(patch),
      });
      if (!response.ok) throw new Error(await response.text());
    };
    await change({ status: 'live', attributes: { cpu: 8 } }, 'capacity for the sale', 'CHG-1001');
    await change({ attributes: { os: 'debian 12' } }, 'OS upgrade', 'CHG-1002');

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      env: { ...process.env, TZ: 'UTC' },
    });
    page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
      acceptDownloads: true,
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A 401 before signing in is the console asking who we are; anything else is a fault (a CSP refusal, say).
      if (message.type() === 'error' && !/status of 401/.test(message.text()))
        problems.push(`${message.text()} (${message.location().url})`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  it('asks for a token, refuses a wrong one, and signs in with a good one', async () => {
    await signIn('clt_not-a-real-token');
    await page.waitForSelector('[role=alert]:has-text("The token was refused")');
    await shot('sign-in');
    await signIn(tokens.writer);
    await page.waitForSelector('#who:has-text("wendy (writer)")');
  });

  it('shows the inventory now, and as it stood at an instant picked with the as-of picker', async () => {
    await page.waitForSelector('table >> text=web-01');
    expect(await page.textContent('table')).toMatch(/web-01[\s\S]*live/);
    await shot('inventory');

    await page.fill('input[name=asOf]', beforeChanges.slice(0, 19)); // the page's time zone is UTC
    await page.click('button:has-text("Show")');
    await page.waitForSelector('.caption:has-text("As it stood at")');
    const row = await page.textContent('tr:has(a:text-is("web-01"))');
    expect(row).toContain('planned');
    expect(page.url()).toContain('asOf=');
    await shot('inventory-as-of');
  });

  it('opens a CI as of then, and now, with its timeline of who changed what, why and under which ticket', async () => {
    await page.click('a:text-is("web-01")');
    await page.waitForSelector('.banner:has-text("As it stood at")');
    expect(await page.textContent('#state')).toContain('planned');
    await page.click('a:has-text("Show it now")');
    await page.waitForSelector('#timeline tbody tr >> nth=2');
    expect(await page.textContent('#state')).toContain('live');
    const timeline = await page.textContent('#timeline');
    expect(timeline).toContain('CHG-1001');
    expect(timeline).toContain('capacity for the sale');
    expect(timeline).toContain('wendy');
    expect(await page.locator('#timeline tbody tr').count()).toBe(3);
  });

  it('shows a readable diff between two revisions', async () => {
    await page.selectOption('select[name=from]', '1');
    await page.selectOption('select[name=to]', '3');
    await page.click('button:has-text("Show the difference")');
    await page.waitForSelector('.diff .jsondiffpatch-modified');
    const diff = await page.textContent('.diff');
    expect(diff).toContain('planned');
    expect(diff).toContain('debian 12');
    await page.locator('#compare').scrollIntoViewIfNeeded();
    await shot('ci-diff');
  });

  it('previews a restore as a dry run (nothing written), then restores', async () => {
    await page.selectOption('#restore select[name=revision]', '1');
    await page.fill('#restore input[name=reason]', 'roll back the upgrade');
    await page.fill('#restore input[name=changeRef]', 'CHG-1003');
    await page.click('button:has-text("Preview (dry run)")');
    await page.waitForSelector('.restore-result:has-text("Dry run: the restore would apply")');
    expect(await api('GET', '/cis/web-01')).toMatchObject({ revision: 3, status: 'live' });
    await page.locator('#restore').scrollIntoViewIfNeeded();
    await shot('restore-preview');

    await page.click('#restore button:text-is("Restore")');
    await page.waitForSelector('[role=status]:has-text("Restored: the CI is now at revision 4")');
    expect(await page.textContent('#state')).toContain('planned');
    expect(await page.locator('#timeline tbody tr').count()).toBe(4);
    expect(await api('GET', '/cis/web-01')).toMatchObject({ revision: 4, status: 'planned' });
    const history = (await api('GET', '/cis/web-01/history')) as { items: Record<string, unknown>[] };
    expect(history.items.at(-1)).toMatchObject({ source: 'restore', changeRef: 'CHG-1003', actor: 'wendy' });
  });

  it('draws the impact graph and lists what changed around the CI', async () => {
    // Still on web-01's page, as the restore left it: the change it made is already in the feed.
    await page.waitForSelector('svg.graph text:text-is("shop")');
    expect(await page.textContent('svg.graph')).toContain('db-01');
    await page.waitForSelector('#around tbody tr');
    expect(await page.textContent('#around')).toContain('CHG-1003');
    await page.locator('#graph').scrollIntoViewIfNeeded();
    await shot('ci-impact');
  });

  it('follows the live change feed', async () => {
    await page.click('nav a:text-is("Changes")');
    await page.waitForSelector('.live:has-text("live")');
    await api('PATCH', '/cis/db-01', { attributes: { engine: 'postgres 16' } });
    await page.waitForSelector('tr.fresh:has-text("db-01")');
    await shot('changes-live');
  });

  it('lists baselines and shows what changed since one', async () => {
    await api('POST', '/baselines', { name: 'before-the-sale', reason: 'freeze for the sale' });
    await api('PATCH', '/cis/shop', { attributes: { replicas: 6 } });
    await page.click('nav a:text-is("Baselines")');
    await page.click('a:text-is("before-the-sale")');
    await page.waitForSelector('.caption:has-text("1 changed")');
    expect(await page.textContent('table')).toMatch(/shop[\s\S]*changed[\s\S]*\/attributes\/replicas/);
    await shot('baseline-diff');
  });

  it('lists reconciliation reports and shows the findings of one', async () => {
    const snapshot = [
      { id: 'web-01', type: 'server', name: 'web-01', status: 'planned', attributes: { cpu: 16, os: 'debian 11' } },
      { id: 'lb-01', type: 'network-device', name: 'lb-01', status: 'live' },
    ];
    const response = await fetch(`${service.base}/api/v1/reconciliations?source=scanner`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.admin}`, 'Content-Type': 'application/x-ndjson' },
      body: snapshot.map((line) => JSON.stringify(line)).join('\n'),
    });
    expect(response.status).toBe(201);
    await page.click('nav a:text-is("Reconciliations")');
    await page.waitForSelector('td:has-text("scanner")');
    await page.click('td a');
    await page.waitForSelector('h1:has-text("Reconciliation with scanner")');
    const findings = await page.textContent('table');
    expect(findings).toMatch(/drift[\s\S]*web-01[\s\S]*\/attributes\/cpu = 16/);
    expect(findings).toMatch(/new[\s\S]*lb-01/);
    expect(findings).toMatch(/missing[\s\S]*db-01/);
    await shot('reconciliation');
  });

  it('hides restore from a reader (and the API refuses it anyway)', async () => {
    await page.click('#who button:has-text("Sign out")');
    await signIn(tokens.reader);
    await page.waitForSelector('#who:has-text("rita (reader)")');
    await page.goto(`${service.base}/#/ci/web-01`);
    await page.waitForSelector('#timeline');
    expect(await page.locator('#restore').count()).toBe(0);
    const refused = await fetch(`${service.base}/api/v1/cis/web-01/restore`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.reader}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ revision: 1 }),
    });
    expect(refused.status).toBe(403);
  });

  it('lets an auditor download a signed evidence pack of a CI', async () => {
    await page.click('#who button:has-text("Sign out")');
    await signIn(tokens.admin);
    await page.waitForSelector('#who:has-text("ada (admin)")');
    await page.goto(`${service.base}/#/ci/web-01`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button:has-text("Download a signed evidence pack")'),
    ]);
    expect(download.suggestedFilename()).toMatch(/^evidence-.*-web-01\.json$/);
    const pack = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(pack).toMatchObject({ format: 'configledger-evidence/v1', selector: { ciId: 'web-01' } });
    expect(pack.cis[0]).toMatchObject({ id: 'web-01', revision: 4 });
    expect(pack.signature.algorithm).toBe('Ed25519');
  });

  it('shows a new version of 30 of 3,000 installed packages as those 30 changed', async () => {
    const server = (bumped: (i: number) => boolean) => ({
      type: 'server',
      name: 'build-01',
      attributes: { packages: Array.from({ length: 3_000 }, (_, i) => `pkg-${i}-1.${bumped(i) ? 1 : 0}`) },
    });
    await api(
      'PUT',
      '/cis/build-01',
      server(() => false),
    );
    await api(
      'PUT',
      '/cis/build-01',
      server((i) => i % 100 === 7),
    );
    await page.goto(`${service.base}/#/ci/build-01`);
    await page.waitForSelector('#timeline tbody tr >> nth=1');
    await page.selectOption('select[name=from]', '1');
    await page.selectOption('select[name=to]', '2');
    await page.click('button:has-text("Show the difference")');
    await page.waitForSelector('.diff .jsondiffpatch-modified');
    // Matched in place (jsondiffpatch's own diff of arrays this long showed 30 removed and 30 added, slowly).
    expect(await page.locator('.diff .jsondiffpatch-modified').count()).toBe(30);
    expect(await page.locator('.diff .jsondiffpatch-added, .diff .jsondiffpatch-deleted').count()).toBe(0);
    expect(await page.textContent('.diff .jsondiffpatch-modified >> nth=0')).toContain('pkg-7-1.1');
  });

  it('serves the interactive API reference from the service itself', async () => {
    await page.goto(`${service.base}/api/v1/reference/`);
    await page.waitForSelector('.opblock-summary-path[data-path="/api/v1/cis/{id}/history"]');
    expect(await page.locator('.opblock').count()).toBeGreaterThan(35);
    await shot('api-reference', false);
  });
});
