import { randomUUID } from 'node:crypto';
import { BaselineCatalogue } from '../../src/application/baseline-catalogue';
import { TypeCatalogue } from '../../src/application/type-catalogue';
import { BaselineExistsError, type BaselineMember, type ChangeMetadata } from '../../src/domain';
import type { EventStore } from '../../src/ports/event-store';
import { TestClock } from '../support/test-clock';

export interface CatalogueFixture {
  /** A log for the catalogue, and the stream prefix to keep this run's streams apart. */
  readonly store: EventStore;
  readonly streamPrefix: string;
  cleanup(): Promise<void>;
}

const metadata: ChangeMetadata = { actor: 'cm', reason: null, changeRef: 'CHG-1', source: 'api', correlationId: null };

/**
 * The catalogue (CI types, baselines) on any event log: SQLite always,
 * EventStoreDB when EVENTSTORE_URL is set. Two catalogues on one log stand
 * for two service instances.
 */
export function catalogueContract(name: string, createFixture: () => Promise<CatalogueFixture>): void {
  describe(`Catalogue contract: ${name}`, () => {
    let fixture: CatalogueFixture;
    const clock = new TestClock();
    beforeEach(async () => {
      fixture = await createFixture();
    });
    afterEach(() => fixture.cleanup());
    const deps = () => ({
      catalogue: fixture.store,
      clock,
      newEventId: randomUUID,
      streamPrefix: fixture.streamPrefix,
    });

    it('versions types, and a definition made by one instance is in force at once on another', async () => {
      const one = new TypeCatalogue(deps());
      const two = new TypeCatalogue(deps());
      await one.define('server', { schema: { type: 'object' } }, metadata);
      clock.advance(1000);
      await two.define('server', { schema: { type: 'object', required: ['serial'] } }, metadata);
      await one.define('vm', { schema: {} }, metadata);
      expect((await one.current('server'))?.revision).toBe(2);
      expect((await two.current('vm'))?.revision).toBe(1);
      expect((await two.history('server')).map((v) => v.definition.schema)).toEqual([
        { type: 'object' },
        { type: 'object', required: ['serial'] },
      ]);
      expect((await one.list()).map((v) => v.type)).toEqual(['server', 'vm']);
    });

    it('records a baseline of many members in chunks, reads them back whole, and never reuses a name', async () => {
      const one = new BaselineCatalogue(deps());
      const two = new BaselineCatalogue(deps());
      const members: BaselineMember[] = Array.from({ length: 12_345 }, (_, i) => [
        `ci-${String(i).padStart(6, '0')}`,
        1 + (i % 7),
      ]);
      const header = await one.record({ name: 'big', asOf: null, position: 42, selector: {} }, members, metadata);
      expect(header).toMatchObject({ name: 'big', members: 12_345, chunks: 3, position: 42 });
      expect(await two.members(await two.get('big'))).toEqual(members);
      await expect(two.record({ name: 'big', asOf: null, position: 43, selector: {} }, [], metadata)).rejects.toThrow(
        BaselineExistsError,
      );
      // Concurrent takes of one name on two instances: exactly one is recorded.
      const results = await Promise.allSettled([
        one.record({ name: 'race', asOf: null, position: 1, selector: {} }, [['a', 1]], metadata),
        two.record({ name: 'race', asOf: null, position: 2, selector: {} }, [['b', 1]], metadata),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((await one.list()).map((b) => b.name)).toEqual(['big', 'race']);
    });
  });
}
