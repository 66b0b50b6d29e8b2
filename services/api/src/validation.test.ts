import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { Bar, Tick } from '@tickdesk/schemas';
import { convertText, fieldName, validatorCompiler } from './validation.js';
import { dedupeSchemaIds } from './schema-ids.js';

const Query = Type.Object(
  {
    n: Type.Optional(Type.Integer({ default: 7 })),
    x: Type.Optional(Type.Number()),
    b: Type.Optional(Type.Boolean()),
    s: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const compile = (schema: typeof Query, httpPart: string) =>
  validatorCompiler({ schema, httpPart, method: 'GET', url: '/' }) as (v: unknown) => {
    value?: unknown;
    error?: { message: string; instancePath: string }[];
  };

describe('validation', () => {
  it('converts exact numeric and boolean text only where the schema says so', () => {
    expect(convertText(Query, { n: '25', x: '-1.25', b: 'true', s: '5' })).toEqual({
      n: 25,
      x: -1.25,
      b: true,
      s: '5',
    });
    expect(convertText(Query, { n: '1.5', x: '1e3', b: 'yes' })).toEqual({ n: '1.5', x: '1e3', b: 'yes' });
    expect(convertText(Query, { n: ['1', '2'] })).toEqual({ n: ['1', '2'] });
    expect(convertText(Query, { n: '007' })).toEqual({ n: '007' });
  });

  it('query strings get conversion and defaults; bodies neither', () => {
    expect(compile(Query, 'querystring')({ s: 'a' })).toEqual({ value: { s: 'a', n: 7 } });
    expect(compile(Query, 'querystring')({ n: '3' })).toEqual({ value: { n: 3 } });
    expect(compile(Query, 'body')({ n: '3' }).error?.[0]).toMatchObject({ instancePath: '/n' });
    expect(compile(Query, 'body')({ s: 'a' })).toEqual({ value: { s: 'a' } });
    expect(compile(Query, 'body')({ s: 'a', extra: 1 }).error?.[0]).toMatchObject({
      instancePath: '/extra',
      message: 'unknown field',
    });
  });

  it('names fields readably', () => {
    expect(fieldName('body', '/jid')).toBe('body field "jid"');
    expect(fieldName('body', '/rules/0/threshold')).toBe('body field "rules[0].threshold"');
    expect(fieldName('body', '/a~1b')).toBe('body field "a/b"');
    expect(fieldName('querystring', '')).toBe('querystring');
  });

  it('dedupeSchemaIds keeps the first $id, inlines repeats, keeps TypeBox symbols', () => {
    const schema = Type.Object({ bar: Bar, interval: Bar.properties.interval, ticks: Type.Array(Tick), again: Tick });
    const out = dedupeSchemaIds(schema);
    const ids: string[] = [];
    JSON.stringify(out, (k, v: unknown) => {
      if (k === '$id' && typeof v === 'string') ids.push(v);
      return v;
    });
    expect(ids.sort()).toEqual(['Bar', 'BarInterval', 'Side', 'Tick']);
    expect(Object.getOwnPropertySymbols(out)).toEqual(Object.getOwnPropertySymbols(schema));
    expect(schema.properties.again.$id).toBe('Tick'); // the input is not changed
  });
});
