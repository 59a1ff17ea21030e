import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  pgEnum,
  smallint,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { timestamps } from './columns.ts';
import { cadres, organizations } from './directory.ts';

export const userRoles = ['ADMIN', 'ORG_MANAGER', 'CADRE'] as const;
export type UserRole = (typeof userRoles)[number];
export const userRole = pgEnum('user_role', userRoles);

/** People who sign in. A manager is bound to a unit (and acts on its subtree); a cadre account to a cadre. */
export const users = snakeCase.table(
  'users',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    username: varchar({ length: 64 }).notNull(),
    // scrypt$N$r$p$salt$hash (base64url); never the password itself.
    passwordHash: text().notNull(),
    role: userRole().notNull(),
    organizationId: integer().references(() => organizations.id, { onDelete: 'restrict' }),
    cadreId: integer().references(() => cadres.id, { onDelete: 'restrict' }),
    failedLoginCount: smallint().notNull().default(0),
    lockedUntil: timestamp({ withTimezone: true, mode: 'string' }),
    lastLoginAt: timestamp({ withTimezone: true, mode: 'string' }),
    disabledAt: timestamp({ withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('users_username_key').on(sql`lower(${t.username})`),
    uniqueIndex('users_cadre_id_key').on(t.cadreId),
    check('users_username_format', sql`${t.username} ~ '^[A-Za-z0-9_.@-]{3,64}$'`),
    check('users_manager_has_unit', sql`${t.role} <> 'ORG_MANAGER' or ${t.organizationId} is not null`),
    check('users_cadre_has_cadre', sql`${t.role} <> 'CADRE' or ${t.cadreId} is not null`),
  ],
);

/** One signed-in session per token; revoking the row revokes the token before it expires. */
export const sessions = snakeCase.table(
  'sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    expiresAt: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    revokedAt: timestamp({ withTimezone: true, mode: 'string' }),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId)],
);

/** Other government systems. The key is shown once; only its SHA-256 is kept. */
export const apiClients = snakeCase.table(
  'api_clients',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    name: varchar({ length: 100 }).notNull(),
    // The first characters of the key, kept in clear so a presented key finds its row by index.
    keyPrefix: varchar({ length: 16 }).notNull(),
    keyHash: varchar({ length: 64 }).notNull(),
    scopes: text().array().notNull(),
    organizationId: integer().references(() => organizations.id, { onDelete: 'restrict' }),
    revokedAt: timestamp({ withTimezone: true, mode: 'string' }),
    lastUsedAt: timestamp({ withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('api_clients_key_prefix_key').on(t.keyPrefix),
    index('api_clients_name_idx').on(t.name),
    check('api_clients_name_not_blank', sql`length(btrim(${t.name})) > 0`),
  ],
);
