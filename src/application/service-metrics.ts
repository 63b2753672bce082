import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventStore } from '../ports/event-store';
import type { ViewProgress } from '../ports/view-store';

/** What the relay lag is read from (the running relay, or its status from the shared checkpoint). */
export interface RelayLag {
  status(): Promise<{ readonly lagEvents: number; readonly lagSeconds: number }>;
}

/** How far behind counting stops: lag beyond it reads as this (counting is a scan). */
const LAG_COUNT_CAP = 100_000;

/**
 * The service's Prometheus metrics (prom-client), in a registry of its own.
 * Counters and histograms are fed as things happen (HTTP requests, appends,
 * group commits, cache look-ups, loads of CIs not cached, stream clients);
 * the lags are measured at scrape time, so a scrape says how things are now.
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  readonly httpRequests: Histogram<'method' | 'route' | 'status'>;
  readonly appendSeconds: Histogram;
  readonly groupCommitEvents: Histogram;
  readonly stateCache: Counter<'result'>;
  readonly stateLoadEvents: Histogram<'from'>;
  readonly streamClients: Gauge;

  constructor(deps: {
    readonly eventStore: EventStore;
    readonly runner: ViewProgress;
    readonly relay?: RelayLag | undefined;
    readonly now: () => number;
  }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'configledger_' });
    this.httpRequests = new Histogram({
      name: 'configledger_http_request_duration_seconds',
      help: 'HTTP requests by method, route (the path pattern, not the URL) and status, and how long they took',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.appendSeconds = new Histogram({
      name: 'configledger_append_duration_seconds',
      help: 'Appends of CI events to the log, from the call until durable (group commit included)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.groupCommitEvents = new Histogram({
      name: 'configledger_group_commit_events',
      help: 'Events written per commit of the embedded log (one fsync each); absent on EventStoreDB',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
      registers,
    });
    this.stateCache = new Counter({
      name: 'configledger_state_cache_lookups_total',
      help: 'Look-ups of the write path cache of folded CIs, by result (hit, miss): the hit ratio is hit / all',
      labelNames: ['result'],
      registers,
    });
    this.stateLoadEvents = new Histogram({
      name: 'configledger_state_load_events',
      help: 'Events read and folded by the write path to load a CI it had not cached, by where it started (snapshot, stream)',
      labelNames: ['from'],
      buckets: [0, 1, 10, 100, 1_000, 10_000, 100_000],
      registers,
    });
    this.streamClients = new Gauge({
      name: 'configledger_change_stream_clients',
      help: 'Change streams (Server-Sent Events) open now',
      registers,
    });
    const { eventStore, runner, relay, now } = deps;
    new Gauge({
      name: 'configledger_projection_lag_events',
      help: `Events in the log the views have not applied yet (counted up to ${LAG_COUNT_CAP})`,
      registers,
      async collect() {
        this.set(await eventStore.countAfter(runner.currentPosition(), LAG_COUNT_CAP));
      },
    });
    new Gauge({
      name: 'configledger_projection_lag_seconds',
      help: 'Age of the oldest event the views have not applied yet; 0 when caught up',
      registers,
      async collect() {
        const [oldest] = await eventStore.readAll(runner.currentPosition(), 1);
        this.set(oldest ? Math.max(0, (now() - Date.parse(oldest.recordedAt)) / 1000) : 0);
      },
    });
    if (relay) {
      new Gauge({
        name: 'configledger_relay_lag_events',
        help: 'Events in the log not yet published downstream (Kafka)',
        registers,
        async collect() {
          this.set((await relay.status()).lagEvents);
        },
      });
      new Gauge({
        name: 'configledger_relay_lag_seconds',
        help: 'Age of the oldest event not yet published downstream; 0 when caught up',
        registers,
        async collect() {
          this.set((await relay.status()).lagSeconds);
        },
      });
    }
  }
}
