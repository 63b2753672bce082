import { EventStoreDbEventStore } from '../../../src/adapters/event-store/eventstoredb-event-store';
import { ConcurrencyError, StoreUnavailableError } from '../../../src/ports/event-store';
import { newEvent, uniqueStream } from '../../contract/event-store.contract';
import { silentLogger } from '../../support/test-service';

/**
 * The real adapter and client against a port nothing listens on: what users
 * see when EVENTSTORE_URL points nowhere. Needs no server, so it runs here.
 */
describe('EventStoreDB adapter, server unreachable', () => {
  let store: EventStoreDbEventStore;
  beforeEach(() => {
    store = new EventStoreDbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false', logger: silentLogger });
  });
  afterEach(() => store.close());

  it('fails appends as unavailable (a 503), never as a concurrency conflict (a 412)', async () => {
    const error = await store.append(uniqueStream('down'), [newEvent()], 'no_stream').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).not.toBeInstanceOf(ConcurrencyError);
    expect((error as Error).message).toMatch(/could not append to .*EventStoreDB is unreachable/);
  });

  it('fails reads as unavailable', async () => {
    await expect(store.readStream(uniqueStream('down'))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.streamHead(uniqueStream('down'))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.readAll(0, 10)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('EventStoreDB adapter, closed', () => {
  it('completes appended$ for readers arriving after close instead of subscribing on a disposed client', async () => {
    const store = new EventStoreDbEventStore({
      connectionString: 'esdb://127.0.0.1:1?tls=false',
      logger: silentLogger,
    });
    await store.close();
    const completed = await new Promise<boolean>((resolve) => {
      store.appended$.subscribe({ complete: () => resolve(true), error: () => resolve(false) });
      setTimeout(() => resolve(false), 1000);
    });
    expect(completed).toBe(true);
  });
});
