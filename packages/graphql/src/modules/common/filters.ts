import { and, eq, ilike, inArray, not, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { builder } from '../../builder.ts';

export interface StringFilterInput {
  equalTo?: string | null;
  in?: readonly string[] | null;
  includesInsensitive?: string | null;
}

export const StringFilter = builder.inputType('StringFilter', {
  description: 'Matches a text field; all given conditions must hold.',
  fields: (t) => ({
    equalTo: t.string(),
    in: t.stringList(),
    includesInsensitive: t.string({ description: 'Contains this text, ignoring case.' }),
  }),
});

export const BooleanFilter = builder.inputType('BooleanFilter', {
  fields: (t) => ({ equalTo: t.boolean() }),
});

/** `%` and `_` typed by a user are literal characters, not wildcards. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

export function stringFilterSql(column: AnyPgColumn, filter: StringFilterInput | null | undefined): SQL | undefined {
  if (!filter) return undefined;
  return and(
    filter.equalTo != null ? eq(column, filter.equalTo) : undefined,
    filter.in != null ? inArray(column, [...filter.in]) : undefined,
    filter.includesInsensitive != null ? ilike(column, `%${escapeLike(filter.includesInsensitive)}%`) : undefined,
  );
}

export function enumFilterSql<T extends string>(
  column: AnyPgColumn,
  filter: { equalTo?: T | null; in?: readonly T[] | null } | null | undefined,
): SQL | undefined {
  if (!filter) return undefined;
  return and(
    filter.equalTo != null ? eq(column, filter.equalTo) : undefined,
    filter.in != null ? inArray(column, [...filter.in]) : undefined,
  );
}

export function booleanFilterSql(column: AnyPgColumn, filter: { equalTo?: boolean | null } | null | undefined) {
  return filter?.equalTo != null ? eq(column, filter.equalTo) : undefined;
}

export interface LogicalFilter<F> {
  and?: readonly F[] | null;
  or?: readonly F[] | null;
  not?: F | null;
}

/** Combines a filter's own field conditions with its and/or/not branches. */
export function logicalFilterSql<F extends LogicalFilter<F>>(
  filter: F | null | undefined,
  fieldConditions: (filter: F) => (SQL | undefined)[],
): SQL | undefined {
  if (!filter) return undefined;
  // An empty branch matches everything, so `or: [{}]` and `not: {}` keep their logical meaning.
  const recurse = (inner: F) => logicalFilterSql(inner, fieldConditions) ?? sql`true`;
  return and(
    ...fieldConditions(filter),
    ...(filter.and ?? []).map(recurse),
    filter.or && filter.or.length > 0 ? or(...filter.or.map(recurse)) : undefined,
    filter.not ? not(recurse(filter.not)) : undefined,
  );
}
