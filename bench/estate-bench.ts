import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { serverDocument } from './fixtures';
import { cpuPerRequest, sampleCpu, type CpuPerRequest } from './process-cpu';
import { latencyOf, nowMs, type LatencyFigures } from './stats';

/**
 * The configuration manager's bulk work against the real service (a child
 * process, fsync on every commit, projections in their worker thread, as
 * `npm start` runs it), over HTTP: import an estate, import it again,
 * reconcile a snapshot, and time the reports.
 */
export interface EstateFigures {
  readonly cis: number;
  readonly importCisPerSecond: number;
  /**
   * What the import cost per CI: the service's CPU (its event loop, and all
   * its threads: the projection worker keeps the views of every CI imported),
   * and this process's own, which sends the lines and reads the results, on
   * the same cores. Undefined where there is no /proc.
   */
  readonly importCpu?: CpuPerRequest & { readonly clientUs: number };
  readonly reimportSeconds: number;
  readonly reconcileSeconds: number;
  readonly reconcileFindings: number;
  /** The peak resident set (VmHWM) of a service started afresh and given the reconciliation. */
  readonly servicePeakRssMb: number;
  /** The same, just started and idle: what the service holds before any of the work. */
  readonly startRssMb: number;
  readonly reports: Record<'statusNow' | 'statusAsOf' | 'transitions' | 'renewals', LatencyFigures>;
}

/** One line per CI; every fourth has a warranty ending within the coming year, so renewals have work. */
function* estateLines(cis: number, change: number, skip?: (i: number) => boolean): Generator<string> {
  for (let i = 0; i < cis; i++) {
    if (skip?.(i)) continue;
    const { status: _status, ...doc } = serverDocument(i, change, cis);
    const attributes = {
      ...doc.attributes,
      ...(i % 4 === 0 && { warrantyEnd: new Date(Date.now() + (i % 365) * 86_400_000).toISOString().slice(0, 10) }),
    };
    yield `${JSON.stringify({ id: `ci-${i}`, ...doc, attributes })}\n`;
  }
}

async function post(url: string, lines: Iterable<string>): Promise<Response> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-ndjson', 'X-Actor': 'bench' },
    body: Readable.toWeb(Readable.from(lines)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res;
}

function peakRssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function latencies(url: string, samples: number): Promise<LatencyFigures> {
  for (let i = 0; i < 20; i++) await (await fetch(url)).arrayBuffer();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = nowMs();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    times.push(nowMs() - start);
  }
  return latencyOf(times);
}

export async function estateFigures(cis: number, samples: number): Promise<EstateFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-estate-'));
  const start = async () => {
    const forked = fork(path.join(__dirname, 'http-target-service.js'), [dir], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const [message] = (await once(forked, 'message')) as [{ port: number }];
    return { child: forked, api: `http://127.0.0.1:${message.port}/api/v1` };
  };
  let { child, api } = await start();
  try {
    const startRssMb = peakRssMb(child);

    const cpuBefore = sampleCpu(child.pid!);
    const clientBefore = process.cpuUsage();
    let begin = nowMs();
    const imported = await (await post(`${api}/imports`, estateLines(cis, 0))).text();
    const importSeconds = (nowMs() - begin) / 1000;
    const client = process.cpuUsage(clientBefore);
    const serviceCpu = cpuPerRequest(cpuBefore, sampleCpu(child.pid!), cis);
    const summary = JSON.parse(imported.trim().split('\n').at(-1)!) as { summary?: { counts: { created: number } } };
    if (summary.summary?.counts.created !== cis) throw new Error(`import created ${JSON.stringify(summary)}`);
    const afterImport = new Date().toISOString();

    begin = nowMs();
    await (await post(`${api}/imports`, estateLines(cis, 0))).text();
    const reimportSeconds = (nowMs() - begin) / 1000;

    // Reconciled by a fresh process, so its peak RSS is the reconciliation's (and the caches it warms), not the import's.
    await stop(child);
    ({ child, api } = await start());

    // A discovery run: every tenth CI changed (a new kernel), every twentieth gone.
    begin = nowMs();
    const report = (await (
      await post(
        `${api}/reconciliations?source=bench&scope=type:server`,
        (function* () {
          for (const line of estateLines(cis, 0, (i) => i % 20 === 7)) {
            yield line.includes('"id":"ci-') && Number(/"id":"ci-(\d+)"/.exec(line)![1]) % 10 === 3
              ? line.replace('"kernel":"6.1.0"', '"kernel":"6.1.99"')
              : line;
          }
        })(),
      )
    ).json()) as { counts: { drift: number; missing: number } };
    const reconcileSeconds = (nowMs() - begin) / 1000;
    const servicePeakRssMb = peakRssMb(child);

    // Retire a few, so transitions have something to find.
    for (let i = 0; i < 50; i++) await fetch(`${api}/cis/ci-${i}`, { method: 'DELETE' });
    const reports = {
      statusNow: await latencies(`${api}/reports/status`, samples),
      statusAsOf: await latencies(`${api}/reports/status?asOf=${afterImport}`, samples),
      transitions: await latencies(`${api}/reports/transitions?since=1h`, samples),
      renewals: await latencies(`${api}/reports/renewals?within=90d`, samples),
    };
    return {
      cis,
      importCisPerSecond: cis / importSeconds,
      ...(serviceCpu && { importCpu: { ...serviceCpu, clientUs: (client.user + client.system) / cis } }),
      reimportSeconds,
      reconcileSeconds,
      reconcileFindings: report.counts.drift + report.counts.missing,
      servicePeakRssMb,
      startRssMb,
      reports,
    };
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.send('stop');
  await exited;
}
