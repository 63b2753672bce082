import { BehaviorSubject } from 'rxjs';
import type { Logger } from 'pino';
import type { ProjectionCheckpoint } from '../ports/view-store';
import { LeasedRole, type LeaseSettings } from './leased-role';
import type { ProjectionStatus, RunningProjections } from './projection-runner';
import { waitForPosition } from './wait-for-position';

export const PROJECTIONS_LEASE = 'projections';

/**
 * The projections of one of several instances on the same stores: run here
 * while this instance holds the `projections` lease; otherwise followed, by
 * reading the checkpoints the holder writes, so reads here still wait for
 * writes (read-your-writes) and readiness still reports the views' lag.
 */
export class LeasedProjections implements RunningProjections {
  private readonly leased: LeasedRole<RunningProjections>;
  private readonly followed$ = new BehaviorSubject(0);
  private poll: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(
    make: () => RunningProjections,
    private readonly options: {
      readonly lease: LeaseSettings;
      /** The checkpoints the holder writes. */
      readonly readCheckpoints: () => Promise<ProjectionCheckpoint[]>;
      /** The projections every view must have applied. */
      readonly names: readonly string[];
      /** How often a follower reads the checkpoints. */
      readonly followMs: number;
      readonly logger: Logger;
    },
  ) {
    this.leased = new LeasedRole(PROJECTIONS_LEASE, options.lease, make, options.logger);
  }

  async start(): Promise<void> {
    await this.leased.start();
    await this.follow();
    this.poll = setInterval(() => void this.follow(), this.options.followMs);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.poll);
    await this.leased.stop();
  }

  currentPosition(): number {
    return this.leased.current?.currentPosition() ?? this.followed$.value;
  }

  waitForPosition(position: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const running = this.leased.current;
    return running
      ? running.waitForPosition(position, timeoutMs, signal)
      : waitForPosition(this.followed$, position, timeoutMs, signal);
  }

  status(): ProjectionStatus {
    return (
      this.leased.current?.status() ?? {
        state: 'standby',
        position: this.followed$.value,
        eventsApplied: 0,
        lastError: this.lastError,
      }
    );
  }

  /** While another instance runs them: the lowest checkpoint of the views, as that instance wrote it. */
  private async follow(): Promise<void> {
    if (this.leased.current) return;
    try {
      const stored = new Map((await this.options.readCheckpoints()).map((cp) => [cp.projection, cp.position]));
      const lowest = Math.min(...this.options.names.map((name) => stored.get(name) ?? 0));
      this.lastError = undefined;
      if (lowest !== this.followed$.value) this.followed$.next(lowest);
    } catch (error) {
      this.lastError = (error as Error).message;
    }
  }
}
