import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allProjections } from '../../../projections';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import type { LeaseStore } from '../../../src/ports/lease-store';
import { spawnSync } from 'node:child_process';
import {
  LeasedRole,
  acquireLease,
  holderIsGoneHere,
  thisProcessAsHolder,
  type Role,
} from '../../../src/runtime/leased-role';
import { silentLogger } from '../../support/test-service';

/** A role that records whether it runs. */
class Probe implements Role {
  running = false;
  async start() {
    this.running = true;
  }
  async stop() {
    this.running = false;
  }
}

/** A lease store whose connection can be cut. */
class Cuttable implements LeaseStore {
  cut = false;
  constructor(private readonly inner: LeaseStore) {}
  acquireLease(name: string, holder: string, ttlMs: number) {
    return this.cut ? Promise.reject(new Error('connection lost')) : this.inner.acquireLease(name, holder, ttlMs);
  }
  releaseLease(name: string, holder: string) {
    return this.cut ? Promise.reject(new Error('connection lost')) : this.inner.releaseLease(name, holder);
  }
  leaseHolder(name: string) {
    return this.cut ? Promise.reject(new Error('connection lost')) : this.inner.leaseHolder(name);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds (a loaded CI machine may be slow; nothing here is a timing figure). */
async function until(condition: () => boolean, what: string) {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('LeasedRole', () => {
  let dir: string;
  let store: SqliteViewStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-lease-'));
    store = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function instance(holder: string, leases: LeaseStore = store, ttlMs = 3000) {
    const probes: Probe[] = [];
    const role = new LeasedRole(
      'projections',
      { store: leases, holder, ttlMs, renewMs: ttlMs / 6 },
      () => {
        const probe = new Probe();
        probes.push(probe);
        return probe;
      },
      silentLogger,
    );
    return { role, running: () => probes.some((p) => p.running), started: () => probes.length };
  }

  it('runs the role on one instance at a time, and hands it over when the holder stops', async () => {
    const a = instance('a');
    const b = instance('b');
    await a.role.start();
    await b.role.start();
    await sleep(1200); // several renewals: a keeps it, b keeps trying
    expect([a.running(), b.running()]).toEqual([true, false]);
    await a.role.stop();
    expect(a.running()).toBe(false);
    await until(() => b.running(), 'b takes the released lease');
    await b.role.stop();
  });

  it('stops the role when the store cannot be reached and the lease may have expired; another instance then takes it', async () => {
    const cuttable = new Cuttable(store);
    const a = instance('a', cuttable, 3000);
    const b = instance('b', store, 3000);
    await a.role.start();
    await b.role.start();
    expect(a.running()).toBe(true);
    cuttable.cut = true;
    await sleep(700); // a failed renewal or two: the lease a renewed last still holds
    expect(a.running()).toBe(true);
    expect(b.running()).toBe(false);
    await until(() => !a.running(), 'a stops once its lease may have expired');
    await until(() => b.running(), 'b takes the expired lease');
    cuttable.cut = false;
    await sleep(1200); // a's renewals reach the store again: b holds it
    expect(a.running()).toBe(false);
    expect(a.started()).toBe(1);
    await a.role.stop();
    await b.role.stop();
  });

  it('takes at once a lease whose holder was a process of this host that is gone, and waits out any other', async () => {
    const self = thisProcessAsHolder();
    const [host] = self.split(':');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = gone.stdout; // that process has exited
    expect(holderIsGoneHere(`${host}:${deadPid}:aaaaaaaa`, self)).toBe(true);
    expect(holderIsGoneHere(`${host}:${process.pid}:bbbbbbbb`, self)).toBe(true); // this pid, an earlier life
    expect(holderIsGoneHere(`${host}:${process.ppid}:cccccccc`, self)).toBe(false); // alive
    expect(holderIsGoneHere(`another-host:${deadPid}:dddddddd`, self)).toBe(false); // never judged
    expect(holderIsGoneHere(self, self)).toBe(false);

    await store.acquireLease('projections', `${host}:${deadPid}:aaaaaaaa`, 60_000);
    expect(await acquireLease(store, 'projections', self, 60_000, silentLogger)).toBe(true);
    await store.acquireLease('relay', `another-host:${deadPid}:dddddddd`, 60_000);
    expect(await acquireLease(store, 'relay', self, 60_000, silentLogger)).toBe(false);
  });
});
