import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceBuilt, startServiceProcess, type ServiceProcess } from '../support/service-process';

/**
 * A data directory on a disk that fills up, for real: a small tmpfs (mounting
 * needs root, which CI has; elsewhere the suite is skipped, saying so).
 */
const mountPoint = mkdtempSync(path.join(tmpdir(), 'cl-full-disk-'));
const mounted = serviceBuilt && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint]).status === 0;
if (!mounted) {
  process.stderr.write('SKIPPED: full-disk suite: needs root to mount a tmpfs, and the built service\n');
  rmdirSync(mountPoint);
}
const describeMounted = mounted ? describe : describe.skip;

/** Writes a file until the disk refuses (ENOSPC). */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(256 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // The last partial blocks too.
  const small = openSync(`${file}-tail`, 'w');
  try {
    for (;;) writeSync(small, Buffer.alloc(512, 1));
  } catch {
    // full
  } finally {
    closeSync(small);
  }
}

describeMounted('the data directory on a full disk', () => {
  const dataDir = path.join(mountPoint, 'data');
  const filler = path.join(mountPoint, 'filler');
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop('SIGKILL');
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  const put = (base: string, id: string, body: object) =>
    fetch(`${base}/api/v1/cis/${id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const readyz = async (base: string) => {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: { eventStore: Record<string, unknown> } } };
  };

  it('refuses writes with 503 and says so in /readyz while reads go on, starts read-only on a full disk, and recovers once there is room', async () => {
    service = await startServiceProcess({ DATA_DIR: dataDir, DISK_RESERVE_MB: '4' });
    expect((await put(service.base, 'web-01', { type: 'server', name: 'web-01' })).status).toBe(201);
    // Read once so the views hold it (a read waits for them) before the disk fills under the projections too.
    expect((await fetch(`${service.base}/api/v1/cis/web-01`)).status).toBe(200);

    // The disk fills while the service runs.
    fillDisk(filler);
    const big = { type: 'server', name: 'web-02', attributes: { blob: 'x'.repeat(600_000) } };
    const refused = await put(service.base, 'web-02', big);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await fetch(`${service.base}/api/v1/cis/web-01`)).status).toBe(200);
    const whileFull = await readyz(service.base);
    expect(whileFull.status).toBe(503);
    expect(whileFull.body.checks.eventStore).toMatchObject({ ok: false, writable: false });
    expect(String(whileFull.body.checks.eventStore['error'])).toMatch(/SQLITE_FULL|disk/);
    expect(await service.stop()).toBe(0);

    // Started again on the full disk: up, serving reads, refusing writes, saying why.
    service = await startServiceProcess({ DATA_DIR: dataDir, DISK_RESERVE_MB: '4' });
    expect(service.output()).toMatch(/the disk of DATA_DIR is full/);
    const read = await fetch(`${service.base}/api/v1/cis/web-01`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { name: string }).name).toBe('web-01');
    expect((await put(service.base, 'web-03', { type: 'server', name: 'web-03' })).status).toBe(503);
    const atStart = await readyz(service.base);
    expect(atStart.status).toBe(503);
    expect(String(atStart.body.checks.eventStore['error'])).toMatch(/disk of DATA_DIR is full/);

    // Room again: within the watch interval, writes are accepted and readiness is back.
    rmSync(filler);
    rmSync(`${filler}-tail`);
    let ready = await readyz(service.base);
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ready = await readyz(service.base);
    }
    expect(ready.body.checks.eventStore).toMatchObject({ ok: true, writable: true });
    expect((await put(service.base, 'web-03', { type: 'server', name: 'web-03' })).status).toBe(201);
  }, 90_000);
});
