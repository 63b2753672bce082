import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { toNewEvent } from '../src/application/ci-event-codec';
import { ciDocument, ciStreamName, diffDocuments, type CiDocument, type ChangeMetadata } from '../src/domain';
import { serverDocument } from './fixtures';

export const BASE_TIME = Date.UTC(2026, 0, 1);
/** Recorded time of change `round` of CI `index`: rounds are an hour apart, CIs 10 ms apart within a round. */
export const recordedAtOf = (round: number, index: number) => BASE_TIME + round * 3_600_000 + index * 10;

/** Who made each change, under which ticket, and each CI's type: all `discovery`, untracked, servers, unless told. */
export interface LogVariety {
  actorOf(index: number, round: number): string;
  changeRefOf(index: number, round: number): string | null;
  typeOf(index: number): string;
}

/**
 * Writes `cis` × `rounds` events through the event store's own append path
 * (validated events, group commit): a registration then `rounds - 1` changes
 * per CI, realistic server documents, interleaved across CIs as discovery
 * runs would be. Returns the number of events.
 */
export async function generateLog(
  dir: string,
  cis: number,
  rounds: number,
  onProgress: (done: number) => void,
  variety?: LogVariety,
): Promise<number> {
  const store = new SqliteEventStore({
    filename: path.join(dir, 'events.db'),
    synchronous: 'normal',
    maxGroupSize: 2000,
  });
  const metadataOf = (index: number, round: number): ChangeMetadata => ({
    actor: variety?.actorOf(index, round) ?? 'discovery',
    reason: 'scheduled scan',
    changeRef: variety?.changeRefOf(index, round) ?? null,
    source: 'discovery',
    correlationId: null,
  });
  const previous: CiDocument[] = [];
  const chunk = 2000;
  for (let round = 0; round < rounds; round++) {
    for (let from = 0; from < cis; from += chunk) {
      const appends: Promise<unknown>[] = [];
      for (let index = from; index < Math.min(cis, from + chunk); index++) {
        const server = serverDocument(index, round, cis);
        const document = ciDocument(variety ? { ...server, type: variety.typeOf(index) } : server);
        const event =
          round === 0
            ? { type: 'CiRegistered' as const, data: { ciId: `ci-${index}`, document } }
            : {
                type: 'CiChanged' as const,
                data: { ciId: `ci-${index}`, patch: diffDocuments(previous[index], document) },
              };
        previous[index] = document;
        const recordedAt = new Date(recordedAtOf(round, index)).toISOString();
        appends.push(
          store.append(
            ciStreamName(`ci-${index}`),
            [toNewEvent(event, metadataOf(index, round), recordedAt, randomUUID())],
            round,
          ),
        );
      }
      await Promise.all(appends);
      onProgress(round * cis + Math.min(cis, from + chunk));
    }
  }
  await store.close();
  return cis * rounds;
}
