import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { LeaseStore } from '../ports/lease-store';

/** This process, as a lease holder: `host:pid:nonce`, unique among the instances sharing a store. */
export function thisProcessAsHolder(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Whether a holder named by thisProcessAsHolder is a process of this host
 * that is gone: one whose pid no longer runs, or this process's own pid under
 * another nonce (a container restarted keeps its host name and pid 1). Its
 * lease need not be waited out. Holders of other hosts are never judged.
 */
export function holderIsGoneHere(holder: string, self: string): boolean {
  const [host, pid, nonce] = holder.split(':');
  const [ourHost, ourPid] = self.split(':');
  if (holder === self || host !== ourHost || !pid || !nonce || !/^\d+$/.test(pid)) return false;
  if (pid === ourPid) return true;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes or renews a lease. One held by a process of this host that is gone
 * (killed, then this instance started on its data directory) is taken at
 * once rather than after it expires, so a single instance restarted after a
 * crash projects straight away.
 */
export async function acquireLease(
  store: LeaseStore,
  name: string,
  holder: string,
  ttlMs: number,
  logger: Logger,
): Promise<boolean> {
  if (await store.acquireLease(name, holder, ttlMs)) return true;
  const previous = await store.leaseHolder(name);
  if (!previous || !holderIsGoneHere(previous, holder)) return false;
  logger.info(
    { lease: name, previous },
    `the ${name} lease was held by a process of this host that is gone: taking it`,
  );
  await store.releaseLease(name, previous);
  return store.acquireLease(name, holder, ttlMs);
}

/** Something only one instance may run at a time: the projections, the relay. */
export interface Role {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LeaseSettings {
  readonly store: LeaseStore;
  /** This instance, unique among those sharing the store. */
  readonly holder: string;
  /** How long a lease holds without renewal: the longest another instance waits after this one dies. */
  readonly ttlMs: number;
  /** How often the holder renews it, and the others try to take it. */
  readonly renewMs: number;
}

/**
 * Runs a role only while this instance holds its lease: tries to take it at
 * start and every `renewMs`; starts a fresh role when it gets it, stops the
 * role when another instance holds it. When the store cannot be reached the
 * role goes on only while the lease it last renewed is surely still valid.
 *
 * Two holders can overlap briefly (a holder paused longer than the lease);
 * the roles are safe to overlap: view writes are guarded and idempotent, and
 * the relay delivers at least once.
 */
export class LeasedRole<R extends Role> {
  private role: R | undefined;
  private heldUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly lease: LeaseSettings,
    private readonly make: () => R,
    private readonly logger: Logger,
  ) {}

  /** The running role, when this instance holds the lease. */
  get current(): R | undefined {
    return this.role;
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.lease.renewMs);
    this.timer.unref();
  }

  /** Stops the role if it runs and gives the lease up, so another instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const role = this.role;
    this.role = undefined;
    if (role) {
      await role.stop();
      await this.lease.store.releaseLease(this.name, this.lease.holder).catch((error: unknown) => {
        this.logger.warn({ err: error, lease: this.name }, 'could not give the lease up; it expires by itself');
      });
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const asked = Date.now();
    let held: boolean;
    try {
      held = await acquireLease(this.lease.store, this.name, this.lease.holder, this.lease.ttlMs, this.logger);
      if (held) this.heldUntil = asked + this.lease.ttlMs;
    } catch (error) {
      // Keep the role only while the last renewal surely holds, with a renewal period to spare.
      held = Date.now() < this.heldUntil - this.lease.renewMs;
      this.logger.warn(
        { err: error, lease: this.name, keeping: held && this.role !== undefined },
        'cannot renew the lease',
      );
    }
    if (this.stopped) return;
    if (held && !this.role) {
      const role = this.make();
      this.role = role;
      this.logger.info(
        { lease: this.name, holder: this.lease.holder },
        `this instance holds the ${this.name} lease: running it`,
      );
      await role.start();
    } else if (!held && this.role) {
      const role = this.role;
      this.role = undefined;
      this.logger.warn({ lease: this.name }, `the ${this.name} lease is held elsewhere now: stopping here`);
      await role.stop();
    }
  }
}
