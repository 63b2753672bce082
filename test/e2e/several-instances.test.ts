import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceBuilt, startServiceProcess, type ServiceProcess } from '../support/service-process';

/**
 * Several service processes on one data directory, as `docker compose up
 * --scale configledger=N` runs them on shared stores: every instance serves
 * reads and writes; one at a time runs the projections, under a lease in the
 * store; when it is killed (SIGKILL: no goodbye) another takes over and goes
 * on from the checkpoints. Here the instances share a host, so the survivor
 * sees the holder's process is gone and takes its lease at once; across
 * hosts it waits for the lease to expire (test/unit/runtime/leased-role.test.ts).
 */
const describeBuilt = serviceBuilt ? describe : describe.skip;
if (!serviceBuilt) console.warn('several-instances suite skipped: run `npm run build` first (npm test does it)');

interface Readiness {
  checks: { projections: { state: string; position: number } };
}

describeBuilt('several instances on one data directory', () => {
  jest.setTimeout(90_000);
  let dataDir: string;
  const running: ServiceProcess[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-instances-'));
  });
  afterEach(async () => {
    for (const service of running.splice(0)) await service.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const service = await startServiceProcess({ DATA_DIR: dataDir, LEASE_TTL_MS: '2000' });
    running.push(service);
    return service;
  };
  const projectionsState = async (service: ServiceProcess) =>
    ((await (await fetch(`${service.base}/readyz`)).json()) as Readiness).checks.projections.state;
  const put = (service: ServiceProcess, id: string, name: string) =>
    fetch(`${service.base}/api/v1/cis/${id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-Actor': 'ops' },
      body: JSON.stringify({ type: 'server', name }),
    });
  const nameOf = async (service: ServiceProcess, id: string) => {
    const res = await fetch(`${service.base}/api/v1/cis/${id}`);
    return res.status === 200 ? ((await res.json()) as { name: string }).name : res.status;
  };
  async function eventually<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 30_000;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await probe().catch(() => undefined as T);
      if (last !== undefined && accept(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what}: still ${JSON.stringify(last)} after 30 s`);
  }

  /** An instance once it runs the projections (the first on the directory takes their lease). */
  const startHolder = async () => {
    const service = await start();
    await eventually(
      'the first instance runs the projections',
      () => projectionsState(service),
      (s) => s === 'live',
    );
    return service;
  };

  it('serves reads and writes on every instance, runs the projections on one, and fails over when it is killed', async () => {
    const first = await startHolder();
    const second = await start();
    expect(await projectionsState(second)).toBe('standby');

    // Writes on either instance; reads on either see them (read-your-writes through the shared views).
    expect((await put(first, 'web-1', 'from first')).status).toBe(201);
    expect((await put(second, 'web-2', 'from second')).status).toBe(201);
    expect(await nameOf(second, 'web-1')).toBe('from first');
    expect(await nameOf(first, 'web-2')).toBe('from second');
    const ready = await fetch(`${second.base}/readyz`);
    expect(ready.status).toBe(200); // on standby, but the views it reads are current

    // The projections' holder dies without a word; the other takes over.
    await first.stop('SIGKILL');
    running.splice(running.indexOf(first), 1);
    expect((await put(second, 'web-3', 'after the failover')).status).toBe(201);
    await eventually(
      'the second instance takes the projections over',
      () => projectionsState(second),
      (s) => s === 'live',
    );
    expect(
      await eventually(
        'the write after the kill is projected',
        () => nameOf(second, 'web-3'),
        (n) => n === 'after the failover',
      ),
    ).toBe('after the failover');
    expect(await nameOf(second, 'web-1')).toBe('from first');

    // A third instance joins on standby; the log written by two processes is one verifiable chain.
    const third = await start();
    expect(await projectionsState(third)).toBe('standby');
    expect(await nameOf(third, 'web-3')).toBe('after the failover');
    const verify = (await (await fetch(`${third.base}/api/v1/verify`)).json()) as { ok: boolean; events: number };
    expect(verify).toMatchObject({ ok: true, events: 3 });
  });

  it('hands the projections over at once when their holder stops cleanly', async () => {
    const first = await startHolder();
    const second = await start();
    expect(await first.stop('SIGTERM')).toBe(0);
    running.splice(running.indexOf(first), 1);
    // Released on stop: taken at the next renewal of the other (a fifth of the lease), not after expiry.
    await eventually(
      'the second instance takes the projections over',
      () => projectionsState(second),
      (s) => s === 'live',
    );
    expect((await put(second, 'web-9', 'handed over')).status).toBe(201);
    expect(await nameOf(second, 'web-9')).toBe('handed over');
  });
});
