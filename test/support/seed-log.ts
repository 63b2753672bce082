import { randomUUID } from 'node:crypto';
import { CiCommandHandler } from '../../src/application/ci-command-handler';
import type { ChangeMetadata } from '../../src/domain';
import type { EventStore } from '../../src/ports/event-store';
import { TestClock } from './test-clock';

const metadata: ChangeMetadata = { actor: 'tester', reason: null, changeRef: null, source: 'api', correlationId: null };

/**
 * Declares `ciCount` servers `changesPerCi` times each, interleaved (ci-0,
 * ci-1, …, then again), a second apart; returns the log's head position.
 */
export async function seedLog(eventStore: EventStore, changesPerCi: number, ciCount: number): Promise<number> {
  const clock = new TestClock();
  const commands = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
  for (let change = 0; change < changesPerCi; change++) {
    for (let ci = 0; ci < ciCount; ci++) {
      clock.advance(1000);
      await commands.execute(
        {
          type: 'DeclareCi',
          ciId: `ci-${ci}`,
          desired: { type: 'server', name: `ci ${ci}`, attributes: { change }, relationships: [] },
        },
        { metadata },
      );
    }
  }
  return eventStore.headPosition();
}
