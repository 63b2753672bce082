import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import supertest from 'supertest';
import { allProjections } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { KafkaPublisher } from '../src/adapters/relay/kafka-publisher';
import { systemClock } from '../src/ports/clock';
import { RelayRunner } from '../src/runtime/relay-runner';
import { startService } from '../src/service';
import { brokerUnavailable, startBroker, type RunningBroker } from '../test/support/kafka-broker';
import { serverDocument } from './fixtures';
import { generateLog } from './log-generator';
import { nowMs, percentile } from './stats';

const silent = pino({ level: 'silent' });

export function relayBenchUnavailable(): string | undefined {
  return brokerUnavailable();
}

function publisher(broker: RunningBroker, prefix: string) {
  return new KafkaPublisher({
    brokers: [broker.bootstrap],
    clientId: 'configledger-bench',
    topicPrefix: prefix,
    partitions: 6,
    replicationFactor: 1,
    logger: silent,
  });
}

/**
 * The relay against a real broker: a log of `cis` × `rounds` events relayed
 * from checkpoint 0 (catch-up throughput, events/s); then the lag while
 * `writers` clients write over HTTP for `seconds`, sampled every 50 ms, and
 * how long the relay takes to drain it once the writes stop.
 */
export async function relayFigures(cis: number, rounds: number, writers: number, seconds: number) {
  const broker = await startBroker();
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-relay-bench-'));
  try {
    await generateLog(dir, cis, rounds, () => undefined);
    const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
    const viewStore = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
    const total = await eventStore.countAfter(0, Number.MAX_SAFE_INTEGER);
    const relay = new RelayRunner(
      {
        eventStore,
        checkpoints: viewStore,
        publisher: publisher(broker, 'catchup.'),
        clock: systemClock,
        logger: silent,
      },
      { pollIntervalMs: 20 },
    );
    const started = nowMs();
    await relay.start();
    while ((await viewStore.loadCheckpoint('relay:kafka')) < (await eventStore.headPosition())) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const catchUpEventsPerSecond = (total / (nowMs() - started)) * 1000;
    await relay.stop();
    await eventStore.close();
    await viewStore.close();

    // Live: the whole service (projections and relay) under HTTP writes.
    const liveViews = new SqliteViewStore({ filename: path.join(dir, 'live-views.db'), views: allProjections });
    const live = await startService({
      eventStore: new SqliteEventStore({ filename: path.join(dir, 'live-events.db') }),
      catalogue: new SqliteEventStore({ filename: ':memory:' }),
      viewStore: liveViews,
      clock: systemClock,
      logger: silent,
      relay: { publisher: publisher(broker, 'live.'), checkpoints: liveViews, options: { pollIntervalMs: 20 } },
    });
    const agent = supertest(live.app);
    const lags: number[] = [];
    let writes = 0;
    let stopWriting = false;
    const sampler = setInterval(() => {
      void live.relay!.status().then((status) => lags.push(status.lagEvents));
    }, 50);
    const writer = async (w: number) => {
      for (let i = 0; !stopWriting; i++) {
        const index = w * 1000 + (i % 100);
        // The CI's own change number (each writer takes its 100 CIs in turn): relationships move at the fixture's pace.
        await agent.put(`/api/v1/cis/ci-${index}`).send(serverDocument(index, Math.floor(i / 100), writers * 1000));
        writes += 1;
      }
    };
    const running = Array.from({ length: writers }, (_, w) => writer(w));
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    stopWriting = true;
    await Promise.all(running);
    const stopped = nowMs();
    while ((await live.relay!.status()).lagEvents > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const drainMs = nowMs() - stopped;
    clearInterval(sampler);
    await live.stop();
    lags.sort((a, b) => a - b);
    return {
      catchUpEventsPerSecond,
      catchUpEvents: total,
      liveWritesPerSecond: writes / seconds,
      lagP50: percentile(lags, 50),
      lagP99: percentile(lags, 99),
      lagMax: lags.at(-1) ?? 0,
      drainMs,
    };
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
