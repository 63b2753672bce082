import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { CiCommandHandler } from '../src/application/ci-command-handler';
import { systemClock } from '../src/ports/clock';
import type { ChangeMetadata } from '../src/domain';
import { serverDocument } from './fixtures';
import { sampleCpu } from './process-cpu';
import { nowMs } from './stats';

export interface WritePathFigures {
  /** Microseconds of this process's main thread (the event loop) per write; undefined where /proc cannot tell. */
  readonly eventLoopUs: number | undefined;
  readonly writesPerSecond: number;
}

const METADATA: ChangeMetadata = {
  actor: 'discovery',
  onBehalfOf: null,
  reason: 'scheduled scan',
  changeRef: null,
  source: 'api',
  correlationId: null,
};

/**
 * The write path without HTTP: the command handler deciding and appending
 * PUTs of whole server documents (each a change, as the HTTP bench's) to
 * `cis` CIs in turn, `writers` at a time, on a log that commits on its own
 * thread with every commit fsynced, as `npm start` runs it. The event loop's
 * CPU per write is the figure: on two shared cores the HTTP loads' rates
 * move with the machine by more than a change of tens of microseconds here.
 * The commit thread's CPU is not counted (it is not the event loop's).
 */
export async function writePath(dir: string, cis: number, rounds: number, writers: number): Promise<WritePathFigures> {
  const store = new SqliteEventStore({
    filename: path.join(dir, `write-path-${randomUUID()}.db`),
    synchronous: 'full',
    commitThread: { scriptPath: path.resolve(__dirname, '../src/log-commit-thread.js') },
  });
  try {
    const handler = new CiCommandHandler({ eventStore: store, clock: systemClock, newEventId: randomUUID });
    let change = 0;
    const round = async () => {
      change += 1;
      let next = 0;
      const writer = async () => {
        for (let index = next++; index < cis; index = next++) {
          const desired = serverDocument(index, change);
          await handler.execute({ type: 'DeclareCi', ciId: `bench-${index}`, desired }, { metadata: METADATA });
        }
      };
      await Promise.all(Array.from({ length: writers }, writer));
    };
    await round(); // registrations
    await round(); // warm: every CI cached, as a service that has written them
    const before = sampleCpu(process.pid);
    const start = nowMs();
    for (let r = 0; r < rounds; r++) await round();
    const elapsed = nowMs() - start;
    const after = sampleCpu(process.pid);
    const writes = cis * rounds;
    return {
      eventLoopUs: before && after ? ((after.mainMs - before.mainMs) * 1000) / writes : undefined,
      writesPerSecond: (writes / elapsed) * 1000,
    };
  } finally {
    await store.close();
  }
}
