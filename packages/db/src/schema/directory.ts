import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  check,
  date,
  index,
  integer,
  pgEnum,
  pgView,
  snakeCase,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { codeFormat, ltree, timestamps } from './columns.ts';

export const organizationKinds = [
  'ZONE',
  'PARTY_WORKING_COMMITTEE',
  'MANAGEMENT_COMMITTEE',
  'DISCIPLINE_COMMITTEE',
  'SUBDISTRICT_OFFICE',
  'DEPARTMENT',
  'OFFICE',
  'OTHER',
] as const;
export type OrganizationKind = (typeof organizationKinds)[number];
export const organizationKind = pgEnum('organization_kind', organizationKinds);

export const cadreStatuses = ['ACTIVE', 'TRANSFERRED', 'RETIRED'] as const;
export type CadreStatus = (typeof cadreStatuses)[number];
export const cadreStatus = pgEnum('cadre_status', cadreStatuses);

export const genders = ['MALE', 'FEMALE'] as const;
export type Gender = (typeof genders)[number];
export const gender = pgEnum('gender', genders);

/** Limits shared by the database checks and the API's input validation. */
export const directoryLimits = {
  codeMaxLength: 64,
  nameMaxLength: 100,
  orgNameMaxLength: 200,
  positionMaxLength: 100,
  rankMaxLength: 50,
  employeeNumberMaxLength: 32,
  phoneMaxLength: 20,
} as const;

export const organizations = snakeCase.table(
  'organizations',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    code: varchar({ length: directoryLimits.codeMaxLength }).notNull().unique(),
    name: varchar({ length: directoryLimits.orgNameMaxLength }).notNull(),
    kind: organizationKind().notNull(),
    parentId: integer().references((): AnyPgColumn => organizations.id, { onDelete: 'restrict' }),
    // Materialized path of ids from the root down to this row, maintained by the directory service.
    path: ltree().notNull(),
    sortOrder: integer().notNull().default(0),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('organizations_path_key').on(t.path),
    index('organizations_path_gist').using('gist', t.path),
    index('organizations_parent_id_idx').on(t.parentId, t.sortOrder, t.id),
    check('organizations_code_format', codeFormat(t.code)),
    check('organizations_name_not_blank', sql`length(btrim(${t.name})) > 0`),
    // Only the zone as a whole stands at the top of a tree; every other unit has a parent.
    check('organizations_root_is_zone', sql`(${t.parentId} is null) = (${t.kind} = 'ZONE')`),
    check('organizations_not_own_parent', sql`${t.parentId} is distinct from ${t.id}`),
  ],
);

export const cadres = snakeCase.table(
  'cadres',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    employeeNumber: varchar({ length: directoryLimits.employeeNumberMaxLength }).notNull().unique(),
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    name: varchar({ length: directoryLimits.nameMaxLength }).notNull(),
    gender: gender().notNull(),
    position: varchar({ length: directoryLimits.positionMaxLength }),
    rank: varchar({ length: directoryLimits.rankMaxLength }),
    isLeader: boolean().notNull().default(false),
    isPartyMember: boolean().notNull().default(false),
    status: cadreStatus().notNull().default('ACTIVE'),
    // Personal data: exposed through the API only to viewers allowed to see it.
    phone: varchar({ length: directoryLimits.phoneMaxLength }),
    ...timestamps,
  },
  (t) => [
    index('cadres_organization_id_idx').on(t.organizationId, t.id),
    index('cadres_name_idx').on(t.name),
    check('cadres_name_not_blank', sql`length(btrim(${t.name})) > 0`),
    check('cadres_employee_number_format', sql`${t.employeeNumber} ~ '^[A-Za-z0-9-]+$'`),
    check('cadres_phone_format', sql`${t.phone} is null or ${t.phone} ~ '^\\+?[0-9-]{5,20}$'`),
  ],
);

/** Every move of a cadre between units, kept so that a transfer never overwrites history. */
export const cadreTransfers = snakeCase.table(
  'cadre_transfers',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    cadreId: integer()
      .notNull()
      .references(() => cadres.id, { onDelete: 'cascade' }),
    fromOrganizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    toOrganizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    effectiveOn: date({ mode: 'string' }).notNull(),
    reason: text(),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    index('cadre_transfers_cadre_id_idx').on(t.cadreId, t.id),
    check('cadre_transfers_moves', sql`${t.fromOrganizationId} <> ${t.toOrganizationId}`),
  ],
);

/**
 * Every (unit, strict ancestor) pair, read off the ltree paths. It lets the relational query
 * builder plan `ancestors` as an ordinary many-to-many relation inside the parent's query.
 */
export const organizationAncestry = pgView('organization_ancestry', {
  organizationId: integer('organization_id').notNull(),
  ancestorId: integer('ancestor_id').notNull(),
  distance: integer('distance').notNull(),
}).as(
  sql`select o.id as organization_id, a.id as ancestor_id, nlevel(o.path) - nlevel(a.path) as distance
      from organizations o join organizations a on a.path @> o.path and a.id <> o.id`,
);
