/** Injected so that recorded times are testable and the domain stays pure. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
