import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { CiCommandHandler } from '../../src/application/ci-command-handler';
import { toRecordedCiEvent } from '../../src/application/ci-event-codec';
import { FoldedDocuments } from '../../src/application/folded-documents';
import { ciStreamName, foldCi, type ChangeMetadata, type RecordedCiEvent } from '../../src/domain';
import { recordingStreamReads } from '../support/recording-stream-reads';
import { TestClock } from '../support/test-clock';

const metadata: ChangeMetadata = { actor: 'a', reason: null, changeRef: null, source: 'api', correlationId: null };

describe('FoldedDocuments', () => {
  let eventStore: SqliteEventStore;
  let events: RecordedCiEvent[];
  beforeAll(async () => {
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    // Written by a writer that caches nothing: its loads save snapshots every 100 revisions, the latest (1,200)
    // kept, and the one at 1,000 as a milestone.
    const writer = new CiCommandHandler({
      eventStore,
      clock: new TestClock(),
      newEventId: randomUUID,
      stateCacheSize: 0,
    });
    await writer.execute(
      { type: 'DeclareCi', ciId: 'x', desired: { type: 'server', name: 'x', attributes: {}, relationships: [] } },
      { metadata },
    );
    for (let n = 2; n <= 1_250; n++) {
      await writer.execute({ type: 'PatchCi', ciId: 'x', mergePatch: { attributes: { n } } }, { metadata });
    }
    events = (await eventStore.readStream(ciStreamName('x'))).map(toRecordedCiEvent);
  });
  afterAll(() => eventStore.close());

  /** A fresh reader (nothing cached) over the log, and the revision each of its stream reads started from. */
  function reader(): { documents: FoldedDocuments; reads: number[] } {
    const { store, reads } = recordingStreamReads(eventStore);
    return { documents: new FoldedDocuments(store), reads };
  }

  const documentAfter = (revision: number) => foldCi(events.slice(0, revision)).document;

  it('folds a CI it has not cached from the newest CI snapshot not ahead (the latest or a milestone), as from the whole stream', async () => {
    expect((await eventStore.readSnapshot(ciStreamName('x')))?.revision).toBe(1_200);

    const after1240 = reader();
    expect(await after1240.documents.after([events[1_239]!])).toEqual([documentAfter(1_240)]);
    expect(after1240.reads).toEqual([1_201]);

    // The snapshot is the state the event follows: nothing else to read.
    const after1201 = reader();
    expect(await after1201.documents.after([events[1_200]!])).toEqual([documentAfter(1_201)]);
    expect(after1201.reads).toEqual([]);

    // Where the latest is ahead of the event (a relay catching up), from the milestone before it.
    const after1150 = reader();
    expect(await after1150.documents.after([events[1_149]!])).toEqual([documentAfter(1_150)]);
    expect(after1150.reads).toEqual([1_001]);

    // No snapshot before the event: the stream is read from its start.
    const after150 = reader();
    expect(await after150.documents.after([events[149]!])).toEqual([documentAfter(150)]);
    expect(after150.reads).toEqual([1]);
  });
});
