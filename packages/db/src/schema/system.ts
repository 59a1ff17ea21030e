import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgEnum, snakeCase, text, timestamp, varchar } from 'drizzle-orm/pg-core';

export const actorKinds = ['SYSTEM', 'USER', 'API_CLIENT', 'ANONYMOUS'] as const;
export type ActorKind = (typeof actorKinds)[number];
export const actorKind = pgEnum('actor_kind', actorKinds);

/** One row per successful mutation, written in the mutation's own transaction. */
export const auditEvents = snakeCase.table(
  'audit_events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    occurredAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    actorKind: actorKind().notNull(),
    actorId: varchar({ length: 64 }),
    operation: varchar({ length: 100 }).notNull(),
    entityType: varchar({ length: 64 }).notNull(),
    entityId: varchar({ length: 64 }).notNull(),
    before: jsonb(),
    after: jsonb(),
  },
  (t) => [
    index('audit_events_entity_idx').on(t.entityType, t.entityId, t.id),
    index('audit_events_occurred_at_idx').on(t.occurredAt),
  ],
);

/** Facts about the database itself, such as whether the demo data has been loaded. */
export const systemSettings = snakeCase.table('system_settings', {
  key: varchar({ length: 64 }).primaryKey(),
  value: text().notNull(),
  updatedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
});
