import { MongoServerError, type Db, type MongoClient } from 'mongodb';
import { allProjections, ciVersionQueries, ciVersionsProjection } from '../../../projections';
import { MongoViewCollection } from '../../../src/adapters/view-store/mongodb-mapping';
import { MongoViewStore } from '../../../src/adapters/view-store/mongodb-view-store';

/**
 * The MongoDB adapter against a fake database, for failure modes a local
 * server does not show on demand: an index of the same name with another key
 * (a layout changed under it), and a query whose hint names an index that a
 * view reset has just dropped.
 */
class FakeCollection {
  readonly indexes = new Map<string, Record<string, number>>();
  readonly docs = new Map<unknown, Record<string, unknown>>();
  constructor(readonly name: string) {}
  async createIndex(key: Record<string, number>, options: { name: string }) {
    const existing = this.indexes.get(options.name);
    if (existing && JSON.stringify(existing) !== JSON.stringify(key)) {
      throw new MongoServerError({ message: `An existing index has the same name as the requested index`, code: 86 });
    }
    this.indexes.set(options.name, key);
  }
  async dropIndex(name: string) {
    this.indexes.delete(name);
  }
  async drop() {
    this.indexes.clear();
    this.docs.clear();
  }
  async findOne(filter: { _id: unknown }) {
    return this.docs.get(filter._id) ?? null;
  }
  async updateOne(filter: { _id: unknown }, update: { $set: Record<string, unknown> }) {
    this.docs.set(filter._id, { ...(this.docs.get(filter._id) ?? { _id: filter._id }), ...update.$set });
  }
  async deleteOne(filter: { _id: unknown }) {
    this.docs.delete(filter._id);
  }
  find() {
    let hint: string | undefined;
    const cursor = {
      sort: () => cursor,
      limit: () => cursor,
      hint: (name: string) => {
        hint = name;
        return cursor;
      },
      toArray: async () => {
        if (hint !== undefined && !this.indexes.has(hint)) {
          throw new MongoServerError({ message: 'hint provided does not correspond to an existing index', code: 2 });
        }
        return [];
      },
    };
    return cursor;
  }
}

class FakeDb {
  readonly collections = new Map<string, FakeCollection>();
  collection(name: string) {
    let collection = this.collections.get(name);
    if (!collection) {
      collection = new FakeCollection(name);
      this.collections.set(name, collection);
    }
    return collection;
  }
}

const open = (db: FakeDb) => MongoViewStore.open({} as MongoClient, db as unknown as Db, false, allProjections);

describe('MongoDB view store, failure modes (fake database)', () => {
  it('replaces an index of the same name whose key changed, instead of failing start-up (code 85/86)', async () => {
    const db = new FakeDb();
    const mapping = new MongoViewCollection(allProjections.find((p) => p.name === ciVersionsProjection.name)!);
    // Same layout signature, but an index left by an older build under the same name with another key.
    db.collection('view_layouts').docs.set('ciVersions', { _id: 'ciVersions', signature: mapping.signature() });
    db.collection(mapping.collection).indexes.set('ciVersions_as_of', { ciId: 1, validFrom: 1 });
    await open(db);
    expect(db.collection(mapping.collection).indexes.get('ciVersions_as_of')).toEqual({ _k: 1, _from: 1 });
  });

  it('answers a query whose hint names an index a view reset dropped, by running it without the hint', async () => {
    const db = new FakeDb();
    const store = await open(db);
    await db.collection('view_ciVersions').drop(); // as resetView does, before the indexes are made again
    await expect(ciVersionQueries.at(store, 'web-1', Date.now())).resolves.toBeUndefined();
  });
});
