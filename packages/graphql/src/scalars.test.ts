import { GraphQLScalarType, Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from './schema.ts';

const scalar = (name: string) => {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLScalarType)) throw new Error(`${name} is not a scalar`);
  return type;
};

describe('DateTime', () => {
  const dateTime = scalar('DateTime');
  it('takes RFC 3339 instants with Z or an offset, and hands the resolvers UTC ISO text', () => {
    expect(dateTime.parseValue('2012-04-01T00:30:00+08:00')).toBe('2012-03-31T16:30:00.000Z');
    expect(dateTime.parseValue('2012-03-31T16:00:00Z')).toBe('2012-03-31T16:00:00.000Z');
    expect(dateTime.parseLiteral({ kind: Kind.STRING, value: '0001-01-01T00:00:00Z' }, {})).toBe(
      '0001-01-01T00:00:00.000Z',
    );
  });
  it('refuses text that JavaScript would read but is not an ISO 8601 instant, and years PostgreSQL cannot store', () => {
    for (const text of [
      'March 31, 2012',
      '2012-03-31',
      '2012-03-31 16:00:00',
      '2012-03-31T16:00:00',
      '2012-02-30T00:00:00Z',
      '0000-06-01T00:00:00Z',
    ]) {
      expect(() => dateTime.parseValue(text), text).toThrow('DateTime must be an ISO 8601 instant');
    }
    expect(() => dateTime.parseValue(1333209600000)).toThrow('DateTime must be');
  });
  it('writes the database’s timestamps as ISO text in UTC', () => {
    expect(dateTime.serialize(new Date('2012-03-31T16:00:00Z'))).toBe('2012-03-31T16:00:00.000Z');
    expect(dateTime.serialize('2012-03-31 16:00:00+00')).toBe('2012-03-31T16:00:00.000Z');
  });
});

describe('JSON', () => {
  it('reads any JSON literal, variables inside it included', () => {
    const json = scalar('JSON');
    const literal = {
      kind: Kind.OBJECT,
      fields: [
        { kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: 'a' }, value: { kind: Kind.INT, value: '1' } },
        {
          kind: Kind.OBJECT_FIELD,
          name: { kind: Kind.NAME, value: 'b' },
          value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'v' } },
        },
      ],
    } as const;
    expect(json.parseLiteral(literal as never, { v: ['x', null] })).toEqual({ a: 1, b: ['x', null] });
    expect(json.parseValue({ nested: [1, 'two'] })).toEqual({ nested: [1, 'two'] });
  });
});
