import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { viewStoreContract } from './view-store.contract';
import { allProjections, currentCisProjection, type AnyProjection, type CurrentCi } from '../../projections';
import { viewQueries } from '../support/view-queries';

viewStoreContract('SQLite (in memory)', async () => {
  const store = new SqliteViewStore({ filename: ':memory:', views: allProjections });
  return { store, cleanup: () => store.close() };
});

describe('SQLite view layouts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-layout-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('drops a view whose declaration changed and forgets its checkpoint, so the runner rebuilds it; others stay', async () => {
    const filename = path.join(dir, 'views.db');
    const before = new SqliteViewStore({ filename, views: allProjections });
    const document = { type: 'server', name: 'a', status: 'live' as const, attributes: {}, relationships: [] };
    await before.applyBatch({
      writes: [
        {
          view: 'currentCis',
          doc: { ciId: 'a', revision: 1, position: 1, recordedAt: '2026-01-01T00:00:00.000Z', document } as CurrentCi,
        },
      ],
      checkpoints: [
        { projection: 'currentCis', version: 1, position: 1 },
        { projection: 'changeFeed', version: 2, position: 1 },
      ],
    });
    await before.close();

    const reopenedSame = new SqliteViewStore({ filename, views: allProjections });
    expect(await viewQueries(reopenedSame).getCurrentCi('a')).toBeDefined();
    await reopenedSame.close();

    const changed: AnyProjection = {
      ...currentCisProjection,
      fields: { ...currentCisProjection.fields, name: { type: 'text', of: (doc: CurrentCi) => doc.document.name } },
    };
    const after = new SqliteViewStore({
      filename,
      views: allProjections.map((view) => (view.name === 'currentCis' ? changed : view)),
    });
    expect(await after.readCheckpoints()).toEqual([{ projection: 'changeFeed', version: 2, position: 1 }]);
    expect(await viewQueries(after).getCurrentCi('a')).toBeUndefined();
    await after.close();
  });
});
