import { decide, foldCi, type CiCommand, type CiEvent } from '../../../src/domain';

/** given(events).when(command).then(events) — the domain's spec, read as such. */
export function given(...history: CiEvent[]) {
  const state = foldCi(history.map((event, index) => ({ event, recordedAt: new Date(index).toISOString() })));
  return {
    when(command: CiCommand) {
      return {
        then(expected: CiEvent[]) {
          expect(decide(command, state)).toEqual(expected);
        },
        thenNothing() {
          expect(decide(command, state)).toEqual([]);
        },
        thenThrows(error: new (...args: never[]) => Error, message?: RegExp) {
          expect(() => decide(command, state)).toThrow(error);
          if (message) expect(() => decide(command, state)).toThrow(message);
        },
      };
    },
  };
}
