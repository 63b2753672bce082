import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { viewStoreContract } from './view-store.contract';

viewStoreContract('SQLite (in memory)', async () => {
  const store = new SqliteViewStore({ filename: ':memory:' });
  return { store, cleanup: () => store.close() };
});
