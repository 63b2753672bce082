import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { catalogueContract } from './catalogue.contract';

catalogueContract('SQLite (in memory)', async () => {
  const store = new SqliteEventStore({ filename: ':memory:' });
  return { store, streamPrefix: 'catalogue-', cleanup: () => store.close() };
});
