import {
  activityKinds,
  cadencePeriods,
  campaignCapabilities,
  campaignConductPairs,
  campaignDimensions,
  campaignExpectedChanges,
  campaigns,
  type Executor,
  leadingGroupMembers,
  leadingGroupRoles,
  leadingGroups,
  organizations,
  supervisionCadences,
  writeAuditEvent,
} from '@sixtype/db';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { pathWithin, type WriteAccess } from '../../context.ts';
import { ConflictError, graphQLError, NotFoundError, ValidationError } from '../../errors.ts';
import { rowsOf } from '../common/rows.ts';
import { inTransaction } from '../common/transactions.ts';
import { calendarDay, codeSchema, idOf, parseInput, type Raw } from '../common/validation.ts';

export { codeSchema, type Raw };

// ---------------------------------------------------------------------------------------------
// Predicates shared by the campaign, activity and problem lists. They take columns of the
// (possibly aliased) table the relational query builder is querying.

/**
 * Rows whose unit lies in the subtree the viewer may read (null: all, undefined: none): campaign
 * work names cadres, so it follows the same subtree rule as the cadres themselves.
 */
export function orgColumnVisibleSql(column: AnyPgColumn, readable: string | null | undefined): SQL | undefined {
  if (readable === null) return undefined;
  if (readable === undefined) return sql`false`;
  return sql`${column} in (select visible_unit.id from organizations visible_unit where visible_unit.path <@ ${readable}::ltree)`;
}

/** Rows naming a cadre the viewer may read: keeps lists of members and participants inside the subtree. */
export function cadreColumnVisibleSql(column: AnyPgColumn, readable: string | null | undefined): SQL | undefined {
  if (readable === null) return undefined;
  if (readable === undefined) return sql`false`;
  return sql`${column} in (select visible_cadre.id from cadres visible_cadre join organizations visible_unit on visible_unit.id = visible_cadre.organization_id where visible_unit.path <@ ${readable}::ltree)`;
}

// ---------------------------------------------------------------------------------------------
// Input pieces and lookups used by the writes.

export const codeArg = codeSchema.nullish();
export const employeeNumberSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .regex(/^[A-Za-z0-9-]+$/, 'must be letters, digits and hyphens');
export { calendarDay };

/** What a caller may hand in: GraphQL sends `null` for an omitted optional field, zod sorts it out. */

export const outsideSubtree = (what: string) =>
  graphQLError('FORBIDDEN', `${what} is outside the part of the organization you may change`);

export async function findCampaignId(tx: Executor, code: string): Promise<number> {
  const [row] = await tx.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.code, code));
  if (!row) throw new NotFoundError('Campaign', code);
  return row.id;
}

/** A unit the caller may act in: unknown is NOT_FOUND, outside the writable subtree FORBIDDEN. */
export async function findWritableOrganization(tx: Executor, code: string, access: WriteAccess) {
  const [row] = await tx
    .select({ id: organizations.id, path: organizations.path })
    .from(organizations)
    .where(eq(organizations.code, code))
    .for('share');
  if (!row) throw new NotFoundError('Organization', code);
  if (!pathWithin(row.path, access.writable)) throw outsideSubtree(`Unit ${code}`);
  return row;
}

/** A cadre the caller may read, by employee number; one it cannot read does not exist for it. */
export async function findReadableCadreId(tx: Executor, employeeNumber: string, access: WriteAccess) {
  const rows = (await tx.execute(
    sql`select c.id, o.path::text as path from cadres c join organizations o on o.id = c.organization_id
        where c.employee_number = ${employeeNumber}`,
  )) as unknown;
  const [row] = rowsOf<{ id: number; path: string }>(rows);
  if (!row || !pathWithin(row.path, access.readable)) throw new NotFoundError('Cadre', employeeNumber);
  return Number(row.id);
}

/**
 * Sub-district offices, departments and offices matching `visible` (a predicate on `o`) without a
 * leading group of their own for the campaign, in tree order: the list and the reminder rule share it.
 */
export function organizationsWithoutLeadingGroupSql(campaignCode: string, visible: SQL): SQL {
  return sql`
select o.id, o.code, o.name from organizations o
where o.kind in ('SUBDISTRICT_OFFICE', 'DEPARTMENT', 'OFFICE') and ${visible}
  and not exists (
    select 1 from leading_groups g join campaigns c on c.id = g.campaign_id
    where (g.organization_id = o.id or g.office_organization_id = o.id) and c.code = ${campaignCode})
order by o.path`;
}

export async function assertCampaignExists(db: Executor, code: string): Promise<void> {
  const rows = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.code, code));
  if (rows.length === 0) throw graphQLError('NOT_FOUND', `Campaign ${code} does not exist`);
}

// ---------------------------------------------------------------------------------------------
// Writes: a new campaign with its catalogue, and leading groups.

const name = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const codedName = z.object({ code: codeSchema, name: name(100) });
const uniqueCodes = (items: { code: string }[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.code)) ctx.addIssue({ code: 'custom', path: [index, 'code'], message: 'is listed twice' });
    seen.add(item.code);
  });
};

const createCampaignInput = z
  .object({
    code: codeSchema,
    name: name(200),
    slogan: name(200).nullish(),
    startsOn: calendarDay.nullish(),
    endsOn: calendarDay.nullish(),
    dimensions: z.array(codedName).max(20).superRefine(uniqueCodes),
    capabilities: z.array(codedName).max(20).superRefine(uniqueCodes).nullish(),
    expectedChanges: z.array(name(200)).max(20).nullish(),
    conductCode: z
      .array(z.object({ less: name(100), more: name(100) }))
      .max(30)
      .nullish(),
    supervisionCadences: z
      .array(
        z.object({
          activityKind: z.enum(activityKinds),
          period: z.enum(cadencePeriods),
          description: name(200).nullish(),
        }),
      )
      .max(10)
      .nullish(),
  })
  .superRefine((input, ctx) => {
    if (input.startsOn && input.endsOn && input.endsOn < input.startsOn) {
      ctx.addIssue({ code: 'custom', path: ['endsOn'], message: 'must not be before startsOn' });
    }
  });

const memberInput = z.object({ employeeNumber: employeeNumberSchema, role: z.enum(leadingGroupRoles) });
const createLeadingGroupInput = z.object({
  campaignCode: codeSchema,
  orgCode: codeSchema,
  name: name(200),
  officeOrgCode: codeSchema.nullish(),
  establishedOn: calendarDay.nullish(),
  members: z
    .array(memberInput)
    .max(200)
    .nullish()
    .superRefine((members, ctx) => {
      if ((members ?? []).filter((member) => member.role === 'LEADER').length > 1) {
        ctx.addIssue({ code: 'custom', message: 'a group has one LEADER (组长)' });
      }
    }),
});
const setLeadingGroupMemberInput = z.object({
  leadingGroupId: idOf('LeadingGroup'),
  employeeNumber: employeeNumberSchema,
  /** null removes the cadre from the group. */
  role: z.enum(leadingGroupRoles).nullish(),
});

export type CreateCampaignInput = Raw<z.input<typeof createCampaignInput>>;
export type CreateLeadingGroupInput = Raw<z.input<typeof createLeadingGroupInput>>;
export type SetLeadingGroupMemberInput = Raw<z.input<typeof setLeadingGroupMemberInput>>;

export async function createCampaign(db: Executor, access: WriteAccess, rawInput: CreateCampaignInput) {
  const input = parseInput(createCampaignInput, rawInput);
  return inTransaction(db, async (tx) => {
    const [created] = await tx
      .insert(campaigns)
      .values({
        code: input.code,
        name: input.name,
        slogan: input.slogan ?? null,
        startsOn: input.startsOn ?? null,
        endsOn: input.endsOn ?? null,
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    const campaignId = created.id;
    const ordered = <T>(items: readonly T[] | null | undefined) =>
      (items ?? []).map((item, sortOrder) => ({ ...item, campaignId, sortOrder }));
    if (input.dimensions.length > 0) await tx.insert(campaignDimensions).values(ordered(input.dimensions));
    if (input.capabilities?.length) await tx.insert(campaignCapabilities).values(ordered(input.capabilities));
    if (input.expectedChanges?.length) {
      await tx.insert(campaignExpectedChanges).values(ordered(input.expectedChanges.map((text) => ({ text }))));
    }
    if (input.conductCode?.length) await tx.insert(campaignConductPairs).values(ordered(input.conductCode));
    if (input.supervisionCadences?.length) {
      await tx
        .insert(supervisionCadences)
        .values(
          input.supervisionCadences.map((rule) => ({ ...rule, description: rule.description ?? null, campaignId })),
        );
    }
    await writeAuditEvent(tx, access.actor, {
      operation: 'createCampaign',
      entityType: 'Campaign',
      entityId: created.id,
      after: input,
    });
    return created;
  });
}

export async function createLeadingGroup(db: Executor, access: WriteAccess, rawInput: CreateLeadingGroupInput) {
  const input = parseInput(createLeadingGroupInput, rawInput);
  return inTransaction(db, async (tx) => {
    const campaignId = await findCampaignId(tx, input.campaignCode);
    const org = await findWritableOrganization(tx, input.orgCode, access);
    const office = input.officeOrgCode ? await findWritableOrganization(tx, input.officeOrgCode, access) : null;
    const [existing] = await tx
      .select({ id: leadingGroups.id })
      .from(leadingGroups)
      .where(and(eq(leadingGroups.campaignId, campaignId), eq(leadingGroups.organizationId, org.id)));
    if (existing)
      throw new ConflictError(`${input.orgCode} already has a leading group for ${input.campaignCode}`, 'orgCode');
    const [created] = await tx
      .insert(leadingGroups)
      .values({
        campaignId,
        organizationId: org.id,
        name: input.name,
        officeOrganizationId: office?.id ?? null,
        establishedOn: input.establishedOn ?? null,
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    const members = [];
    for (const [sortOrder, member] of (input.members ?? []).entries()) {
      members.push({
        leadingGroupId: created.id,
        cadreId: await findReadableCadreId(tx, member.employeeNumber, access),
        role: member.role,
        sortOrder,
      });
    }
    if (new Set(members.map((member) => member.cadreId)).size !== members.length) {
      throw ValidationError.of(['input', 'members'], 'lists a cadre twice');
    }
    if (members.length > 0) await tx.insert(leadingGroupMembers).values(members);
    await writeAuditEvent(tx, access.actor, {
      operation: 'createLeadingGroup',
      entityType: 'LeadingGroup',
      entityId: created.id,
      after: { ...created, members: input.members ?? [] },
    });
    return created;
  });
}

/** Adds a cadre to a group, changes their role, or (role null) removes them. */
export async function setLeadingGroupMember(db: Executor, access: WriteAccess, rawInput: SetLeadingGroupMemberInput) {
  const input = parseInput(setLeadingGroupMemberInput, rawInput);
  return inTransaction(db, async (tx) => {
    const [group] = await tx
      .select({
        group: leadingGroups,
        path: sql<string>`(select o.path::text from organizations o where o.id = ${leadingGroups.organizationId})`,
      })
      .from(leadingGroups)
      .where(eq(leadingGroups.id, input.leadingGroupId))
      .for('update', { of: leadingGroups });
    if (!group || !pathWithin(group.path, access.readable)) {
      throw new NotFoundError('LeadingGroup', String(input.leadingGroupId));
    }
    if (!pathWithin(group.path, access.writable)) throw outsideSubtree(`Leading group ${input.leadingGroupId}`);
    const cadreId = await findReadableCadreId(tx, input.employeeNumber, access);
    const where = and(eq(leadingGroupMembers.leadingGroupId, group.group.id), eq(leadingGroupMembers.cadreId, cadreId));
    const [before] = await tx.select().from(leadingGroupMembers).where(where);
    if (input.role === 'LEADER') {
      const [leader] = await tx
        .select({ cadreId: leadingGroupMembers.cadreId })
        .from(leadingGroupMembers)
        .where(and(eq(leadingGroupMembers.leadingGroupId, group.group.id), eq(leadingGroupMembers.role, 'LEADER')));
      if (leader && leader.cadreId !== cadreId) {
        throw new ConflictError('the group already has a LEADER (组长); change their role first', 'role');
      }
    }
    let after: typeof leadingGroupMembers.$inferSelect | undefined;
    if (!input.role) {
      if (!before) throw new NotFoundError('LeadingGroupMember', input.employeeNumber);
      await tx.delete(leadingGroupMembers).where(where);
    } else if (before) {
      [after] = await tx.update(leadingGroupMembers).set({ role: input.role }).where(where).returning();
    } else {
      [after] = await tx
        .insert(leadingGroupMembers)
        .values({
          leadingGroupId: group.group.id,
          cadreId,
          role: input.role,
          sortOrder: sql`(select coalesce(max(m.sort_order) + 1, 0) from leading_group_members m where m.leading_group_id = ${group.group.id})`,
        })
        .returning();
    }
    await writeAuditEvent(tx, access.actor, {
      operation: 'setLeadingGroupMember',
      entityType: 'LeadingGroup',
      entityId: group.group.id,
      before: before ?? null,
      after: after ?? null,
    });
    return group.group;
  });
}
