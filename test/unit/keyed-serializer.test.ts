import { KeyedSerializer } from '../../src/application/keyed-serializer';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedSerializer', () => {
  it('runs tasks of one key one at a time, in order, even when one fails', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      serializer.run('a', task('1')),
      serializer.run('a', task('2', true)),
      serializer.run('a', task('3')),
    ]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('runs tasks of different keys concurrently and forgets drained keys', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    };
    await Promise.all([serializer.run('a', task('a')), serializer.run('b', task('b'))]);
    expect(log.slice(0, 2)).toEqual(['start a', 'start b']);
    await tick();
    expect(serializer.activeKeys).toBe(0);
  });
});
