import { MongoClient, type Document } from 'mongodb';
import { MongoViewStore } from '../../src/adapters/view-store/mongodb-view-store';
import { ciVersionQueries, ciVersionsProjection, type CiVersion } from '../../projections';
import type { DocQuery, ViewDoc, ViewReader } from '../../src/ports/view-store';
import { viewStoreContract } from '../contract/view-store.contract';
import { describeWithServers } from '../support/describe-with-servers';
import { allProjections } from '../../projections';

/**
 * The MongoDB adapter against a real server:
 * `MONGODB_URL='mongodb://localhost:27017/?directConnection=true' npm run test:integration`
 * (e.g. with `docker compose up -d mongo`). Skipped, and named as such, without it.
 * Each fixture gets a database of its own, dropped afterwards.
 */
const url = process.env['MONGODB_URL'];

let sequence = 0;
async function freshStore(): Promise<{ store: MongoViewStore; cleanup: () => Promise<void> }> {
  sequence += 1;
  const database = `cltest_${process.pid}_${Date.now()}_${sequence}`;
  const store = await MongoViewStore.connect({ url: url!, database, views: allProjections });
  return {
    store,
    cleanup: async () => {
      const admin = new MongoClient(url!);
      await admin.db(database).dropDatabase();
      await admin.close();
      await store.close();
    },
  };
}

/** Every stage name and index name anywhere in a plan (classic and slot-based engines nest differently). */
function planParts(plan: unknown, parts = { stages: [] as string[], indexes: [] as string[] }) {
  if (Array.isArray(plan)) {
    for (const item of plan) planParts(item, parts);
  } else if (plan && typeof plan === 'object') {
    const node = plan as Document;
    if (typeof node['stage'] === 'string') parts.stages.push(node['stage']);
    if (typeof node['indexName'] === 'string') parts.indexes.push(node['indexName']);
    for (const value of Object.values(node)) planParts(value, parts);
  }
  return parts;
}

describeWithServers(['MONGODB_URL'], 'MongoDB view store', () => {
  jest.setTimeout(60_000);

  viewStoreContract('MongoDB', freshStore);

  describe('MongoDB specifics', () => {
    let fixture: Awaited<ReturnType<typeof freshStore>>;
    beforeEach(async () => {
      fixture = await freshStore();
    });
    afterEach(() => fixture.cleanup());

    const version = (ciId: string, revision: number, from: number, to: number | null): CiVersion => ({
      ciId,
      revision,
      position: revision,
      eventType: revision === 1 ? 'CiRegistered' : 'CiChanged',
      previousStatus: 'live',
      validFrom: new Date(from).toISOString(),
      validTo: to === null ? null : new Date(to).toISOString(),
      document: { type: 'server', name: ciId, status: 'live', attributes: {}, relationships: [] },
    });

    it('answers both point-in-time queries from the as_of index: no collection scan, no in-memory sort', async () => {
      const writes = [];
      for (let ci = 0; ci < 50; ci += 1) {
        for (let revision = 1; revision <= 4; revision += 1) {
          const from = revision * 1000;
          writes.push({
            view: 'ciVersions' as const,
            doc: version(`ci-${String(ci).padStart(3, '0')}`, revision, from, revision < 4 ? from + 1000 : null),
          });
        }
      }
      await fixture.store.applyBatch({ writes, checkpoints: [] });

      // The queries the view runs, recorded, then explained by the server.
      const queries: DocQuery[] = [];
      const recorder: ViewReader = {
        async find<Doc extends ViewDoc>(_view: string, query: DocQuery): Promise<Doc[]> {
          queries.push(query);
          return [];
        },
        async findJson(_view: string, query: DocQuery): Promise<string[][]> {
          queries.push(query);
          return [];
        },
        async findKeys(_view: string, query: DocQuery): Promise<string[]> {
          queries.push(query);
          return [];
        },
        count: () => Promise.reject(new Error('no counts here')),
      };
      await ciVersionQueries.at(recorder, 'ci-007', 2500);
      await ciVersionQueries.listAt(recorder, 2500, { includeRetired: false, limit: 20, type: 'server' });
      await ciVersionQueries.listAtJson(recorder, 2500, { includeRetired: false, limit: 20 });
      for (const query of queries) {
        const explained = await fixture.store.explain(ciVersionsProjection.name, query);
        const { stages, indexes } = planParts(explained['queryPlanner']);
        expect(indexes).toContain('ciVersions_as_of');
        expect(stages).not.toContain('COLLSCAN');
        expect(stages).not.toContain('SORT');
      }
      expect((await ciVersionQueries.at(fixture.store, 'ci-007', 2500))?.revision).toBe(2);
      const page = await ciVersionQueries.listAt(fixture.store, 2500, { includeRetired: false, limit: 20 });
      expect(page).toHaveLength(20);
      expect(page.every((v) => v.revision === 2)).toBe(true);
    });

    it('uses transactions on a replica set, as the compose file runs it', async () => {
      const client = new MongoClient(url!);
      try {
        const hello = await client.db().admin().command({ hello: 1 });
        expect(fixture.store.transactions).toBe(typeof hello['setName'] === 'string');
      } finally {
        await client.close();
      }
    });
  });
});
