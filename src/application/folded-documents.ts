import { LRUCache } from 'lru-cache';
import { ciStreamName, evolveDocument, type CiDocument, type RecordedCiEvent } from '../domain';
import type { EventStore } from '../ports/event-store';
import { toRecordedCiEvent } from './ci-event-codec';
import { SNAPSHOT_EVERY, readCiSnapshot } from './ci-snapshots';

/** Streams folded at once when a page holds CIs not in the cache. */
const READ_CONCURRENCY = 16;

/**
 * The CI document right after each event, folded from the log alone: no view
 * is read, so a reader of the log (the relay) depends on nothing but the log.
 * Recently seen CIs are kept folded (bounded, least recently used first), so
 * a live page costs no read at all; a CI not in the cache is folded from its
 * stream once (from its snapshot on, where it has one), up to the revision
 * before its first event in the page.
 */
export class FoldedDocuments {
  private readonly cache: LRUCache<string, Folded>;

  constructor(
    private readonly eventStore: EventStore,
    maxEntries = 10_000,
  ) {
    this.cache = new LRUCache({ max: Math.max(1, maxEntries) });
  }

  /** For events in log order (each CI's in revision order): the document after each. */
  async after(events: readonly RecordedCiEvent[]): Promise<CiDocument[]> {
    // Each CI's state before its first event in the page, held for the page (the cache may be smaller than it).
    const states = new Map<string, Folded | undefined>();
    const missing: [string, number][] = [];
    for (const { ciId, revision } of events) {
      if (states.has(ciId)) continue;
      const cached = this.cache.get(ciId);
      if (revision === 1) states.set(ciId, undefined);
      else if (cached?.revision === revision - 1) states.set(ciId, cached);
      else missing.push([ciId, revision - 1]);
      if (!states.has(ciId)) states.set(ciId, undefined);
    }
    for (let i = 0; i < missing.length; i += READ_CONCURRENCY) {
      const folded = await Promise.all(missing.slice(i, i + READ_CONCURRENCY).map(([id, rev]) => this.fold(id, rev)));
      folded.forEach((state, index) => states.set(missing[i + index]![0], state));
    }
    const documents = events.map((event) => {
      const before = states.get(event.ciId);
      if ((before?.revision ?? 0) !== event.revision - 1) {
        throw new Error(
          `the log skips from revision ${before?.revision ?? 0} to ${event.revision} of CI ${event.ciId}`,
        );
      }
      const document = evolveDocument(before?.document, event.event);
      states.set(event.ciId, { revision: event.revision, document });
      return document;
    });
    for (const [ciId, state] of states) if (state) this.cache.set(ciId, state);
    return documents;
  }

  /**
   * Folds the CI's stream up to `revision` from the nearest state not ahead
   * of it: the cached one, or the CI's newest snapshot (its writer's: the
   * latest or a milestone) not ahead of it, where the cache would leave more
   * than SNAPSHOT_EVERY events to read.
   */
  private async fold(ciId: string, revision: number): Promise<Folded> {
    const cached = this.cache.get(ciId);
    const behind = cached && cached.revision < revision ? cached : undefined;
    const snapshot =
      revision - (behind?.revision ?? 0) > SNAPSHOT_EVERY ? await this.snapshot(ciId, revision) : undefined;
    const start = snapshot && snapshot.revision > (behind?.revision ?? 0) ? snapshot : behind;
    if (start?.revision === revision) return start;
    const events = await this.eventStore.readStream(ciStreamName(ciId), {
      fromRevision: (start?.revision ?? 0) + 1,
      toRevision: revision,
    });
    let document = start?.document;
    for (const raw of events) document = evolveDocument(document, toRecordedCiEvent(raw).event);
    if (!document || events.at(-1)?.revision !== revision) {
      throw new Error(`CI ${ciId} has no revision ${revision} in the log`);
    }
    return { revision, document };
  }

  /** The CI's newest snapshot at or before `revision`. */
  private async snapshot(ciId: string, revision: number): Promise<Folded | undefined> {
    const state = await readCiSnapshot(this.eventStore, ciId, revision);
    return state && { revision: state.revision, document: state.document! };
  }
}

interface Folded {
  readonly revision: number;
  readonly document: CiDocument;
}
