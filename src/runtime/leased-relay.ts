import type { Logger } from 'pino';
import type { CheckpointStore } from '../ports/checkpoint-store';
import type { EventStore } from '../ports/event-store';
import { LeasedRole, type LeaseSettings } from './leased-role';
import { LAG_COUNT_CAP, relayCheckpointName, type RelayRunner, type RelayStatus } from './relay-runner';

export const RELAY_LEASE = 'relay';

/** What the service needs of its relay, whether it runs here or on another instance. */
export interface RunningRelay {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<RelayStatus>;
}

/**
 * The relay of one of several instances on the same stores: run here while
 * this instance holds the `relay` lease (a fresh runner, and publisher, each
 * time it takes it), resuming from the shared checkpoint; otherwise its
 * status is read from that checkpoint.
 */
export class LeasedRelay implements RunningRelay {
  private readonly leased: LeasedRole<RelayRunner>;

  constructor(
    make: () => RelayRunner,
    private readonly deps: {
      readonly lease: LeaseSettings;
      readonly publisherName: string;
      readonly eventStore: EventStore;
      readonly checkpoints: CheckpointStore;
      readonly logger: Logger;
    },
  ) {
    this.leased = new LeasedRole(RELAY_LEASE, deps.lease, make, deps.logger);
  }

  start(): Promise<void> {
    return this.leased.start();
  }

  stop(): Promise<void> {
    return this.leased.stop();
  }

  async status(): Promise<RelayStatus> {
    const running = this.leased.current;
    if (running) return running.status();
    const position = await this.deps.checkpoints.loadCheckpoint(relayCheckpointName(this.deps.publisherName));
    return {
      publisher: this.deps.publisherName,
      state: 'standby',
      position,
      lagEvents: await this.deps.eventStore.countAfter(position, LAG_COUNT_CAP),
      lagSeconds: 0,
      lastError: undefined,
    };
  }
}
