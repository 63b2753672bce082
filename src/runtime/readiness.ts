import type { EventStore } from '../ports/event-store';
import type { ViewStore } from '../ports/view-store';
import type { ReadinessProbe, ReadinessReport } from '../http/routes/health-routes';
import type { RunningProjections } from './projection-runner';
import type { RunningRelay } from './leased-relay';

/**
 * Ready when both stores answer and the views are live and at most
 * `maxLagEvents` positions behind the log.
 */
export class ServiceReadiness implements ReadinessProbe {
  constructor(
    private readonly eventStore: EventStore,
    private readonly viewStore: ViewStore,
    private readonly runner: RunningProjections,
    private readonly maxLagEvents: number,
    private readonly relay?: RunningRelay,
  ) {}

  async check(): Promise<ReadinessReport> {
    const runner = this.runner.status();
    // Counted rather than subtracted: positions need not be consecutive (EventStoreDB's are byte offsets).
    const [head, lag, views] = await Promise.all([
      attempt(() => this.eventStore.headPosition()),
      attempt(() => this.eventStore.countAfter(runner.position, this.maxLagEvents + 1)),
      attempt(() => this.viewStore.ping()),
    ]);
    const lagEvents = lag.ok ? lag.value : undefined;
    // Views that claim more than the log holds: the log was reset or replaced under them. Nothing
    // would ever be projected again, silently; say so instead.
    const beyondHead =
      head.ok && runner.position > head.value
        ? `the views' checkpoint (position ${runner.position}) is beyond the event log's head (${head.value}): ` +
          'the log was reset or replaced while the views were kept; run `npm run rebuild-views`'
        : undefined;
    // On standby another instance runs the projections: ready if the views it keeps are close to the log.
    const running = runner.state === 'live' || runner.state === 'standby';
    const projectionsOk = running && !beyondHead && lagEvents !== undefined && lagEvents <= this.maxLagEvents;
    // A log that serves reads but refuses writes is not ready: say so, with the reason, until a write succeeds.
    const writes = this.eventStore.writeStatus();
    const checks = {
      eventStore: head.ok
        ? {
            ok: writes.writable,
            adapter: this.eventStore.adapter,
            headPosition: head.value,
            writable: writes.writable,
            ...(!writes.writable && { error: writes.reason }),
          }
        : { ok: false, adapter: this.eventStore.adapter, error: head.error },
      viewStore: views.ok
        ? { ok: true, adapter: this.viewStore.adapter }
        : { ok: false, adapter: this.viewStore.adapter, error: views.error },
      projections: {
        ok: projectionsOk,
        state: runner.state,
        position: runner.position,
        // At most maxLagEvents + 1: beyond that the exact figure is not worth counting.
        lagEvents: lagEvents ?? null,
        maxLagEvents: this.maxLagEvents,
        ...(runner.lastError ? { lastError: runner.lastError } : {}),
        ...(beyondHead ? { error: beyondHead } : {}),
      },
    };
    if (this.relay) {
      // Reported, but not part of readiness: the API serves reads and writes while Kafka is down,
      // and the relay catches up from its checkpoint when it is back.
      const relay = await this.relay.status();
      Object.assign(checks, { relay: { ok: relay.state !== 'retrying', affectsReadiness: false, ...relay } });
    }
    return { ready: head.ok && writes.writable && views.ok && projectionsOk, checks };
  }
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: string };

async function attempt<T>(check: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await check() };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
