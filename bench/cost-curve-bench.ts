import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { allProjections } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { toNewEvent } from '../src/application/ci-event-codec';
import { CiCommandHandler } from '../src/application/ci-command-handler';
import { CiQueries } from '../src/application/ci-queries';
import { ciDocument, ciStreamName, diffDocuments, type CiDocument } from '../src/domain';
import { systemClock } from '../src/ports/clock';
import { ProjectionRunner } from '../src/runtime/projection-runner';
import { serverDocument } from './fixtures';
import { BASE_TIME, generateLog, recordedAtOf, type LogVariety } from './log-generator';
import { latencyOf, measureInTurn, nowMs, seededRandom, type LatencyFigures } from './stats';

/**
 * How the service behaves as its history grows: the same questions asked of
 * logs of 10k, 100k, 1M (and 10M) events over at most 100,000 CIs, and of a
 * deep log whose CIs have 1,000 revisions each and two CIs 10,000 (one
 * written without the service, one by its writer).
 */

/** Who and which ticket: a rare actor whose changes are all in the first round (the oldest), a ticket per 1,000 events, a rare type. */
export const CURVE_VARIETY: LogVariety = {
  actorOf: (index, round) => (round === 0 && index % 1000 === 7 ? 'contractor-7' : `team-${index % 20}`),
  changeRefOf: (index, round) => `CHG-${round}-${Math.floor(index / 1000)}`,
  typeOf: (index) => (index % 50 === 0 ? 'network-device' : 'server'),
};

function bytesOf(file: string): number {
  return [file, `${file}-wal`].filter(existsSync).reduce((sum, f) => sum + statSync(f).size, 0);
}

export interface CurvePoint {
  readonly events: number;
  readonly cis: number;
  readonly logBytesPerEvent: number;
  readonly viewBytesPerEvent: number;
  readonly catchUpEventsPerSecond: number;
  readonly startToReadyMs: number;
  readonly current: LatencyFigures;
  readonly asOf: LatencyFigures;
  readonly inventoryPage: LatencyFigures;
  readonly feedByActor: LatencyFigures;
  readonly feedByChangeRef: LatencyFigures;
  readonly feedByType: LatencyFigures;
}

/** The live runner (not the offline rebuild) applying the whole log to empty views: events per second. */
async function catchUp(dir: string, events: number): Promise<number> {
  const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
  const viewStore = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, pino({ level: 'silent' }));
  const start = nowMs();
  await runner.start();
  if (!(await runner.waitForPosition(await eventStore.headPosition(), 3_600_000)))
    throw new Error('catch-up timed out');
  const seconds = (nowMs() - start) / 1000;
  await runner.stop();
  await eventStore.close();
  await viewStore.close();
  return events / seconds;
}

/** `node dist/src/main.js` on the data directory, from spawn to its first 200 on /readyz. */
export async function startToReady(dir: string): Promise<number> {
  const main = path.resolve(__dirname, '../src/main.js');
  const start = nowMs();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output}`)), 600_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const listening = /"port":(\d+)[^\n]*ConfigLedger listening/.exec(output);
        if (listening) {
          clearTimeout(timer);
          resolve(Number(listening[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the service exited (${code}):\n${output}`)));
    });
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (ready?.status === 200) return nowMs() - start;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** CiQueries over the directory's log, once its views hold every event; `close` stops and closes it all. */
async function caughtUpQueries(dir: string) {
  const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
  const viewStore = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, pino({ level: 'silent' }));
  await runner.start();
  if (!(await runner.waitForPosition(await eventStore.headPosition(), 3_600_000))) throw new Error('views timed out');
  const queries = new CiQueries({ eventStore, viewStore, progress: runner, readWaitMs: 5000 });
  const close = async () => {
    await runner.stop();
    await eventStore.close();
    await viewStore.close();
  };
  return { queries, eventStore, close };
}

/** Reads in process through CiQueries, as the routes make them (read-your-writes look-up included). */
async function readLatencies(dir: string, cis: number, rounds: number, samples: number) {
  const { queries, close } = await caughtUpQueries(dir);
  const random = seededRandom(42); // every run asks the same questions
  const randomCi = () => `ci-${Math.floor(random() * cis)}`;
  const lastInstant = recordedAtOf(rounds - 1, cis - 1);
  const randomInstant = () => BASE_TIME + Math.floor(random() * (lastInstant - BASE_TIME + 3_600_000));
  const measure = (...operations: (() => Promise<unknown>)[]) => measureInTurn(samples, operations);
  const [current, asOf] = await measure(
    () => queries.current(randomCi()),
    () => queries.at(randomCi(), { asOf: randomInstant() }),
  );
  const [inventoryPage] = await measure(() =>
    queries.list({ includeRetired: false, limit: 100, afterCiId: randomCi() }, randomInstant(), undefined),
  );
  const feed = (query: object) => () => queries.changes({ limit: 100, ...query }, undefined);
  const [feedByActor, feedByChangeRef, feedByType] = await measure(
    feed({ actor: 'contractor-7' }),
    () => queries.changes({ limit: 100, changeRef: `CHG-${Math.floor(random() * rounds)}-0` }, undefined),
    feed({ ciType: 'network-device' }),
  );
  await close();
  return {
    current: current!,
    asOf: asOf!,
    inventoryPage: inventoryPage!,
    feedByActor: feedByActor!,
    feedByChangeRef: feedByChangeRef!,
    feedByType: feedByType!,
  };
}

/** One point of the curve: a log of `events` events over min(events, 100,000) CIs. */
export async function curvePoint(
  root: string,
  events: number,
  samples: number,
  progress: (text: string) => void,
): Promise<CurvePoint> {
  const cis = Math.min(events, 100_000);
  const rounds = Math.round(events / cis);
  const dir = mkdtempSync(path.join(root, 'curve-'));
  try {
    await generateLog(dir, cis, rounds, (done) => done % 1_000_000 === 0 && progress(`${done} events`), CURVE_VARIETY);
    const catchUpEventsPerSecond = await catchUp(dir, cis * rounds);
    const startToReadyMs = await startToReady(dir);
    const reads = await readLatencies(dir, cis, rounds, samples);
    return {
      events: cis * rounds,
      cis,
      logBytesPerEvent: bytesOf(path.join(dir, 'events.db')) / (cis * rounds),
      viewBytesPerEvent: bytesOf(path.join(dir, 'views.db')) / (cis * rounds),
      catchUpEventsPerSecond,
      startToReadyMs,
      ...reads,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Appends `revisions` changes to one CI, `ci-hot`, in batches (one stream, so one writer). */
async function appendHotCi(dir: string, revisions: number): Promise<void> {
  const store = new SqliteEventStore({ filename: path.join(dir, 'events.db'), synchronous: 'normal' });
  const metadata = { actor: 'discovery', reason: null, changeRef: null, source: 'discovery', correlationId: null };
  let previous: CiDocument | undefined;
  for (let from = 0; from < revisions; from += 500) {
    const batch = [];
    for (let revision = from; revision < Math.min(revisions, from + 500); revision++) {
      const document = ciDocument({ ...serverDocument(7, revision), name: 'hot' });
      const event = previous
        ? { type: 'CiChanged' as const, data: { ciId: 'ci-hot', patch: diffDocuments(previous, document) } }
        : { type: 'CiRegistered' as const, data: { ciId: 'ci-hot', document } };
      previous = document;
      batch.push(toNewEvent(event, metadata, new Date(BASE_TIME + revision * 60_000).toISOString(), randomUUID()));
    }
    await store.append(ciStreamName('ci-hot'), batch, from);
  }
  await store.close();
}

/**
 * ci-served: `revisions` revisions written by the service's writer (cached,
 * as in the service), which saves the CI's snapshots and milestones as it
 * goes, where ci-hot's log was written without it.
 */
async function appendServedCi(dir: string, revisions: number): Promise<void> {
  const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db'), synchronous: 'normal' });
  const writer = new CiCommandHandler({ eventStore, clock: systemClock, newEventId: randomUUID });
  const metadata = { actor: 'discovery', reason: null, changeRef: null, source: 'discovery', correlationId: null };
  const { type, name, attributes, relationships } = serverDocument(7, 0);
  await writer.execute(
    { type: 'DeclareCi', ciId: 'ci-served', desired: { type, name, attributes, relationships } },
    { metadata },
  );
  for (let n = 2; n <= revisions; n++) {
    await writer.execute({ type: 'PatchCi', ciId: 'ci-served', mergePatch: { attributes: { n } } }, { metadata });
  }
  await eventStore.close();
}

export interface DeepFigures {
  readonly events: number;
  readonly inventoryPage: LatencyFigures;
  readonly historyFirstPage: LatencyFigures;
  readonly historyLastPage: LatencyFigures;
  readonly diffFirstToLast: LatencyFigures;
  readonly asOfHot: LatencyFigures;
  /** The first write to ci-hot by a writer that has not cached it, on a log written without the service. */
  readonly firstUncachedWriteMs: number;
  /** Later writes to ci-hot, none of them cached (as every first write to a CI after a restart). */
  readonly uncachedWrite: LatencyFigures;
  /** Restores of ci-hot to a revision picked at random, by the same writer, after those writes. */
  readonly restore: LatencyFigures;
  /** The same of ci-served, whose writer kept its snapshots and milestones. */
  readonly servedRestore: LatencyFigures;
}

/** `cis` CIs of `revisions` revisions each, and ci-hot with `hotRevisions`: deep histories. */
export async function deepHistory(
  root: string,
  cis: number,
  revisions: number,
  hotRevisions: number,
  samples: number,
): Promise<DeepFigures> {
  const dir = mkdtempSync(path.join(root, 'deep-'));
  try {
    await generateLog(dir, cis, revisions, () => undefined);
    await appendHotCi(dir, hotRevisions);
    await appendServedCi(dir, hotRevisions);
    const { queries, eventStore, close } = await caughtUpQueries(dir);
    const random = seededRandom(7);
    const lastInstant = recordedAtOf(revisions - 1, cis - 1);
    const instant = () => BASE_TIME + Math.floor(random() * (lastInstant - BASE_TIME));
    const [inventoryPage] = await measureInTurn(samples, [
      () =>
        queries.list(
          { includeRetired: false, limit: 100, afterCiId: `ci-${Math.floor(random() * cis)}` },
          instant(),
          undefined,
        ),
    ]);
    const few = Math.max(20, Math.floor(samples / 10)); // a page of 1,000 changes is a big answer: fewer samples
    const [historyFirstPage, historyLastPage, diffFirstToLast] = await measureInTurn(few, [
      () => queries.history('ci-hot', { afterRevision: 0, limit: 1000 }),
      () => queries.history('ci-hot', { afterRevision: hotRevisions - 1000, limit: 1000 }),
      () => queries.diff('ci-hot', { revision: 1 }, { revision: hotRevisions }),
    ]);
    const [asOfHot] = await measureInTurn(samples, [
      () => queries.at('ci-hot', { asOf: BASE_TIME + Math.floor(random() * hotRevisions * 60_000) }),
    ]);
    const writes = await uncachedWrites(eventStore, few);
    const restore = await uncachedRestores(eventStore, 'ci-hot', few, hotRevisions, random);
    const servedRestore = await uncachedRestores(eventStore, 'ci-served', few, hotRevisions, random);
    await close();
    return {
      events: cis * revisions + 2 * hotRevisions,
      ...writes,
      restore,
      servedRestore,
      inventoryPage: inventoryPage!,
      historyFirstPage: historyFirstPage!,
      historyLastPage: historyLastPage!,
      diffFirstToLast: diffFirstToLast!,
      asOfHot: asOfHot!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A writer that keeps no CI folded: each write loads its CI, as the first write to it after a restart does. */
function uncachedWriter(eventStore: SqliteEventStore): CiCommandHandler {
  return new CiCommandHandler({ eventStore, clock: systemClock, newEventId: randomUUID, stateCacheSize: 0 });
}

/**
 * Writes to ci-hot by a writer that caches no CI, so each one loads the CI
 * as the first write to it after a restart does: the first on a log whose
 * CI has no snapshot yet (written here without the service), the rest after it.
 */
async function uncachedWrites(eventStore: SqliteEventStore, samples: number) {
  const writer = uncachedWriter(eventStore);
  const metadata = { actor: 'bench', reason: null, changeRef: null, source: 'api', correlationId: null };
  const write = async (n: number) => {
    const started = nowMs();
    await writer.execute(
      { type: 'PatchCi', ciId: 'ci-hot', mergePatch: { attributes: { benchWrite: n } } },
      { metadata },
    );
    return nowMs() - started;
  };
  const firstUncachedWriteMs = await write(0);
  const times: number[] = [];
  for (let n = 1; n <= samples; n++) times.push(await write(n));
  return { firstUncachedWriteMs, uncachedWrite: latencyOf(times) };
}

/** Restores of a CI to revisions picked at random among its first `revisions`, by a writer that caches no CI. */
async function uncachedRestores(
  eventStore: SqliteEventStore,
  ciId: string,
  samples: number,
  revisions: number,
  random: () => number,
): Promise<LatencyFigures> {
  const writer = uncachedWriter(eventStore);
  const metadata = { actor: 'bench', reason: null, changeRef: null, source: 'restore', correlationId: null };
  const times: number[] = [];
  for (let n = 0; n < samples; n++) {
    const revision = 1 + Math.floor(random() * revisions);
    const started = nowMs();
    await writer.restore(ciId, { revision }, 'revision', { metadata });
    times.push(nowMs() - started);
  }
  return latencyOf(times);
}
