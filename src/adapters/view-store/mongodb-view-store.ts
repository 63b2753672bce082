import {
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type ClientSession,
  type Db,
  type Document,
} from 'mongodb';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { LeaseStore } from '../../ports/lease-store';
import type {
  CountQuery,
  CountRow,
  DocQuery,
  ProjectionCheckpoint,
  StoredView,
  ViewBatch,
  ViewDoc,
  ViewStore,
} from '../../ports/view-store';
import {
  CONSUMER_CHECKPOINTS,
  LEASES,
  MongoViewCollection,
  leaseUpdate,
  PROJECTION_CHECKPOINTS,
  VIEW_LAYOUTS,
  type FindSpec,
} from './mongodb-mapping';

export interface MongoViewStoreOptions {
  /** e.g. `mongodb://localhost:27017/configledger?replicaSet=rs0`. */
  readonly url: string;
  /** The database; by default the one named in the URL, else `configledger`. */
  readonly database?: string | undefined;
  /** The views to keep (their storage declarations). */
  readonly views: readonly StoredView[];
}

/** Our documents are keyed by CI id, version key, position or name, never by ObjectId. */
interface KeyedDoc extends Document {
  _id: string | number;
}

/** Server errors that mean "the index named in the hint does not exist" (a view being reset). */
const BAD_HINT = new Set([2, 17007]);
/** An index of that name exists with other keys or options (IndexOptionsConflict, IndexKeySpecsConflict). */
const INDEX_CONFLICT = new Set([85, 86]);

/**
 * The production view store on MongoDB: one collection per view, laid out
 * from the view's declaration (mongodb-mapping.ts), with its indexes. Writes
 * and reads use majority write and read concerns, so a view read after the
 * runner reported a position sees that position even after a failover.
 *
 * On a replica set (or sharded cluster) a batch's writes and checkpoints
 * commit in one transaction. On a standalone server they cannot: writes go
 * first, checkpoints after, and every write is guarded by the kind's rule,
 * so a crash in between replays the batch harmlessly.
 */
export class MongoViewStore implements ViewStore, CheckpointStore, LeaseStore {
  readonly adapter = 'mongodb';
  private readonly collections: Map<string, MongoViewCollection>;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    readonly transactions: boolean,
    views: readonly StoredView[],
  ) {
    this.collections = new Map(views.map((view) => [view.name, new MongoViewCollection(view)]));
  }

  /** Connects, lays out each view's collection and finds out whether transactions are available. */
  static async connect(options: MongoViewStoreOptions): Promise<MongoViewStore> {
    const client = new MongoClient(options.url, {
      readConcern: { level: 'majority' },
      writeConcern: { w: 'majority' },
      // Fail fast at start with a clear error rather than hang when the URL is wrong (unless the URL says otherwise).
      ...(/[?&]serverSelectionTimeoutMS=/i.test(options.url) ? {} : { serverSelectionTimeoutMS: 10_000 }),
    });
    await client.connect();
    const named = client.options.dbName;
    const db = client.db(options.database ?? (named && named !== 'test' ? named : 'configledger'));
    const hello = await db.admin().command({ hello: 1 });
    const transactions = typeof hello['setName'] === 'string' || hello['msg'] === 'isdbgrid';
    return MongoViewStore.open(client, db, transactions, options.views);
  }

  /** Lays out each view's collection on a connected database (connect's second half; tests give it fakes). */
  static async open(
    client: MongoClient,
    db: Db,
    transactions: boolean,
    views: readonly StoredView[],
  ): Promise<MongoViewStore> {
    const store = new MongoViewStore(client, db, transactions, views);
    for (const collection of store.collections.values()) await store.prepareCollection(collection);
    return store;
  }

  get databaseName(): string {
    return this.db.databaseName;
  }

  /** The mapping of a view, for tests that explain its queries. */
  mapping(view: string): MongoViewCollection {
    const collection = this.collections.get(view);
    if (!collection) throw new Error(`the view store keeps no view named "${view}"`);
    return collection;
  }

  async readCheckpoints(): Promise<ProjectionCheckpoint[]> {
    const rows = await this.db.collection<KeyedDoc>(PROJECTION_CHECKPOINTS).find({}).toArray();
    return rows.map((row) => ({
      projection: String(row._id),
      version: row['version'] as number,
      position: row['position'] as number,
    }));
  }

  async resetView(view: string, version: number): Promise<void> {
    // Dropping is O(1) where deleting every document is not; the checkpoint goes to 0 only after.
    await this.drop(this.mapping(view));
    await this.ensureIndexes(this.mapping(view));
    await this.saveProjectionCheckpoint({ projection: view, version, position: 0 });
  }

  async loadState(view: string, partitions: readonly string[]): Promise<Map<string, ViewDoc[]>> {
    const mapping = this.mapping(view);
    const state = new Map<string, ViewDoc[]>();
    if (partitions.length === 0) return state;
    const rows = await this.db.collection(mapping.collection).aggregate(mapping.statePipeline(partitions)).toArray();
    for (const row of rows) {
      const partition = mapping.partitionOf(row);
      const docs = state.get(partition) ?? [];
      docs.push(mapping.fromStored(row));
      state.set(partition, docs);
    }
    return state;
  }

  async applyBatch(batch: ViewBatch): Promise<void> {
    // The last write to each stored document is the one that counts: one operation per document.
    const byCollection = new Map<string, Map<string | number, AnyBulkWriteOperation>>();
    for (const write of batch.writes) {
      const mapping = this.mapping(write.view);
      const ops = byCollection.get(mapping.collection) ?? new Map<string | number, AnyBulkWriteOperation>();
      const id = mapping.storedId(write.doc);
      ops.delete(id); // re-inserted at the end, so the surviving writes keep their order
      ops.set(id, mapping.guardedWrite(write.doc));
      byCollection.set(mapping.collection, ops);
    }
    const apply = async (session?: ClientSession) => {
      for (const [collection, ops] of byCollection) {
        await this.db
          .collection(collection)
          .bulkWrite([...ops.values()], { ordered: true, ...(session ? { session } : {}) });
      }
      for (const checkpoint of batch.checkpoints) await this.saveProjectionCheckpoint(checkpoint, session);
    };
    if (!this.transactions) return apply();
    await this.client.withSession((session) =>
      session.withTransaction(() => apply(session), {
        readConcern: { level: 'majority' },
        writeConcern: { w: 'majority' },
      }),
    );
  }

  async find<Doc extends ViewDoc>(view: string, query: DocQuery): Promise<Doc[]> {
    const mapping = this.mapping(view);
    const spec = mapping.findSpec(query);
    try {
      return (await this.cursor(mapping.collection, spec).toArray()).map((row) => mapping.fromStored(row) as Doc);
    } catch (error) {
      // While a view is reset its collection is dropped with its indexes: the hint names none. Read without it.
      if (!(error instanceof MongoServerError && BAD_HINT.has(Number(error.code)) && spec.hint)) throw error;
      const { hint: _hint, ...unhinted } = spec;
      return (await this.cursor(mapping.collection, unhinted).toArray()).map((row) => mapping.fromStored(row) as Doc);
    }
  }

  /** MongoDB hands back documents, not text: each member is written out as JSON here. */
  async findJson(view: string, query: DocQuery, members: readonly string[]): Promise<string[][]> {
    return (await this.find(view, query)).map((doc) => {
      const values = doc as unknown as Record<string, unknown>;
      return members.map((member) => JSON.stringify(values[member]) ?? 'null');
    });
  }

  /** The documents are read and their keys taken, as the view declares them. */
  async findKeys(view: string, query: DocQuery): Promise<(string | number)[]> {
    const { key } = this.mapping(view).view;
    return (await this.find(view, query)).map((doc) => key(doc));
  }

  async count(view: string, query: CountQuery): Promise<CountRow[]> {
    const mapping = this.mapping(view);
    const rows = await this.db
      .collection(mapping.collection)
      .aggregate<{ _id: Record<string, unknown>; n: number }>(mapping.countPipeline(query))
      .toArray();
    return rows.map((row) => ({
      group: query.groupBy.map((_, i) => (row._id[`g${i}`] as string | number | null | undefined) ?? null),
      count: row.n,
    }));
  }

  async loadCheckpoint(name: string): Promise<number> {
    const row = await this.db.collection<KeyedDoc>(CONSUMER_CHECKPOINTS).findOne({ _id: name });
    return (row?.['position'] as number | undefined) ?? 0;
  }

  async saveCheckpoint(name: string, position: number): Promise<void> {
    await this.db
      .collection<KeyedDoc>(CONSUMER_CHECKPOINTS)
      .updateOne({ _id: name }, { $set: { position } }, { upsert: true });
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { filter, update } = leaseUpdate(name, holder, ttlMs);
    try {
      await this.db.collection<KeyedDoc>(LEASES).updateOne(filter, update, { upsert: true });
      return true;
    } catch (error) {
      // Held by another and not expired: the filter missed, and the upsert met the existing _id.
      if (error instanceof MongoServerError && error.code === 11000) return false;
      throw error;
    }
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.collection<KeyedDoc>(LEASES).deleteOne({ _id: name, holder });
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    const lease = await this.db.collection<KeyedDoc>(LEASES).findOne({ _id: name });
    return typeof lease?.['holder'] === 'string' ? lease['holder'] : undefined;
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The query plan of a view query, for tests that check index use. */
  explain(view: string, query: DocQuery): Promise<Document> {
    const mapping = this.mapping(view);
    return this.cursor(mapping.collection, mapping.findSpec(query)).explain('queryPlanner');
  }

  private cursor(collection: string, spec: FindSpec) {
    const cursor = this.db.collection(collection).find(spec.filter).sort(spec.sort).limit(spec.limit);
    return spec.hint ? cursor.hint(spec.hint) : cursor;
  }

  private async saveProjectionCheckpoint(checkpoint: ProjectionCheckpoint, session?: ClientSession): Promise<void> {
    await this.db
      .collection<KeyedDoc>(PROJECTION_CHECKPOINTS)
      .updateOne(
        { _id: checkpoint.projection },
        { $set: { version: checkpoint.version, position: checkpoint.position } },
        { upsert: true, ...(session ? { session } : {}) },
      );
  }

  /** A collection whose layout changed is dropped and its checkpoint removed, so the runner rebuilds it. */
  private async prepareCollection(mapping: MongoViewCollection): Promise<void> {
    const signature = mapping.signature();
    const layouts = this.db.collection<KeyedDoc>(VIEW_LAYOUTS);
    const stored = await layouts.findOne({ _id: mapping.name });
    if (stored?.['signature'] !== signature) {
      await this.drop(mapping);
      await this.db.collection<KeyedDoc>(PROJECTION_CHECKPOINTS).deleteOne({ _id: mapping.name });
      await layouts.updateOne({ _id: mapping.name }, { $set: { signature } }, { upsert: true });
    }
    await this.ensureIndexes(mapping);
  }

  private async drop(mapping: MongoViewCollection): Promise<void> {
    await this.db
      .collection(mapping.collection)
      .drop()
      .catch((error: unknown) => {
        if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
      });
  }

  /** Creates the indexes; one of the same name with other keys (an older layout) is dropped and made again. */
  private async ensureIndexes(mapping: MongoViewCollection): Promise<void> {
    const collection = this.db.collection(mapping.collection);
    for (const spec of mapping.indexes()) {
      try {
        await collection.createIndex(spec.key, { name: spec.name });
      } catch (error) {
        if (!(error instanceof MongoServerError && INDEX_CONFLICT.has(Number(error.code)))) throw error;
        await collection.dropIndex(spec.name);
        await collection.createIndex(spec.key, { name: spec.name });
      }
    }
  }
}
