import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { allProjections, type CurrentCi } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { BaselineCatalogue } from '../src/application/baseline-catalogue';
import { Baselines } from '../src/application/baselines';
import { CiCommandHandler } from '../src/application/ci-command-handler';
import { ViewsWait } from '../src/application/views-wait';
import type { ChangeMetadata } from '../src/domain';
import { systemClock } from '../src/ports/clock';
import { ProjectionRunner } from '../src/runtime/projection-runner';
import { BASE_TIME, recordedAtOf } from './log-generator';
import { nowMs } from './stats';

export interface BaselineFigures {
  /** Seconds to take a baseline of every CI: now, as of an instant, at a log position. */
  readonly takeNowSeconds: number;
  readonly takeAsOfSeconds: number;
  readonly takePositionSeconds: number;
  readonly members: number;
  /** Bytes the catalogue grew by per baseline, and per member. */
  readonly bytesPerBaseline: number;
  readonly bytesPerMember: number;
  /** What copying the members' documents would have taken instead (their JSON). */
  readonly copiedDocumentBytes: number;
  /** Seconds to diff the baseline taken now against now (nothing changed) and against the one as of the instant. */
  readonly diffNowSeconds: number;
  readonly diffBaselinesSeconds: number;
  readonly diffChanged: number;
}

const metadata: ChangeMetadata = {
  actor: 'bench',
  reason: null,
  changeRef: null,
  source: 'baseline',
  correlationId: null,
};

/** Baselines of the whole generated estate (every CI), on the log and views the rebuild section made. */
export async function baselineFigures(dir: string, cis: number, rounds: number): Promise<BaselineFigures> {
  const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
  const viewStore = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
  const catalogueFile = path.join(dir, `catalogue-${randomUUID()}.db`);
  const catalogueStore = new SqliteEventStore({ filename: catalogueFile });
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, pino({ level: 'silent' }));
  await runner.start();
  const head = await eventStore.headPosition();
  await runner.waitForPosition(head, 120_000);
  const wait = new ViewsWait({ eventStore, progress: runner, readWaitMs: 60_000 });
  const catalogue = new BaselineCatalogue({ catalogue: catalogueStore, clock: systemClock, newEventId: randomUUID });
  const commands = new CiCommandHandler({ eventStore, clock: systemClock, newEventId: randomUUID });
  const baselines = new Baselines({ eventStore, viewStore, wait, catalogue, commands });
  const size = () => {
    const db = new Database(catalogueFile);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return ['', '-wal'].reduce(
      (sum, s) => sum + (existsSync(catalogueFile + s) ? statSync(catalogueFile + s).size : 0),
      0,
    );
  };
  const timed = async <T>(run: () => Promise<T>): Promise<[number, T]> => {
    const start = nowMs();
    const result = await run();
    return [(nowMs() - start) / 1000, result];
  };
  try {
    const before = size();
    const [takeNowSeconds, now] = await timed(() =>
      baselines.take({ name: 'now', point: 'now', selector: {}, metadata }),
    );
    const afterOne = size();
    const midway = BASE_TIME + (recordedAtOf(rounds - 1, cis - 1) - BASE_TIME) / 2;
    const [takeAsOfSeconds] = await timed(() =>
      baselines.take({ name: 'midway', point: { asOf: midway }, selector: {}, metadata }),
    );
    const [takePositionSeconds] = await timed(() =>
      baselines.take({ name: 'position', point: { position: Math.floor(head / 2) }, selector: {}, metadata }),
    );
    const [diffNowSeconds] = await timed(() => baselines.diff('now', 'now'));
    const [diffBaselinesSeconds, diff] = await timed(() => baselines.diff('now', { baseline: 'midway' }));
    const documents = viewStore.find<CurrentCi>('currentCis', { limit: cis });
    const copiedDocumentBytes = (await documents).reduce((sum, ci) => sum + JSON.stringify(ci.document).length, 0);
    return {
      takeNowSeconds,
      takeAsOfSeconds,
      takePositionSeconds,
      members: now.members,
      bytesPerBaseline: afterOne - before,
      bytesPerMember: (afterOne - before) / now.members,
      copiedDocumentBytes,
      diffNowSeconds,
      diffBaselinesSeconds,
      diffChanged: diff.length,
    };
  } finally {
    await runner.stop();
    await eventStore.close();
    await viewStore.close();
    await catalogueStore.close();
  }
}
