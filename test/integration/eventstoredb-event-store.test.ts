import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { EventStoreDbEventStore } from '../../src/adapters/event-store/eventstoredb-event-store';
import { ConcurrencyError, StoreUnavailableError } from '../../src/ports/event-store';
import { CONTRACT_STREAM_PREFIX, eventStoreContract, newEvent, uniqueStream } from '../contract/event-store.contract';
import { silentLogger } from '../support/test-service';
import { catalogueContract } from '../contract/catalogue.contract';
import { TcpProxy } from '../support/tcp-proxy';
import { describeWithServers } from '../support/describe-with-servers';

/**
 * The EventStoreDB adapter against a real server:
 * `EVENTSTORE_URL='esdb://localhost:2113?tls=false' npm run test:integration`
 * (e.g. with `docker compose up -d eventstore`). Skipped, and named as such, without it.
 */
const url = process.env['EVENTSTORE_URL'];

/** The same connection string pointed at another host:port (for the proxy). */
function via(connectionString: string, port: number): string {
  return connectionString.replace(/^(esdb:\/\/(?:[^@/]*@)?)[^/?,]+/, `$1127.0.0.1:${port}`);
}

async function eventually(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithServers(['EVENTSTORE_URL'], 'EventStoreDB event store', () => {
  jest.setTimeout(60_000);
  const connectionString = url!;
  const open = (cs = connectionString) =>
    new EventStoreDbEventStore({
      connectionString: cs,
      logger: silentLogger,
      resubscribeDelayMs: 100,
      streamPrefix: CONTRACT_STREAM_PREFIX,
    });

  eventStoreContract('EventStoreDB', async () => {
    const store = open();
    return { store, cleanup: () => store.close() };
  });

  // Types and baselines live on the same server, in catalogue- streams: here in streams of this run only.
  catalogueContract('EventStoreDB', async () => {
    const streamPrefix = `cltest-catalogue-${randomUUID()}-`;
    const store = new EventStoreDbEventStore({ connectionString, logger: silentLogger, streamPrefix });
    return { store, streamPrefix, cleanup: () => store.close() };
  });

  describe('EventStoreDB specifics', () => {
    let store: EventStoreDbEventStore;
    let raw: EventStoreDBClient;
    beforeEach(() => {
      store = open();
      raw = EventStoreDBClient.connectionString(connectionString);
    });
    afterEach(async () => {
      await store.close();
      await raw.dispose();
    });

    it('maps our 1-based revisions onto the server 0-based ones', async () => {
      const stream = uniqueStream('revisions');
      await store.append(stream, [newEvent(), newEvent()], 'no_stream');
      const onServer = [];
      for await (const resolved of raw.readStream(stream, { direction: FORWARDS, fromRevision: START })) {
        onServer.push(resolved.event!.revision);
      }
      expect(onServer).toEqual([0n, 1n]);
      expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([1, 2]);
      // Our "2 events there" is the server's expected revision 1n.
      await expect(store.append(stream, [newEvent()], 2)).resolves.toMatchObject({ revision: 3 });
      await expect(store.append(stream, [newEvent()], 2)).rejects.toBeInstanceOf(ConcurrencyError);
    });

    it('makes a retried append idempotent through the event ids', async () => {
      const stream = uniqueStream('idempotent');
      const events = [newEvent(), newEvent()];
      const first = await store.append(stream, events, 'no_stream');
      const retried = await store.append(stream, events, 'no_stream');
      expect(retried.revision).toBe(first.revision);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('leaves events of other streams out of readAll, and skips them when polling again', async () => {
      const start = await store.headPosition();
      await raw.appendToStream(`other-${Date.now()}`, [
        { id: randomUUID(), contentType: 'application/json', type: 'Unrelated', data: {}, metadata: undefined },
      ]);
      const ci = uniqueStream('filtered');
      await store.append(ci, [newEvent()], 'no_stream');
      const read = await store.readAll(start, 100);
      expect(read.map((e) => e.streamName)).toEqual([ci]);
      expect(await store.readAll(read[0]!.position, 100)).toEqual([]);
    });

    it('reports unreachable servers as unavailable, never as a conflict', async () => {
      const down = open(via(connectionString, 1));
      const error = await down.append(uniqueStream('down'), [newEvent()], 'no_stream').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      await down.close();
    });

    it('resubscribes after the $all subscription drops, from the last position seen, missing nothing', async () => {
      const host = /^esdb:\/\/(?:[^@/]*@)?([^:/?,]+):(\d+)/.exec(connectionString);
      const proxy = await TcpProxy.start({ host: host![1]!, port: Number(host![2]) });
      const proxied = open(via(connectionString, proxy.port));
      try {
        const seen: number[] = [];
        await proxied.headPosition(); // the subscription starts from the newest CI event known
        const subscription = proxied.appended$.subscribe((position) => seen.push(position));

        const before = await store.append(uniqueStream('beforeDrop'), [newEvent()], 'no_stream');
        await eventually(() => seen.includes(before.position));

        proxy.drop();
        // Appended while the subscription is down, through another connection.
        const during = await store.append(uniqueStream('duringDrop'), [newEvent()], 'no_stream');
        await eventually(() => seen.includes(during.position));
        expect(seen.filter((p) => p === during.position)).toHaveLength(1);
        subscription.unsubscribe();
      } finally {
        await proxied.close();
        await proxy.close();
      }
    });
  });
});
