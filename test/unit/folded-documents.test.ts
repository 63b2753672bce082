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
    // Written by a writer that caches nothing: its loads save snapshots at revisions 100 and 200 (the latest kept).
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
    for (let n = 2; n <= 250; n++) {
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

  it('folds a CI it has not cached from the CI snapshot, where that is not ahead, as from the whole stream', async () => {
    expect((await eventStore.readSnapshot(ciStreamName('x')))?.revision).toBe(200);

    const after240 = reader();
    expect(await after240.documents.after([events[239]!])).toEqual([documentAfter(240)]);
    expect(after240.reads).toEqual([201]);

    // The snapshot is the state the event follows: nothing else to read.
    const after201 = reader();
    expect(await after201.documents.after([events[200]!])).toEqual([documentAfter(201)]);
    expect(after201.reads).toEqual([]);

    // A snapshot ahead of the event is of no use: the stream is read from its start.
    const after150 = reader();
    expect(await after150.documents.after([events[149]!])).toEqual([documentAfter(150)]);
    expect(after150.reads).toEqual([1]);
  });
});
