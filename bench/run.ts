import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { oursBatched, oursSingle, rawBatched, rawSingle } from './append-bench';
import { arrayDiffTimes, putLargeArrays, reorderedPackagesDocument, serverDiffMicros } from './array-diff-bench';
import { asOfLatencies, SINGLE_CI_SAMPLES } from './as-of-bench';
import { baselineFigures } from './baseline-bench';
import { curvePoint, deepHistory, startToReady } from './cost-curve-bench';
import { estateFigures } from './estate-bench';
import { httpColdRun } from './http-cold-bench';
import { autocannonAvailable, httpRun, type WriteRun } from './http-bench';
import type { LoadFigures } from './http-load';
import { httpReadRun, READ_WORKLOADS, type ReadFigures } from './http-read-bench';
import { generateLog } from './log-generator';
import { describeMachine } from './machine';
import {
  emmettAvailable,
  emmettPeerWorkload,
  emmettPostgresPeerWorkload,
  oursPeerWorkload,
  postgresPeerUnavailable,
} from './peer-bench';
import { defaultRebuildThreads } from '../src/runtime/rebuild-views';
import { runChild, type ChildResult } from './rebuild-bench';
import { relayBenchUnavailable, relayFigures } from './relay-bench';
import { buildFsyncDelay, fdatasyncMs, slowDiskRun, type SlowDiskFigures } from './slow-disk-bench';
import { figure, paired, type Figure } from './stats';
import { writePath } from './write-path-bench';

/**
 * npm run bench [-- --quick]: every figure is a median over repeated runs
 * (min and max kept), compared with a baseline measured in the same run.
 */
const quick = process.argv.includes('--quick');
/** `--only=append,peer,http,disk,arrays,rebuild,baseline,estate,relay,curve`: run those sections only. */
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const runs = (section: string) => !only || only.includes(section);
/** `--curve=10k,100k,1m`: the log sizes of the cost curve, instead of the mode's. */
const curveSizes = process.argv
  .find((arg) => arg.startsWith('--curve='))
  ?.slice('--curve='.length)
  .split(',')
  .map((size) => {
    const match = /^(\d+)([km]?)$/i.exec(size);
    if (!match) throw new Error(`--curve=${size}: give sizes such as 10k, 100k, 1m`);
    return Number(match[1]) * ({ k: 1000, m: 1_000_000 }[match[2]!.toLowerCase()] ?? 1);
  });
const settings = quick
  ? {
      runs: 3,
      appendCount: 300,
      batchedCount: 4000,
      writers: 64,
      writePath: { cis: 1000, rounds: 3, writers: 16 },
      peerCount: 500,
      // One run of each HTTP load, each side, and a smaller log: quick mode keeps to ~3 minutes on a slow machine.
      httpRuns: 1,
      httpVariantRuns: 1,
      httpSeconds: 2,
      httpCis: 500,
      // Quick mode keeps to the 16 connections of every load: its three minutes have no room for more.
      httpConnections: [],
      httpCold: { cis: 10_000, runs: 1 },
      httpReadRuns: 1,
      // Each fsync as this disk does it, then 5 ms slower.
      slowDisk: { delaysMs: [0, 5], runs: 1 },
      rebuildRuns: 1,
      cis: 4_000,
      rounds: 10,
      samples: 500,
      curve: [10_000, 25_000],
      deep: { cis: 20, revisions: 1000, hot: 10_000 },
    }
  : {
      runs: 5,
      appendCount: 1000,
      batchedCount: 20_000,
      writers: 64,
      writePath: { cis: 1000, rounds: 10, writers: 16 },
      peerCount: 2000,
      httpRuns: 3,
      httpVariantRuns: 3,
      httpSeconds: 10,
      httpCis: 1000,
      // PUTs on fewer and on more connections than the 16 of every other load.
      httpConnections: [4, 64],
      httpCold: { cis: 100_000, runs: 3 },
      httpReadRuns: 3,
      // Each fsync as this disk does it, 1 ms slower (a fast network volume), 5 ms (a slow one, a busy array).
      slowDisk: { delaysMs: [0, 1, 5], runs: 3 },
      rebuildRuns: 3,
      cis: 100_000,
      rounds: 10,
      samples: 5000,
      curve: [10_000, 100_000, 1_000_000, 10_000_000],
      deep: { cis: 1000, revisions: 1000, hot: 10_000 },
    };

interface Row {
  readonly name: string;
  readonly value: Figure;
  readonly unit: string;
  readonly target?: { readonly text: string; readonly met: boolean };
}

const rows: Row[] = [];
const workDir = mkdtempSync(path.join(tmpdir(), 'cl-bench-'));

function log(message: string) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function add(name: string, value: Figure, unit: string, target?: { text: string; check: (median: number) => boolean }) {
  rows.push({
    name,
    value,
    unit,
    ...(target ? { target: { text: target.text, met: target.check(value.median) } } : {}),
  });
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(3));

async function appendPath() {
  log(
    `append path: ${settings.appendCount} single appends, ${settings.batchedCount} batched (${settings.writers} writers), ${settings.runs} runs`,
  );
  const single = await paired(
    settings.runs,
    () => oursSingle(workDir, settings.appendCount),
    () => rawSingle(workDir, settings.appendCount),
  );
  add('append, single (ours)', single.ours, 'appends/s');
  add('append, single (raw better-sqlite3, fsync each)', single.baseline, 'inserts/s');
  add('append, single: ours / raw', single.ratio, 'ratio', { text: '≥ 0.5', check: (r) => r >= 0.5 });
  const batched = await paired(
    settings.runs,
    () => oursBatched(workDir, settings.batchedCount, settings.writers),
    () => rawBatched(workDir, settings.batchedCount, settings.writers),
  );
  add(`append, batched (ours, ${settings.writers} concurrent writers)`, batched.ours, 'appends/s');
  add(`append, batched (raw, ${settings.writers} rows per transaction)`, batched.baseline, 'inserts/s');
  add('append, batched: ours / raw', batched.ratio, 'ratio', { text: '≥ 0.5', check: (r) => r >= 0.5 });
  const { cis, rounds, writers } = settings.writePath;
  log(`write path in process: PUTs to ${cis} CIs, ${rounds} rounds, ${writers} writers, ${settings.runs} runs`);
  const writes = [];
  for (let run = 0; run < settings.runs; run++) writes.push(await writePath(workDir, cis, rounds, writers));
  const name = `write path in process (PUTs decided and appended, ${writers} writers, commit thread)`;
  add(`${name}: writes`, figure(writes.map((w) => w.writesPerSecond)), 'writes/s');
  const eventLoopUs = writes.flatMap((w) => (w.eventLoopUs === undefined ? [] : [w.eventLoopUs]));
  if (eventLoopUs.length > 0) add(`${name}: event loop CPU per write`, figure(eventLoopUs), 'µs');
}

async function peer() {
  if (!emmettAvailable()) {
    log('peer: skipped, Emmett is not installed (npm --prefix bench ci)');
    return;
  }
  // One writer: each append waits for its own durable commit, on every store alike. (Emmett's SQLite
  // store runs its transactions on its one connection: concurrent appends would share a transaction.)
  const postgresMissing = await postgresPeerUnavailable();
  log(
    `peer: ${settings.peerCount} events, 1 writer, 10 events per stream, then read back, ${settings.runs} runs; ` +
      `Emmett 0.42 on SQLite (one connection, synchronous=FULL)` +
      (postgresMissing ? `; Emmett PostgreSQL skipped: ${postgresMissing}` : ' and on PostgreSQL'),
  );
  const ours: { appendsPerSecond: number; readsPerSecond: number }[] = [];
  const emmett: typeof ours = [];
  const postgres: typeof ours = [];
  let durability = '';
  for (let run = 0; run < settings.runs; run++) {
    ours.push(await oursPeerWorkload(workDir, settings.peerCount, 1, 10));
    emmett.push(await emmettPeerWorkload(workDir, settings.peerCount, 1, 10));
    if (!postgresMissing) {
      const result = await emmettPostgresPeerWorkload(settings.peerCount, 1, 10);
      durability = Object.entries(result.durability)
        .map(([name, value]) => `${name}=${value}`)
        .join(', ');
      postgres.push(result);
    }
  }
  // Each ratio is the median of the per-run ratios (each run pairs the stores back to back); the
  // two sides beside it are each side's own median, which need not divide to the same number.
  add('peer append (ours)', figure(ours.map((r) => r.appendsPerSecond)), 'appends/s');
  add('peer append (Emmett SQLite)', figure(emmett.map((r) => r.appendsPerSecond)), 'appends/s');
  add(
    'peer append: ours / Emmett SQLite (median of per-run ratios)',
    figure(ours.map((r, i) => r.appendsPerSecond / emmett[i]!.appendsPerSecond)),
    'ratio',
    { text: '> 1', check: (r) => r > 1 },
  );
  add('peer read (ours)', figure(ours.map((r) => r.readsPerSecond)), 'events/s');
  add('peer read (Emmett SQLite)', figure(emmett.map((r) => r.readsPerSecond)), 'events/s');
  add(
    'peer read: ours / Emmett SQLite (median of per-run ratios)',
    figure(ours.map((r, i) => r.readsPerSecond / emmett[i]!.readsPerSecond)),
    'ratio',
    { text: '> 1', check: (r) => r > 1 },
  );
  if (postgres.length === 0) return;
  add(`peer append (Emmett PostgreSQL, ${durability})`, figure(postgres.map((r) => r.appendsPerSecond)), 'appends/s');
  add(
    'peer append: ours / Emmett PostgreSQL (median of per-run ratios)',
    figure(ours.map((r, i) => r.appendsPerSecond / postgres[i]!.appendsPerSecond)),
    'ratio',
    { text: '> 1', check: (r) => r > 1 },
  );
  add('peer read (Emmett PostgreSQL)', figure(postgres.map((r) => r.readsPerSecond)), 'events/s');
  add(
    'peer read: ours / Emmett PostgreSQL (median of per-run ratios)',
    figure(ours.map((r, i) => r.readsPerSecond / postgres[i]!.readsPerSecond)),
    'ratio',
    { text: '> 1', check: (r) => r > 1 },
  );
}

async function http() {
  if (!autocannonAvailable()) {
    log('HTTP: skipped, autocannon is not installed (npm --prefix bench ci)');
    return;
  }
  const writeTarget = { text: '≥ 0.4', check: (r: number) => r >= 0.4 };
  for (const method of ['PUT', 'PATCH'] as const) {
    log(
      `HTTP ${method}: 16 connections, ${settings.httpSeconds} s, ${settings.httpCis} CIs, ${settings.httpRuns} runs`,
    );
    const runs: WriteRun[] = [];
    for (let run = 0; run < settings.httpRuns; run++)
      runs.push(await httpRun(method, settings.httpSeconds, settings.httpCis));
    addLoad(`HTTP ${method} changes`, runs, writeTarget);
    addEventsPerCommit(`HTTP ${method} changes`, runs);
  }
  // The figures above run the service with its log silent, as bare express has none; `npm start`
  // logs every request at info. What that costs, on the same PUTs:
  log(`HTTP PUT with the request log on (LOG_LEVEL=info, to /dev/null), ${settings.httpVariantRuns} runs`);
  const logged: { ours: LoadFigures; bare: LoadFigures }[] = [];
  for (let run = 0; run < settings.httpVariantRuns; run++)
    logged.push(await httpRun('PUT', settings.httpSeconds, settings.httpCis, 'info'));
  addLoad('HTTP PUT changes, request log on (LOG_LEVEL=info)', logged);
  // What the fsync of every commit costs: the same PUTs with SQLITE_SYNCHRONOUS=normal, which
  // survives a crash of the process but may lose the last commits on a power loss.
  log(`HTTP PUT with SQLITE_SYNCHRONOUS=normal (no fsync per commit), ${settings.httpVariantRuns} runs`);
  const unsynced: { ours: LoadFigures; bare: LoadFigures }[] = [];
  for (let run = 0; run < settings.httpVariantRuns; run++)
    unsynced.push(await httpRun('PUT', settings.httpSeconds, settings.httpCis, undefined, 'normal'));
  addLoad('HTTP PUT changes, SQLITE_SYNCHRONOUS=normal', unsynced);
  // The log's group commit shares each commit among the writes that wait for it: how many clients write at
  // once decides how large the commits are, and so what each write costs. Bare express writes nothing.
  for (const connections of settings.httpConnections) {
    log(`HTTP PUT on ${connections} connections, ${settings.httpVariantRuns} runs`);
    const runs: WriteRun[] = [];
    for (let run = 0; run < settings.httpVariantRuns; run++)
      runs.push(await httpRun('PUT', settings.httpSeconds, settings.httpCis, undefined, undefined, connections));
    addLoad(`HTTP PUT changes, ${connections} connections`, runs);
    addEventsPerCommit(`HTTP PUT changes, ${connections} connections`, runs);
  }
  const { cis: coldCis, runs: coldRuns } = settings.httpCold;
  for (const method of ['PUT', 'PATCH'] as const) {
    log(`HTTP ${method}, working set of ${coldCis.toLocaleString('en-US')} CIs picked at random, ${coldRuns} runs`);
    const runs: { ours: LoadFigures; bare: LoadFigures }[] = [];
    for (let run = 0; run < coldRuns; run++)
      runs.push(await httpColdRun(method, settings.httpSeconds, coldCis, 1 + run));
    addLoad(`HTTP ${method} changes, ${coldCis.toLocaleString('en-US')} CIs at random`, runs, writeTarget);
  }
  log(`HTTP reads and a mixed load: ${settings.httpCis} CIs of 2 revisions, ${settings.httpSeconds} s each`);
  const reads: ReadFigures[] = [];
  for (let run = 0; run < settings.httpReadRuns; run++)
    reads.push(await httpReadRun(settings.httpSeconds, settings.httpCis));
  for (const workload of READ_WORKLOADS)
    addLoad(
      `HTTP GET ${workload}`,
      reads.map((r) => ({ ours: r.ours[workload], bare: r.bare[workload] })),
      { text: '≥ 0.6', check: (r) => r >= 0.6 },
    );
  for (const p of ['p50Ms', 'p99Ms'] as const)
    add(
      `HTTP GET as-of / current, ${p.slice(0, 3)} latency (16 connections)`,
      figure(reads.map((r) => r.ours['as-of'][p] / r.ours.current[p])),
      'ratio',
      { text: '≤ 1.5', check: (r) => r <= 1.5 },
    );
  addLoad(
    'HTTP mixed, 4 GETs (current, as-of, list, history) to 1 PATCH',
    reads.map((r) => ({ ours: r.ours.mixed, bare: r.bare.mixed })),
  );
}

/**
 * The service on a disk whose flushes are slower than this one's: what a
 * commit waiting for the disk costs the writes, and the reads that arrive
 * meanwhile. No bare express beside it: its endpoints write nothing to disk.
 */
async function slowDisk() {
  if (!autocannonAvailable()) {
    log('slow disk: skipped, autocannon is not installed (npm --prefix bench ci)');
    return;
  }
  const shim = buildFsyncDelay(workDir);
  if ('unavailable' in shim) {
    log(`slow disk: skipped, ${shim.unavailable}`);
    return;
  }
  add("this disk's fdatasync after a 4 KiB write, p50 of 200", figure([fdatasyncMs(workDir)]), 'ms');
  const { delaysMs, runs } = settings.slowDisk;
  log(
    `slow disk: PUTs on 8 connections and GETs of one CI on 8 more, at once, ${settings.httpSeconds} s, ` +
      `${settings.httpCis} CIs, every fsync delayed by ${delaysMs.join(', ')} ms, ${runs} runs each`,
  );
  for (const delayMs of delaysMs) {
    const measured: SlowDiskFigures[] = [];
    for (let run = 0; run < runs; run++)
      measured.push(await slowDiskRun(shim.library, delayMs, settings.httpSeconds, settings.httpCis));
    const name = delayMs === 0 ? 'slow disk, fsync as this disk' : `slow disk, fsync +${delayMs} ms`;
    const pick = (f: (m: SlowDiskFigures) => number) => figure(measured.map(f));
    for (const [label, side] of [
      ['PUT changes', 'puts'],
      ['GET one CI meanwhile', 'gets'],
    ] as const) {
      add(
        `${name}: ${label}`,
        pick((m) => m[side].requestsPerSecond),
        'req/s',
      );
      add(
        `${name}: ${label}, latency p50`,
        pick((m) => m[side].p50Ms),
        'ms',
      );
      add(
        `${name}: ${label}, latency p99`,
        pick((m) => m[side].p99Ms),
        'ms',
      );
    }
    add(
      `${name}: events per commit of the log`,
      pick((m) => m.eventsPerCommit),
      'events',
    );
  }
}

/** How many events each commit of the service's log carried during a write load. */
function addEventsPerCommit(name: string, runs: readonly WriteRun[]) {
  add(`${name}, events per commit of the log`, figure(runs.map((r) => r.eventsPerCommit)), 'events');
}

/** A load's throughput, its ratio to bare express, and the service's latency percentiles. */
function addLoad(
  name: string,
  runs: readonly { ours: LoadFigures; bare: LoadFigures }[],
  target?: { text: string; check: (r: number) => boolean },
) {
  add(`${name} (service)`, figure(runs.map((r) => r.ours.requestsPerSecond)), 'req/s');
  add(`${name} (bare express)`, figure(runs.map((r) => r.bare.requestsPerSecond)), 'req/s');
  add(
    `${name}: service / bare (median of per-run ratios)`,
    figure(runs.map((r) => r.ours.requestsPerSecond / r.bare.requestsPerSecond)),
    'ratio',
    target,
  );
  add(`${name}, service latency p50`, figure(runs.map((r) => r.ours.p50Ms)), 'ms');
  add(`${name}, service latency p99`, figure(runs.map((r) => r.ours.p99Ms)), 'ms');
  add(`${name}, bare latency p99`, figure(runs.map((r) => r.bare.p99Ms)), 'ms');
  // Where a request's CPU goes (Linux): the service's event loop, all its threads, the bare endpoint's.
  const ours = runs.map((r) => r.ours.cpu);
  const bare = runs.map((r) => r.bare.cpu);
  if (ours.every((cpu) => cpu !== undefined) && bare.every((cpu) => cpu !== undefined)) {
    add(`${name}, service CPU per request, main thread`, figure(ours.map((cpu) => cpu.mainUs)), 'µs');
    add(`${name}, service CPU per request, all threads`, figure(ours.map((cpu) => cpu.allUs)), 'µs');
    add(`${name}, bare CPU per request, main thread`, figure(bare.map((cpu) => cpu.mainUs)), 'µs');
    add(`${name}, bare CPU per request, all threads`, figure(bare.map((cpu) => cpu.allUs)), 'µs');
    add(`${name}, machine busy during the service's load`, figure(ours.map((cpu) => cpu.machineBusy)), 'ratio');
  }
}

async function rebuildAndQueries() {
  const dir = path.join(workDir, 'log');
  mkdirSync(dir);
  const total = settings.cis * settings.rounds;
  log(
    `generating a log of ${total.toLocaleString('en-US')} events (${settings.cis} CIs × ${settings.rounds} changes)…`,
  );
  let lastReport = 0;
  await generateLog(dir, settings.cis, settings.rounds, (done) => {
    if (done - lastReport >= total / 10 || done === total) {
      lastReport = done;
      log(`  ${Math.round((done / total) * 100)}% (${done.toLocaleString('en-US')} events)`);
    }
  });
  const { rebuildRuns } = settings;
  const threads = defaultRebuildThreads();
  log(
    `rebuilding every view from the log, ${rebuildRuns} runs: ${threads} worker threads (the default), one thread, a raw read`,
  );
  const rebuilds: ChildResult[] = [];
  const oneThread: ChildResult[] = [];
  const raws: ChildResult[] = [];
  const removeViews = (file: string) => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(dir, file + suffix), { force: true });
  };
  for (let run = 0; run < rebuildRuns; run++) {
    raws.push(await runChild(dir, 'raw'));
    oneThread.push(await runChild(dir, 'rebuild', 'views-one.db', undefined, 1));
    removeViews('views-one.db');
    // The last run's views are the ones the queries below read.
    const viewsFile = run === rebuildRuns - 1 ? 'views.db' : `views-${run}.db`;
    rebuilds.push(await runChild(dir, 'rebuild', viewsFile, undefined, threads));
    if (viewsFile !== 'views.db') removeViews(viewsFile);
  }
  const events = total.toLocaleString('en-US');
  add(
    `rebuild all views (${events} events), ${threads} worker threads`,
    figure(rebuilds.map((r) => r.eventsPerSecond)),
    'events/s',
    {
      text: '≥ 100,000',
      check: (v) => v >= 100_000,
    },
  );
  add(`rebuild all views, one thread`, figure(oneThread.map((r) => r.eventsPerSecond)), 'events/s');
  add(
    `rebuild, ${threads} threads / one thread (median of per-run ratios)`,
    figure(rebuilds.map((r, i) => r.eventsPerSecond / oneThread[i]!.eventsPerSecond)),
    'ratio',
  );
  add(
    "rebuild ceiling: events / the one SQLite writer's own time (inserts, commits, index builds)",
    figure(rebuilds.map((r) => r.writerEventsPerSecond!)),
    'events/s',
  );
  // What holds the rebuild, whatever the split: at 100,000 events/s, two cores allow 20 µs of CPU per event.
  add(
    `rebuild CPU per event, all threads, ${threads} worker threads`,
    figure(rebuilds.map((r) => r.cpuPerEventUs!)),
    'µs',
  );
  add('rebuild CPU per event, one thread', figure(oneThread.map((r) => r.cpuPerEventUs!)), 'µs');
  add(
    `rebuild, cores kept busy (CPU / wall time), ${threads} worker threads, of ${threads}`,
    figure(rebuilds.map((r) => r.coresBusy!)),
    'cores',
  );
  add('raw read of the same log', figure(raws.map((r) => r.eventsPerSecond)), 'events/s');
  add('rebuild / raw read', figure(rebuilds.map((r, i) => r.eventsPerSecond / raws[i]!.eventsPerSecond)), 'ratio');
  add(`rebuild peak RSS, ${threads} threads`, figure(rebuilds.map((r) => r.maxRssMb)), 'MB', {
    text: '≤ 300',
    check: (v) => v <= 300,
  });
  add('rebuild peak RSS, one thread', figure(oneThread.map((r) => r.maxRssMb)), 'MB', {
    text: '≤ 300',
    check: (v) => v <= 300,
  });

  // A new or emptied views file, a changed layout or projection version: the service loads the
  // views itself before it follows the log (bulk, in its projection worker and rebuild-views' default worker threads).
  const startRuns = quick ? 1 : 2;
  log(`the service started on the log with no views, until ready: ${startRuns} runs`);
  const fromNothing: number[] = [];
  for (let run = 0; run < startRuns; run++) {
    const dataDir = path.join(workDir, `no-views-${run}`);
    mkdirSync(dataDir);
    copyFileSync(path.join(dir, 'events.db'), path.join(dataDir, 'events.db'));
    fromNothing.push(await startToReady(dataDir));
    rmSync(dataDir, { recursive: true, force: true });
  }
  add(`service start to ready with no views (${events} events)`, figure(fromNothing), 'ms');

  log(
    `as-of queries: ${Math.max(settings.samples, SINGLE_CI_SAMPLES)} samples of each single-CI read, ${settings.samples} of each page and walk`,
  );
  const latencies: Awaited<ReturnType<typeof asOfLatencies>>[] = [];
  for (let run = 0; run < (quick ? 1 : 3); run++)
    latencies.push(await asOfLatencies(dir, settings.cis, settings.rounds, settings.samples));
  const pick = (f: (l: (typeof latencies)[number]) => number) => figure(latencies.map(f));
  add(
    'current state, one CI, p50',
    pick((l) => l.current.p50Ms),
    'ms',
  );
  add(
    'current state, one CI, p99',
    pick((l) => l.current.p99Ms),
    'ms',
  );
  add(
    'as-of, one CI, p50',
    pick((l) => l.asOfSingle.p50Ms),
    'ms',
  );
  add(
    'as-of, one CI, p99',
    pick((l) => l.asOfSingle.p99Ms),
    'ms',
  );
  add(
    'as-of one CI p50 / current p50 (sampled in turn)',
    pick((l) => l.asOfSingle.p50Ms / l.current.p50Ms),
    'ratio',
    { text: '≤ 1.5', check: (r) => r <= 1.5 },
  );
  add(
    'as-of one CI p99 / current p99',
    pick((l) => l.asOfSingle.p99Ms / l.current.p99Ms),
    'ratio',
    { text: '≤ 1.5', check: (r) => r <= 1.5 },
  );
  add(
    'as-of, whole inventory, 100-item page, p50',
    pick((l) => l.inventoryPage.p50Ms),
    'ms',
  );
  add(
    'as-of, whole inventory, 100-item page, p99',
    pick((l) => l.inventoryPage.p99Ms),
    'ms',
    { text: '≤ 20 ms', check: (v) => v <= 20 },
  );

  add(
    'incoming edges of one CI (now), p99',
    pick((l) => l.incoming.p99Ms),
    'ms',
  );
  add(
    'incoming edges p99 / current state p99 (interleaved)',
    pick((l) => l.incoming.p99Ms / l.currentAgain.p99Ms),
    'ratio',
    { text: '≤ 2', check: (r) => r <= 2 },
  );
  add(
    'impact, dependents, depth 5, as of a past instant, p50',
    pick((l) => l.impactDependents.p50Ms),
    'ms',
  );
  add(
    'impact, dependents, depth 5, as of a past instant, p99',
    pick((l) => l.impactDependents.p99Ms),
    'ms',
    { text: '≤ 50 ms', check: (v) => v <= 50 },
  );
  add(
    'impact, dependencies, depth 5, as of a past instant, p99',
    pick((l) => l.impactDependencies.p99Ms),
    'ms',
    { text: '≤ 50 ms', check: (v) => v <= 50 },
  );
  add(
    'impact: CIs reached per walk (mean)',
    pick((l) => l.impactReachedMean),
    'CIs',
  );

  for (const name of ['events.db', 'views.db']) {
    const db = new Database(path.join(dir, name));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  const size = (name: string) =>
    ['', '-wal'].reduce(
      (sum, s) => sum + (existsSync(path.join(dir, name + s)) ? statSync(path.join(dir, name + s)).size : 0),
      0,
    );
  add('log on disk per event', figure([size('events.db') / total]), 'bytes');
  add('views on disk per event', figure([size('views.db') / total]), 'bytes');
  add('views / log (amplification)', figure([size('views.db') / size('events.db')]), 'ratio');
}

async function baselines() {
  const rounds = 3;
  const dir = path.join(workDir, 'baseline-log');
  mkdirSync(dir);
  log(
    `baselines: a log of ${settings.cis.toLocaleString('en-US')} CIs × ${rounds} changes; take now, as of an instant, at a position; diff`,
  );
  await generateLog(dir, settings.cis, rounds, () => undefined);
  const baseline = await baselineFigures(dir, settings.cis, rounds);
  const ofAll = `${baseline.members.toLocaleString('en-US')} CIs`;
  add(`take a baseline of ${ofAll}, now`, figure([baseline.takeNowSeconds]), 's', {
    text: '≤ 10 s',
    check: (v) => v <= 10,
  });
  add(`take a baseline of ${ofAll}, as of an instant`, figure([baseline.takeAsOfSeconds]), 's', {
    text: '≤ 10 s',
    check: (v) => v <= 10,
  });
  add(`take a baseline of ${ofAll}, at a log position`, figure([baseline.takePositionSeconds]), 's', {
    text: '≤ 30 s',
    check: (v) => v <= 30,
  });
  add('baseline storage per CI', figure([baseline.bytesPerMember]), 'bytes');
  add(
    'baseline storage / copying the documents',
    figure([baseline.bytesPerBaseline / baseline.copiedDocumentBytes]),
    'ratio',
    {
      text: '≤ 0.1',
      check: (v) => v <= 0.1,
    },
  );
  add('diff a baseline against now (unchanged)', figure([baseline.diffNowSeconds]), 's');
  add(
    `diff two baselines (${baseline.diffChanged.toLocaleString('en-US')} CIs differ)`,
    figure([baseline.diffBaselinesSeconds]),
    's',
  );
}

/**
 * PUTs of a CI holding a long array (a server's installed packages), 1% of it
 * changed each time: the diff of its arrays is bounded (src/domain/json-diff.ts);
 * rfc6902's own array diff beside it, in-process, at sizes it can still finish.
 */
async function arrays() {
  const requests = quick ? 10 : 50;
  const sizes = quick ? [1_000, 3_000] : [1_000, 3_000, 20_000];
  log(`arrays: PUTs changing 1% of a ${sizes.join(' / ')}-element array, ${requests} each; one diff at 100 and 300`);
  const puts = await putLargeArrays(sizes, requests);
  sizes.forEach((count, i) =>
    add(
      `PUT of a CI with a ${count.toLocaleString('en-US')}-element array, 1% of it changed, one connection`,
      puts[i]!,
      'ms',
    ),
  );
  // Every element moves: the array is replaced whole, in one operation (src/domain/json-diff.ts).
  const longest = sizes.at(-1)!;
  const [reordered] = await putLargeArrays([longest], requests, reorderedPackagesDocument);
  add(
    `PUT of a CI with a ${longest.toLocaleString('en-US')}-element array, reversed, one connection`,
    reordered!,
    'ms',
  );
  for (const count of [100, 300]) {
    const { ours, rfc6902 } = arrayDiffTimes(count, quick ? 3 : 5);
    const of = `${count}-element array, 1% changed`;
    add(`diff of a ${of} (ours: Myers, jsdiff)`, ours, 'ms');
    add(`diff of a ${of} (rfc6902's array diff, before)`, rfc6902, 'ms');
  }
  const server = serverDiffMicros(quick ? 5_000 : 30_000, quick ? 3 : 5);
  add("diff of the HTTP section's PUT documents (ours)", server.ours, 'µs');
  add("diff of the HTTP section's PUT documents (rfc6902 alone, before)", server.rfc6902, 'µs');
}

async function estate() {
  const cis = settings.cis;
  log(`estate: import ${cis.toLocaleString('en-US')} CIs over HTTP, again, reconcile a snapshot, time the reports`);
  const result = await estateFigures(cis, quick ? 100 : 300);
  add(
    `import ${cis.toLocaleString('en-US')} CIs end to end (POST /imports, fsync)`,
    figure([result.importCisPerSecond]),
    'CIs/s',
    {
      text: '≥ 10,000',
      check: (v) => v >= 10_000,
    },
  );
  const cpu = result.importCpu;
  if (cpu) {
    add('import, service CPU per CI, main thread', figure([cpu.mainUs]), 'µs');
    add('import, service CPU per CI, all threads', figure([cpu.allUs]), 'µs');
    add('import, the sending process CPU per CI', figure([cpu.clientUs]), 'µs');
    add('import, machine busy meanwhile', figure([cpu.machineBusy]), 'ratio');
  }
  add('import the same file again (appends nothing)', figure([result.reimportSeconds]), 's');
  add(
    `reconcile a snapshot of ${cis.toLocaleString('en-US')} CIs (${result.reconcileFindings.toLocaleString('en-US')} findings)`,
    figure([result.reconcileSeconds]),
    's',
    {
      text: '< 60 s',
      check: (v) => v < 60,
    },
  );
  add('service peak RSS, reconciling (a process started for it)', figure([result.servicePeakRssMb]), 'MB', {
    text: '≤ 300',
    check: (v) => v <= 300,
  });
  add('service RSS once started, idle (for comparison)', figure([result.startRssMb]), 'MB');
  for (const [name, figures] of Object.entries(result.reports)) {
    add(`report ${name}, p99`, figure([figures.p99Ms]), 'ms', { text: '≤ 200 ms', check: (v) => v <= 200 });
  }
}

const short = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/** The cost curve: the same questions as the log grows, and of deep histories. */
async function curve() {
  const samples = Math.min(settings.samples, quick ? 300 : 2000);
  for (const events of curveSizes ?? settings.curve) {
    log(`curve: a log of ${events.toLocaleString('en-US')} events (at most 100,000 CIs), generated, caught up, read`);
    const point = await curvePoint(workDir, events, samples, (text) => log(`  curve ${short(events)}: ${text}`));
    const at = `@ ${short(point.events)} events (${short(point.cis)} CIs)`;
    add(`curve ${at}: log bytes per event`, figure([point.logBytesPerEvent]), 'bytes');
    add(`curve ${at}: views bytes per event`, figure([point.viewBytesPerEvent]), 'bytes');
    add(`curve ${at}: live runner catch-up from empty views`, figure([point.catchUpEventsPerSecond]), 'events/s');
    add(`curve ${at}: service start to ready, existing log`, figure([point.startToReadyMs]), 'ms');
    for (const [name, latency] of [
      ['current state of one CI', point.current],
      ['one CI as of an instant', point.asOf],
      ['inventory page (100) as of an instant', point.inventoryPage],
      ['change feed by a rare, old actor (100)', point.feedByActor],
      ['change feed by change reference (100)', point.feedByChangeRef],
      ['change feed by a rare type (100)', point.feedByType],
    ] as const) {
      add(`curve ${at}: ${name}, p50`, figure([latency.p50Ms]), 'ms');
      add(`curve ${at}: ${name}, p99`, figure([latency.p99Ms]), 'ms');
    }
  }
  const { cis, revisions, hot } = settings.deep;
  log(`deep histories: ${cis} CIs × ${revisions} revisions, and two CIs of ${hot.toLocaleString('en-US')} revisions`);
  const deep = await deepHistory(workDir, cis, revisions, hot, samples);
  const at = `${cis} CIs × ${revisions} revisions`;
  for (const [name, latency] of [
    [`inventory page (100) as of an instant, ${at}`, deep.inventoryPage],
    [`history, first page (1,000) of a CI of ${hot} revisions`, deep.historyFirstPage],
    [`history, last page (1,000) of a CI of ${hot} revisions`, deep.historyLastPage],
    [`diff of revision 1 and ${hot} of that CI`, deep.diffFirstToLast],
    [`that CI as of an instant`, deep.asOfHot],
    [`a write to that CI, not cached (as the first after a restart)`, deep.uncachedWrite],
    [`a restore of that CI to a revision at random, not cached`, deep.restore],
    [`a restore of a CI of ${hot} revisions written by the service, at random, not cached`, deep.servedRestore],
  ] as const) {
    add(`deep: ${name}, p50`, figure([latency.p50Ms]), 'ms');
    add(`deep: ${name}, p99`, figure([latency.p99Ms]), 'ms');
  }
  add(
    `deep: the first write to that CI, not cached, on a log written without the service`,
    figure([deep.firstUncachedWriteMs]),
    'ms',
  );
}

async function relay() {
  const unavailable = relayBenchUnavailable();
  if (unavailable) {
    log(`relay: skipped, ${unavailable}`);
    return;
  }
  const [cis, rounds, seconds] = quick ? [1000, 10, 3] : [10_000, 10, 15];
  log(`relay to a real Kafka broker: ${cis * rounds} events caught up, then ${seconds} s of HTTP writes (16 writers)`);
  const result = await relayFigures(cis, rounds, 16, seconds);
  add(
    `relay catch-up to Kafka (${result.catchUpEvents.toLocaleString('en-US')} events)`,
    figure([result.catchUpEventsPerSecond]),
    'events/s',
  );
  add('HTTP writes while relaying (16 writers)', figure([result.liveWritesPerSecond]), 'writes/s');
  add('relay lag under those writes, p50', figure([result.lagP50]), 'events');
  add('relay lag under those writes, p99', figure([result.lagP99]), 'events');
  add('relay lag under those writes, max', figure([result.lagMax]), 'events');
  add('relay drain after the writes stop', figure([result.drainMs]), 'ms');
}

function printTable() {
  const header = ['figure', 'median', 'min', 'max', 'unit', 'target'];
  const lines = rows.map((row) => [
    row.name,
    fmt(row.value.median),
    fmt(row.value.min),
    fmt(row.value.max),
    row.unit,
    row.target ? `${row.target.text} ${row.target.met ? 'met' : 'NOT MET'}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i >= 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(render(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(render(line));
}

async function main() {
  const started = new Date();
  // Each section's own duration, so the quick mode's budget and the full mode's length can be read per section.
  const sectionSeconds: Record<string, number> = {};
  log(`ConfigLedger benchmark, ${quick ? 'quick' : 'full'} mode, in ${workDir}`);
  try {
    for (const [section, body] of [
      ['append', appendPath],
      ['peer', peer],
      ['http', http],
      ['disk', slowDisk],
      ['arrays', arrays],
      ['rebuild', rebuildAndQueries],
      ['baseline', baselines],
      ['estate', estate],
      ['relay', relay],
      ['curve', curve],
    ] as const) {
      if (!runs(section)) continue;
      const sectionStarted = Date.now();
      await body();
      sectionSeconds[section] = (Date.now() - sectionStarted) / 1000;
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  printTable();
  const resultsDir = path.resolve(__dirname, '../../bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${started.toISOString().replace(/[:.]/g, '-')}-${quick ? 'quick' : 'full'}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ mode: quick ? 'quick' : 'full', started: started.toISOString(), seconds: (Date.now() - started.getTime()) / 1000, sectionSeconds, machine: describeMachine(), settings, rows }, null, 2)}\n`,
  );
  log(`results written to ${path.relative(process.cwd(), file)}`);
  const missed = rows.filter((row) => row.target && !row.target.met);
  if (missed.length > 0) log(`targets not met: ${missed.map((row) => row.name).join('; ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
