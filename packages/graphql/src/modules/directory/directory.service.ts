import {
  CODE_PATTERN_MESSAGE,
  cadreStatuses,
  cadres,
  cadreTransfers,
  codePattern,
  directoryLimits,
  type Executor,
  genders,
  organizationKinds,
  organizations,
  writeAuditEvent,
} from '@sixtype/db';
import { eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { pathWithin, type WriteAccess } from '../../context.ts';
import { graphQLError, NotFoundError, ValidationError } from '../../errors.ts';
import type { OrgScope } from '../common/scope.ts';
import { inTransaction } from '../common/transactions.ts';
import { calendarDay, parseInput, type Raw } from '../common/validation.ts';

export type OrganizationRow = typeof organizations.$inferSelect;
export type CadreRow = typeof cadres.$inferSelect;
export type CadreTransferRow = typeof cadreTransfers.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Scopes and filters, shared by the list fields. They take the table as an argument because the
// relational query builder aliases the table it queries.

const scopeRootPath = (orgCode: string) =>
  sql`(select scope_root.path from organizations scope_root where scope_root.code = ${orgCode})`;

/** The unit named by `orgCode` and, with `includeDescendants`, every unit below it. */
export function organizationScopeSql(table: typeof organizations, scope: OrgScope): SQL | undefined {
  if (!scope.orgCode) return undefined;
  return scope.includeDescendants
    ? sql`${table.path} <@ ${scopeRootPath(scope.orgCode)}`
    : eq(table.code, scope.orgCode);
}

/**
 * Cadres inside the subtree the viewer may read, as a predicate on the (possibly aliased) cadres
 * table: applied in every cadre query, so rows outside it are never loaded.
 */
export function cadreVisibleSql(table: typeof cadres, readable: string | null | undefined): SQL | undefined {
  if (readable === null) return undefined;
  if (readable === undefined) return sql`false`;
  return sql`${table.organizationId} in (select visible_unit.id from organizations visible_unit where visible_unit.path <@ ${readable}::ltree)`;
}

/** For list fields scoped to a unit: an unknown unit is an error, not an empty list. */
export async function assertOrganizationExists(db: Executor, code: string): Promise<void> {
  const rows = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.code, code))
    .limit(1);
  if (rows.length === 0) throw graphQLError('NOT_FOUND', `Organization ${code} does not exist`);
}

// ---------------------------------------------------------------------------------------------
// Input schemas. Limits come from the table definitions so the API and the database agree.

const code = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(directoryLimits.codeMaxLength, `must be at most ${directoryLimits.codeMaxLength} characters`)
  .regex(codePattern, CODE_PATTERN_MESSAGE);
const orgName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(directoryLimits.orgNameMaxLength, `must be at most ${directoryLimits.orgNameMaxLength} characters`);
const personName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(directoryLimits.nameMaxLength, `must be at most ${directoryLimits.nameMaxLength} characters`);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value === '' ? null : value));
const employeeNumber = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(directoryLimits.employeeNumberMaxLength, `must be at most ${directoryLimits.employeeNumberMaxLength} characters`)
  .regex(/^[A-Za-z0-9-]+$/, 'must be letters, digits and hyphens');
// The pattern alone admits 21 characters (`+` and 20 digits); the column holds 20.
const phone = z
  .string()
  .trim()
  .max(directoryLimits.phoneMaxLength, `must be at most ${directoryLimits.phoneMaxLength} characters`)
  .regex(/^\+?[0-9-]{5,20}$/, 'must be 5 to 20 digits, optionally with + and hyphens')
  .nullish();
/** Query arguments: a malformed key is BAD_USER_INPUT, a well-formed unknown one is null or NOT_FOUND. */
export const orgCodeArg = code.nullish();
export const employeeNumberArg = employeeNumber;

const sortOrder = z.number().int().min(0).max(1_000_000).nullish();

const createOrganizationInput = z
  .object({
    code,
    name: orgName,
    kind: z.enum(organizationKinds),
    parentCode: code.nullish(),
    sortOrder,
  })
  .superRefine((input, ctx) => {
    if (input.kind === 'ZONE' && input.parentCode) {
      ctx.addIssue({
        code: 'custom',
        path: ['parentCode'],
        message: 'a ZONE is the root of its tree and has no parent',
      });
    }
    if (input.kind !== 'ZONE' && !input.parentCode) {
      ctx.addIssue({ code: 'custom', path: ['parentCode'], message: 'every unit except a ZONE needs a parent' });
    }
  });

const updateOrganizationInput = z.object({
  code,
  name: orgName.optional(),
  kind: z.enum(organizationKinds).optional(),
  sortOrder,
});

const moveOrganizationInput = z.object({ code, newParentCode: code, sortOrder });

const createCadreInput = z.object({
  employeeNumber,
  organizationCode: code,
  name: personName,
  gender: z.enum(genders),
  position: optionalText(directoryLimits.positionMaxLength),
  rank: optionalText(directoryLimits.rankMaxLength),
  isLeader: z.boolean().nullish(),
  isPartyMember: z.boolean().nullish(),
  phone,
});

const updateCadreInput = z.object({
  employeeNumber,
  name: personName.optional(),
  gender: z.enum(genders).optional(),
  position: optionalText(directoryLimits.positionMaxLength),
  rank: optionalText(directoryLimits.rankMaxLength),
  isLeader: z.boolean().optional(),
  isPartyMember: z.boolean().optional(),
  status: z.enum(cadreStatuses).optional(),
  phone,
});

const transferCadreInput = z.object({
  employeeNumber,
  toOrganizationCode: code,
  effectiveOn: calendarDay,
  reason: optionalText(500),
});

/** What a caller may hand in: GraphQL sends `null` for an omitted optional field, zod sorts it out. */
export type CreateOrganizationInput = Raw<z.input<typeof createOrganizationInput>>;
export type UpdateOrganizationInput = Raw<z.input<typeof updateOrganizationInput>>;
export type MoveOrganizationInput = Raw<z.input<typeof moveOrganizationInput>>;
export type CreateCadreInput = Raw<z.input<typeof createCadreInput>>;
export type UpdateCadreInput = Raw<z.input<typeof updateCadreInput>>;
export type TransferCadreInput = Raw<z.input<typeof transferCadreInput>>;

// ---------------------------------------------------------------------------------------------
// Writes. Each runs in one transaction that also writes its audit row; constraint violations the
// database reports are turned into the typed errors a client can act on.

const outsideSubtree = (what: string) =>
  graphQLError('FORBIDDEN', `${what} is outside the part of the organization you may change`);

/** Units are visible to every directory reader; changing one needs it inside the writable subtree. */
async function lockOrganization(tx: Executor, orgCode: string, access: WriteAccess) {
  const [row] = await tx.select().from(organizations).where(eq(organizations.code, orgCode)).for('update');
  if (!row) throw new NotFoundError('Organization', orgCode);
  if (!pathWithin(row.path, access.writable)) throw outsideSubtree(`Unit ${orgCode}`);
  return row;
}

async function nextSortOrder(tx: Executor, parentId: number) {
  const [row] = await tx
    .select({ next: sql<number>`coalesce(max(${organizations.sortOrder}) + 1, 0)`.mapWith(Number) })
    .from(organizations)
    .where(eq(organizations.parentId, parentId));
  return row?.next ?? 0;
}

export async function createOrganization(db: Executor, access: WriteAccess, rawInput: CreateOrganizationInput) {
  const input = parseInput(createOrganizationInput, rawInput);
  return inTransaction(db, async (tx) => {
    if (!input.parentCode && access.writable !== null) throw outsideSubtree('A new tree');
    const parent = input.parentCode ? await lockOrganization(tx, input.parentCode, access) : null;
    const [created] = await tx
      .insert(organizations)
      .values({
        code: input.code,
        name: input.name,
        kind: input.kind,
        parentId: parent?.id ?? null,
        path: parent ? `${parent.path}.${input.code}` : input.code,
        sortOrder: input.sortOrder ?? (parent ? await nextSortOrder(tx, parent.id) : 0),
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'createOrganization',
      entityType: 'Organization',
      entityId: created.id,
      after: created,
    });
    return created;
  });
}

export async function updateOrganization(db: Executor, access: WriteAccess, rawInput: UpdateOrganizationInput) {
  const input = parseInput(updateOrganizationInput, rawInput);
  return inTransaction(db, async (tx) => {
    const before = await lockOrganization(tx, input.code, access);
    if (input.kind && (input.kind === 'ZONE') !== (before.kind === 'ZONE')) {
      throw ValidationError.of(['input', 'kind'], 'only the root of a tree is a ZONE; move the unit instead');
    }
    const [after] = await tx
      .update(organizations)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.kind !== undefined ? { kind: input.kind } : {}),
        ...(input.sortOrder != null ? { sortOrder: input.sortOrder } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(organizations.id, before.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'updateOrganization',
      entityType: 'Organization',
      entityId: after.id,
      before,
      after,
    });
    return after;
  });
}

export async function moveOrganization(db: Executor, access: WriteAccess, rawInput: MoveOrganizationInput) {
  const input = parseInput(moveOrganizationInput, rawInput);
  return inTransaction(db, async (tx) => {
    const before = await lockOrganization(tx, input.code, access);
    if (before.parentId === null) {
      throw ValidationError.of(['input', 'code'], 'the root of a tree cannot be moved');
    }
    if (before.path === access.writable) throw outsideSubtree(`Moving ${before.code}, the root of your subtree,`);
    const newParent = await lockOrganization(tx, input.newParentCode, access);
    const isInsideMovedSubtree = newParent.path === before.path || newParent.path.startsWith(`${before.path}.`);
    if (isInsideMovedSubtree) {
      throw ValidationError.of(
        ['input', 'newParentCode'],
        `${newParent.code} is ${input.code} itself or below it; moving there would make a cycle`,
      );
    }
    const newPath = `${newParent.path}.${before.code}`;
    // Re-root the whole subtree in one statement: every path below the old prefix gets the new one.
    await tx
      .update(organizations)
      .set({
        path: sql`case when ${organizations.path} = ${before.path}::ltree then ${newPath}::ltree
          else ${newPath}::ltree || subpath(${organizations.path}, nlevel(${before.path}::ltree)) end`,
        updatedAt: sql`now()`,
      })
      .where(sql`${organizations.path} <@ ${before.path}::ltree`);
    const [after] = await tx
      .update(organizations)
      .set({ parentId: newParent.id, sortOrder: input.sortOrder ?? (await nextSortOrder(tx, newParent.id)) })
      .where(eq(organizations.id, before.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'moveOrganization',
      entityType: 'Organization',
      entityId: after.id,
      before,
      after,
    });
    return after;
  });
}

/** A cadre the caller cannot read does not exist for it; one it can read but not change is FORBIDDEN. */
async function lockCadre(tx: Executor, number: string, access: WriteAccess) {
  const [found] = await tx
    .select({ cadre: cadres, path: sql<string>`${organizations.path}::text` })
    .from(cadres)
    .innerJoin(organizations, eq(organizations.id, cadres.organizationId))
    .where(eq(cadres.employeeNumber, number))
    .for('update', { of: cadres });
  if (!found || !pathWithin(found.path, access.readable)) throw new NotFoundError('Cadre', number);
  if (!pathWithin(found.path, access.writable)) throw outsideSubtree(`Cadre ${number}`);
  return found.cadre;
}

async function findOrganizationId(tx: Executor, orgCode: string, access: WriteAccess) {
  const [row] = await tx
    .select({ id: organizations.id, path: organizations.path })
    .from(organizations)
    .where(eq(organizations.code, orgCode))
    .for('share');
  if (!row) throw new NotFoundError('Organization', orgCode);
  if (!pathWithin(row.path, access.writable)) throw outsideSubtree(`Unit ${orgCode}`);
  return row.id;
}

export async function createCadre(db: Executor, access: WriteAccess, rawInput: CreateCadreInput) {
  const input = parseInput(createCadreInput, rawInput);
  return inTransaction(db, async (tx) => {
    const organizationId = await findOrganizationId(tx, input.organizationCode, access);
    const [created] = await tx
      .insert(cadres)
      .values({
        employeeNumber: input.employeeNumber,
        organizationId,
        name: input.name,
        gender: input.gender,
        position: input.position ?? null,
        rank: input.rank ?? null,
        isLeader: input.isLeader ?? false,
        isPartyMember: input.isPartyMember ?? false,
        phone: input.phone ?? null,
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'createCadre',
      entityType: 'Cadre',
      entityId: created.id,
      after: created,
    });
    return created;
  });
}

export async function updateCadre(db: Executor, access: WriteAccess, rawInput: UpdateCadreInput) {
  const input = parseInput(updateCadreInput, rawInput);
  const { employeeNumber: number, ...changes } = input;
  return inTransaction(db, async (tx) => {
    const before = await lockCadre(tx, number, access);
    const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const [after] = await tx
      .update(cadres)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(cadres.id, before.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'updateCadre',
      entityType: 'Cadre',
      entityId: after.id,
      before,
      after,
    });
    return after;
  });
}

export async function transferCadre(db: Executor, access: WriteAccess, rawInput: TransferCadreInput) {
  const input = parseInput(transferCadreInput, rawInput);
  return inTransaction(db, async (tx) => {
    const before = await lockCadre(tx, input.employeeNumber, access);
    if (before.status !== 'ACTIVE') {
      throw ValidationError.of(
        ['input', 'employeeNumber'],
        `only an ACTIVE cadre can be transferred (this one is ${before.status})`,
      );
    }
    const toOrganizationId = await findOrganizationId(tx, input.toOrganizationCode, access);
    if (toOrganizationId === before.organizationId) {
      throw ValidationError.of(['input', 'toOrganizationCode'], 'the cadre already belongs to this unit');
    }
    const [transfer] = await tx
      .insert(cadreTransfers)
      .values({
        cadreId: before.id,
        fromOrganizationId: before.organizationId,
        toOrganizationId,
        effectiveOn: input.effectiveOn,
        reason: input.reason ?? null,
      })
      .returning();
    const [after] = await tx
      .update(cadres)
      .set({ organizationId: toOrganizationId, updatedAt: sql`now()` })
      .where(eq(cadres.id, before.id))
      .returning();
    if (!after || !transfer) throw new Error('transfer wrote no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'transferCadre',
      entityType: 'Cadre',
      entityId: after.id,
      before,
      after: { ...after, transfer },
    });
    return { cadre: after, transfer };
  });
}
