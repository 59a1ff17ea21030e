import { sql } from 'drizzle-orm';
import { customType, timestamp } from 'drizzle-orm/pg-core';

/**
 * PostgreSQL `ltree`: the organization tree is stored as a materialized path of ids
 * (`1.4.12`), so "this org and everything below it" is one indexed `<@` predicate.
 */
export const ltree = customType<{ data: string; driverData: string }>({
  dataType: () => 'ltree',
});

/**
 * A natural key (unit, campaign, metric, material codes): upper-case letters, digits and
 * underscores, starting with a letter. The one copy of the rule: the tables check it, the API's
 * input schemas and the CLI test it with `codePattern`.
 */
export const CODE_PATTERN = '^[A-Z][A-Z0-9_]*$';
export const codePattern = new RegExp(CODE_PATTERN);
export const CODE_PATTERN_MESSAGE = 'must be upper-case letters, digits and underscores, starting with a letter';
/** The table check for a code column. */
export const codeFormat = (column: unknown) => sql`${column} ~ ${sql.raw(`'${CODE_PATTERN}'`)}`;

export const timestamps = {
  createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  updatedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
};
