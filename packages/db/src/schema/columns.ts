import { sql } from 'drizzle-orm';
import { customType, timestamp } from 'drizzle-orm/pg-core';

/**
 * PostgreSQL `ltree`: the organization tree is stored as a materialized path of ids
 * (`1.4.12`), so "this org and everything below it" is one indexed `<@` predicate.
 */
export const ltree = customType<{ data: string; driverData: string }>({
  dataType: () => 'ltree',
});

export const timestamps = {
  createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  updatedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
};
