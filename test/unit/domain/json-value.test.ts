import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import {
  AttributesSchema,
  CiEventSchema,
  compiledSchema,
  findShapeIssue,
  isJsonValue,
  JsonValueSchema,
} from '../../../src/domain';

describe('a JSON value', () => {
  it('is anything JSON.parse makes', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => isJsonValue(value)));
    expect(isJsonValue(JSON.parse('{"a":[1,{"b":null}],"c":"d","e":true}'))).toBe(true);
    expect(isJsonValue(Object.create(null))).toBe(true);
  });

  it('is a plain object of another realm too (structuredClone, a vm context)', () => {
    expect(isJsonValue(runInNewContext('({ a: [1, { b: 2 }] })'))).toBe(true);
    expect(isJsonValue(structuredClone({ a: { b: [1] } }))).toBe(true);
  });

  it.each([
    ['undefined', undefined],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a function', () => 1],
    ['a date', new Date()],
    ['a map', new Map()],
    ['a bigint', 1n],
    ['a symbol', Symbol('s')],
    ['an instance of a class', new (class Thing {})()],
  ])('is not %s, however deep it sits', (_name, bad) => {
    expect(isJsonValue(bad)).toBe(false);
    expect(isJsonValue({ a: [1, { b: bad }] })).toBe(false);
    expect(isJsonValue([[[bad]]])).toBe(false);
  });

  it('is not a cyclic value, nor one that shares a container without end: the walk stops', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(isJsonValue(cyclic)).toBe(false);
    const wide: Record<string, unknown> = {};
    wide['a'] = wide;
    wide['b'] = wide;
    expect(isJsonValue(wide)).toBe(false);
  });

  it('is refused by the schema with the path of the value', () => {
    const result = AttributesSchema.safeParse({ ok: 1, bad: { deeper: [NaN] } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['bad']]);
    expect(result.error?.issues[0]?.message).toMatch(/must be a JSON value/);
  });

  it('is described in JSON Schema as any value', () => {
    expect(
      z.toJSONSchema(z.object({ value: JsonValueSchema }), {
        unrepresentable: ({ zodSchema }) => (zodSchema === JsonValueSchema ? {} : 'throw'),
      }),
    ).toMatchObject({ properties: { value: {} } });
  });
});

describe('shape issues', () => {
  it('name the first container too deep, breadth first, and a __proto__ key, with their paths', () => {
    expect(findShapeIssue({ a: { b: { c: {} } }, x: [{ y: {} }] }, 3)).toEqual({
      path: ['a', 'b', 'c'],
      message: 'nests deeper than 3 levels; flatten the document',
    });
    expect(findShapeIssue(JSON.parse('{"a":[1,{"b":{"__proto__":1}}]}'), 8)).toEqual({
      path: ['a', 1, 'b', '__proto__'],
      message: 'the key "__proto__" is not allowed',
    });
    expect(findShapeIssue({ a: [1, 'two', { three: null }] }, 3)).toBeUndefined();
  });
});

describe('a compiled schema', () => {
  const event = {
    type: 'CiRegistered',
    data: {
      ciId: 'web-01',
      document: {
        type: 'server',
        name: 'web 01',
        status: 'live',
        attributes: { cpu: 4, tags: ['a'] },
        relationships: [],
      },
    },
  };

  it('is made once per schema', () => {
    expect(compiledSchema(CiEventSchema)).toBe(compiledSchema(CiEventSchema));
    expect(compiledSchema(CiEventSchema)).not.toBe(CiEventSchema);
  });

  it('accepts what the schema accepts, with the same result', () => {
    expect(compiledSchema(CiEventSchema).parse(event)).toEqual(CiEventSchema.parse(event));
  });

  it('refuses what the schema refuses, with the same issues', () => {
    const bad = { ...event, data: { ...event.data, document: { ...event.data.document, name: '', status: 'lost' } } };
    const compiled = compiledSchema(CiEventSchema).safeParse(bad);
    expect(compiled.success).toBe(false);
    expect(compiled.error?.issues).toEqual(CiEventSchema.safeParse(bad).error?.issues);
  });
});
