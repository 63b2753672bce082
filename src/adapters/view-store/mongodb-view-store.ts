import { MongoClient, type AnyBulkWriteOperation, type ClientSession, type Db, type Document } from 'mongodb';
import type { ChangeFeedEntry, CiVersion, CurrentCi, ViewDocuments, ViewName } from '../../../projections';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ChangeQuery, CiListQuery, ProjectionCheckpoint, ViewBatch, ViewStore } from '../../ports/view-store';
import {
  COLLECTIONS,
  CONSUMER_CHECKPOINTS,
  INDEXES,
  PROJECTION_CHECKPOINTS,
  fromMongoChange,
  fromMongoCurrent,
  fromMongoVersion,
  lastWritePerKey,
  listChangesSpec,
  listCurrentCisSpec,
  toGuardedWrite,
  versionAtSpec,
  versionsAtSpec,
  type FindSpec,
} from './mongodb-mapping';

export interface MongoViewStoreOptions {
  /** e.g. `mongodb://localhost:27017/configledger?replicaSet=rs0`. */
  readonly url: string;
  /** The database; by default the one named in the URL, else `configledger`. */
  readonly database?: string | undefined;
}

/** Our documents are keyed by CI id, version key, position or name, never by ObjectId. */
interface KeyedDoc extends Document {
  _id: string | number;
}

const VIEW_NAMES = Object.keys(COLLECTIONS) as ViewName[];

/**
 * The production view store on MongoDB: one collection per view, with the
 * indexes each query needs (mongodb-mapping.ts). Writes and reads use
 * majority write and read concerns, so a view read after the runner reported
 * a position sees that position even after a failover.
 *
 * On a replica set (or sharded cluster) a batch's writes and checkpoints
 * commit in one transaction. On a standalone server they cannot: writes go
 * first, checkpoints after, and every write is guarded by revision
 * (toGuardedWrite), so a crash in between replays the batch harmlessly.
 */
export class MongoViewStore implements ViewStore, CheckpointStore {
  readonly adapter = 'mongodb';

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    readonly transactions: boolean,
  ) {}

  /** Connects, creates the collections' indexes and finds out whether transactions are available. */
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
    const store = new MongoViewStore(client, db, transactions);
    for (const view of VIEW_NAMES) await store.ensureIndexes(view);
    return store;
  }

  get databaseName(): string {
    return this.db.databaseName;
  }

  async readCheckpoints(): Promise<ProjectionCheckpoint[]> {
    const rows = await this.db.collection<KeyedDoc>(PROJECTION_CHECKPOINTS).find({}).toArray();
    return rows.map((row) => ({
      projection: row._id as ViewName,
      version: row['version'] as number,
      position: row['position'] as number,
    }));
  }

  async resetView(view: ViewName, version: number): Promise<void> {
    // Dropping is O(1) where deleting every document is not; the checkpoint goes to 0 only after.
    await this.db
      .collection(COLLECTIONS[view])
      .drop()
      .catch((error: unknown) => {
        if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
      });
    await this.ensureIndexes(view);
    await this.saveProjectionCheckpoint({ projection: view, version, position: 0 });
  }

  async loadLatest<Name extends ViewName>(
    view: Name,
    ciIds: readonly string[],
  ): Promise<Map<string, ViewDocuments[Name]>> {
    const ids = [...new Set(ciIds)];
    const latest = new Map<string, ViewDocuments[Name]>();
    if (ids.length === 0) return latest;
    if (view === 'currentCis') {
      const rows = await this.db
        .collection<KeyedDoc>(COLLECTIONS.currentCis)
        .find({ _id: { $in: ids } })
        .toArray();
      for (const row of rows) latest.set(row._id as string, fromMongoCurrent(row) as ViewDocuments[Name]);
      return latest;
    }
    // The newest document per CI, read from the (ciId, …) index in one pass.
    const order = view === 'ciVersions' ? 'revision' : '_id';
    const rows = await this.db
      .collection(COLLECTIONS[view])
      .aggregate<{ _id: string; doc: Document }>([
        { $match: { ciId: { $in: ids } } },
        { $sort: { ciId: 1, [order]: -1 } },
        { $group: { _id: '$ciId', doc: { $first: '$$ROOT' } } },
      ])
      .toArray();
    for (const row of rows) {
      const doc = view === 'ciVersions' ? fromMongoVersion(row.doc) : fromMongoChange(row.doc);
      latest.set(row._id, doc as ViewDocuments[Name]);
    }
    return latest;
  }

  async applyBatch(batch: ViewBatch): Promise<void> {
    const byCollection = new Map<string, AnyBulkWriteOperation[]>();
    for (const write of lastWritePerKey(batch.writes)) {
      const { collection, updateOne } = toGuardedWrite(write);
      const ops = byCollection.get(collection) ?? [];
      ops.push({ updateOne });
      byCollection.set(collection, ops);
    }
    const apply = async (session?: ClientSession) => {
      for (const [collection, ops] of byCollection) {
        await this.db.collection(collection).bulkWrite(ops, { ordered: true, ...(session ? { session } : {}) });
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

  async getCurrentCi(ciId: string): Promise<CurrentCi | undefined> {
    const row = await this.db.collection<KeyedDoc>(COLLECTIONS.currentCis).findOne({ _id: ciId });
    return row ? fromMongoCurrent(row) : undefined;
  }

  async listCurrentCis(query: CiListQuery): Promise<CurrentCi[]> {
    return (await this.find(COLLECTIONS.currentCis, listCurrentCisSpec(query))).map(fromMongoCurrent);
  }

  async getCiVersionAt(ciId: string, at: number): Promise<CiVersion | undefined> {
    const [row] = await this.find(COLLECTIONS.ciVersions, versionAtSpec(ciId, at));
    if (!row) return undefined;
    const validTo = row['validTo'];
    if (validTo instanceof Date && validTo.getTime() <= at) return undefined;
    return fromMongoVersion(row);
  }

  async getCiVersion(ciId: string, revision: number): Promise<CiVersion | undefined> {
    const row = await this.db.collection(COLLECTIONS.ciVersions).findOne({ ciId, revision });
    return row ? fromMongoVersion(row) : undefined;
  }

  async listCiVersionsAt(at: number, query: CiListQuery): Promise<CiVersion[]> {
    return (await this.find(COLLECTIONS.ciVersions, versionsAtSpec(at, query))).map(fromMongoVersion);
  }

  async listChanges(query: ChangeQuery): Promise<ChangeFeedEntry[]> {
    return (await this.find(COLLECTIONS.changeFeed, listChangesSpec(query))).map(fromMongoChange);
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

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Runs a query as the mapping describes it; `explain` in the integration test runs the same spec. */
  find(collection: string, spec: FindSpec): Promise<Document[]> {
    return this.cursor(collection, spec).toArray();
  }

  /** The query plan of a query, for tests that check index use. */
  explain(collection: string, spec: FindSpec): Promise<Document> {
    return this.cursor(collection, spec).explain('queryPlanner');
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

  private async ensureIndexes(view: ViewName): Promise<void> {
    const specs = INDEXES[view];
    if (specs.length === 0) return;
    await this.db
      .collection(COLLECTIONS[view])
      .createIndexes(
        specs.map((spec) => ({ name: spec.name, key: spec.key, ...(spec.unique ? { unique: true } : {}) })),
      );
  }
}
