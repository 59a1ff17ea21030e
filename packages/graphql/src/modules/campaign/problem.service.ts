import {
  activities,
  type Executor,
  type ProblemState,
  problemCategories,
  problemSeverities,
  problemSources,
  problems,
  problemTransitions,
  writeAuditEvent,
  today as zoneToday,
} from '@sixtype/db';
import { eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { pathWithin, type WriteAccess } from '../../context.ts';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../../errors.ts';
import { type OrgScope, unitScopeSql } from '../common/scope.ts';
import { inTransaction } from '../common/transactions.ts';
import { idOf, parseInput } from '../common/validation.ts';
import { enqueueWebhookEvents } from '../webhooks/webhooks.service.ts';
import {
  calendarDay,
  codeSchema,
  employeeNumberSchema,
  findCampaignId,
  findReadableCadreId,
  findWritableOrganization,
  orgColumnVisibleSql,
  outsideSubtree,
  type Raw,
} from './campaign.service.ts';

export type ProblemRow = typeof problems.$inferSelect;

/**
 * The rectification ledger's moves: FOUND → RECTIFYING → AWAITING_ACCEPTANCE → CLOSED, CLOSED →
 * REOPENED, and a reopened problem goes back to RECTIFYING (without that it could never close
 * again). Everything else is refused with INVALID_TRANSITION.
 */
export const problemTransitionRules: Readonly<Record<ProblemState, readonly ProblemState[]>> = {
  FOUND: ['RECTIFYING'],
  RECTIFYING: ['AWAITING_ACCEPTANCE'],
  AWAITING_ACCEPTANCE: ['CLOSED'],
  CLOSED: ['REOPENED'],
  REOPENED: ['RECTIFYING'],
};

export const mayTransition = (from: ProblemState, to: ProblemState) => problemTransitionRules[from].includes(to);

/** Overdue: past its deadline and not closed, on `today` (by default today in the zone, the clock's). */
export function overdueSql(table: typeof problems, today?: string | null): SQL {
  return sql`(${table.deadline} < ${today ?? zoneToday()}::date and ${table.state} <> 'CLOSED')`;
}

export function problemScopeSql(table: typeof problems, scope: OrgScope, readable: string | null | undefined) {
  return [unitScopeSql(table.organizationId, scope), orgColumnVisibleSql(table.organizationId, readable)];
}

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value === '' ? null : value));

const reportProblemInput = z.object({
  campaignCode: codeSchema,
  orgCode: codeSchema,
  categoryCode: codeSchema,
  source: z.enum(problemSources),
  description: text(4000),
  severity: z.enum(problemSeverities),
  cadreEmployeeNumber: employeeNumberSchema.nullish(),
  responsibleEmployeeNumber: employeeNumberSchema.nullish(),
  deadline: calendarDay.nullish(),
  measures: optionalText(4000),
  /** Database id of the inspection (an Activity of kind INSPECTION) that found it. */
  inspectionActivityId: idOf('Activity').nullish(),
  comment: optionalText(1000),
});

const transitionProblemInput = z.object({
  problemId: idOf('Problem'),
  toState: z.enum(['FOUND', 'RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED', 'REOPENED']),
  comment: optionalText(1000),
});

const updateProblemInput = z.object({
  problemId: idOf('Problem'),
  responsibleEmployeeNumber: employeeNumberSchema.nullish(),
  deadline: calendarDay.nullish(),
  measures: optionalText(4000),
  severity: z.enum(problemSeverities).nullish(),
});

export type ReportProblemInput = Raw<z.input<typeof reportProblemInput>>;
export type TransitionProblemInput = Raw<z.input<typeof transitionProblemInput>>;
export type UpdateProblemInput = Raw<z.input<typeof updateProblemInput>>;

/** Locks a problem the caller may change: unreadable is NOT_FOUND, readable but not writable FORBIDDEN. */
async function lockProblem(tx: Executor, id: number, access: WriteAccess) {
  const [found] = await tx
    .select({
      problem: problems,
      path: sql<string>`(select o.path::text from organizations o where o.id = ${problems.organizationId})`,
    })
    .from(problems)
    .where(eq(problems.id, id))
    .for('update', { of: problems });
  if (!found || !pathWithin(found.path, access.readable)) throw new NotFoundError('Problem', String(id));
  if (!pathWithin(found.path, access.writable)) throw outsideSubtree(`Problem ${id}`);
  return found.problem;
}

export async function reportProblem(db: Executor, access: WriteAccess, rawInput: ReportProblemInput) {
  const input = parseInput(reportProblemInput, rawInput);
  return inTransaction(db, async (tx) => {
    const campaignId = await findCampaignId(tx, input.campaignCode);
    const org = await findWritableOrganization(tx, input.orgCode, access);
    const [category] = await tx
      .select({ id: problemCategories.id })
      .from(problemCategories)
      .where(eq(problemCategories.code, input.categoryCode));
    if (!category) throw new NotFoundError('ProblemCategory', input.categoryCode);
    const cadreId = input.cadreEmployeeNumber ? await findReadableCadreId(tx, input.cadreEmployeeNumber, access) : null;
    const responsibleCadreId = input.responsibleEmployeeNumber
      ? await findReadableCadreId(tx, input.responsibleEmployeeNumber, access)
      : null;
    if (input.inspectionActivityId != null) {
      const [inspection] = await tx
        .select({ kind: activities.kind, campaignId: activities.campaignId })
        .from(activities)
        .where(eq(activities.id, input.inspectionActivityId));
      if (!inspection) throw new NotFoundError('Activity', String(input.inspectionActivityId));
      if (inspection.kind !== 'INSPECTION' || inspection.campaignId !== campaignId) {
        throw ValidationError.of(['input', 'inspectionId'], 'must be an INSPECTION of the same campaign');
      }
    }
    const [created] = await tx
      .insert(problems)
      .values({
        campaignId,
        organizationId: org.id,
        cadreId,
        categoryId: category.id,
        source: input.source,
        description: input.description,
        severity: input.severity,
        responsibleCadreId,
        deadline: input.deadline ?? null,
        measures: input.measures ?? null,
        inspectionActivityId: input.inspectionActivityId ?? null,
        state: 'FOUND',
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    await tx.insert(problemTransitions).values({
      problemId: created.id,
      fromState: null,
      toState: 'FOUND',
      actorKind: access.actor.kind,
      actorId: access.actor.id,
      comment: input.comment ?? null,
    });
    await writeAuditEvent(tx, access.actor, {
      operation: 'reportProblem',
      entityType: 'Problem',
      entityId: created.id,
      after: created,
    });
    return created;
  });
}

export async function transitionProblem(db: Executor, access: WriteAccess, rawInput: TransitionProblemInput) {
  const input = parseInput(transitionProblemInput, rawInput);
  return inTransaction(db, async (tx) => {
    const before = await lockProblem(tx, input.problemId, access);
    // Checked before anything is written, so a refused move leaves the row and its history as they were.
    if (!mayTransition(before.state, input.toState)) throw new InvalidTransitionError(before.state, input.toState);
    const [after] = await tx
      .update(problems)
      .set({ state: input.toState, updatedAt: sql`now()` })
      .where(eq(problems.id, before.id))
      .returning();
    const [transition] = await tx
      .insert(problemTransitions)
      .values({
        problemId: before.id,
        fromState: before.state,
        toState: input.toState,
        actorKind: access.actor.kind,
        actorId: access.actor.id,
        comment: input.comment ?? null,
      })
      .returning();
    if (!after || !transition) throw new Error('transition wrote no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'transitionProblem',
      entityType: 'Problem',
      entityId: after.id,
      before,
      after: { ...after, transition },
    });
    await enqueueWebhookEvents(tx, [
      {
        type: 'PROBLEM_TRANSITIONED',
        organizationId: after.organizationId,
        // Other systems know campaigns by code: the outbox statement adds it.
        campaignId: after.campaignId,
        data: {
          problemId: after.id,
          fromState: before.state,
          toState: after.state,
          comment: transition.comment,
          deadline: after.deadline,
          severity: after.severity,
          transitionedAt: transition.occurredAt,
        },
      },
    ]);
    return after;
  });
}

export async function updateProblem(db: Executor, access: WriteAccess, rawInput: UpdateProblemInput) {
  const input = parseInput(updateProblemInput, rawInput);
  return inTransaction(db, async (tx) => {
    const before = await lockProblem(tx, input.problemId, access);
    const responsibleCadreId =
      input.responsibleEmployeeNumber === undefined
        ? undefined
        : input.responsibleEmployeeNumber === null
          ? null
          : await findReadableCadreId(tx, input.responsibleEmployeeNumber, access);
    const [after] = await tx
      .update(problems)
      .set({
        ...(responsibleCadreId !== undefined ? { responsibleCadreId } : {}),
        ...(input.deadline !== undefined ? { deadline: input.deadline } : {}),
        ...(input.measures !== undefined ? { measures: input.measures } : {}),
        ...(input.severity != null ? { severity: input.severity } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(problems.id, before.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await writeAuditEvent(tx, access.actor, {
      operation: 'updateProblem',
      entityType: 'Problem',
      entityId: after.id,
      before,
      after,
    });
    return after;
  });
}

export interface ProblemCountsQuery extends OrgScope {
  campaignCode?: string | null;
  today?: string | null;
}

/**
 * Counts of the ledger by category, by state and by unit, plus the total and the overdue, in one
 * statement: one GROUP BY with grouping sets, folded into JSON.
 */
export function problemCountsSql(q: ProblemCountsQuery, readable: string | null | undefined): SQL {
  const conditions = [
    q.campaignCode ? sql`p.campaign_id = (select id from campaigns where code = ${q.campaignCode})` : undefined,
    unitScopeSql(sql`o.id`, q),
    readable === undefined ? sql`false` : readable === null ? undefined : sql`o.path <@ ${readable}::ltree`,
  ].filter((c): c is SQL => c !== undefined);
  const where = conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const today = sql`${q.today ?? zoneToday()}::date`;
  return sql`
with scoped as (
  select p.state::text as state, p.deadline, c.code as category_code, c.name as category_name,
         c.sort_order as category_order, o.code as org_code, o.name as org_name, o.path::text as org_path
  from problems p
  join problem_categories c on c.id = p.category_id
  join organizations o on o.id = p.organization_id
  ${where}
),
grouped as (
  select grouping(category_code, category_name, category_order) = 0 as by_category,
         grouping(state) = 0 as by_state,
         grouping(org_code, org_name, org_path) = 0 as by_org,
         category_code, category_name, category_order, state, org_code, org_name, org_path,
         count(*)::int as n,
         (count(*) filter (where deadline < ${today} and state <> 'CLOSED'))::int as overdue,
         (count(*) filter (where state = 'CLOSED'))::int as closed
  from scoped
  group by grouping sets ((category_code, category_name, category_order), (state), (org_code, org_name, org_path), ())
)
select
  coalesce((select n from grouped where not by_category and not by_state and not by_org), 0) as total,
  coalesce((select overdue from grouped where not by_category and not by_state and not by_org), 0) as overdue,
  coalesce((select json_agg(json_build_object('code', category_code, 'name', category_name, 'count', n, 'overdue', overdue, 'closed', closed) order by category_order)
            from grouped where by_category), '[]'::json) as by_category,
  coalesce((select json_agg(json_build_object('state', state, 'count', n, 'overdue', overdue)
              order by array_position(array['FOUND','RECTIFYING','AWAITING_ACCEPTANCE','CLOSED','REOPENED'], state))
            from grouped where by_state), '[]'::json) as by_state,
  coalesce((select json_agg(json_build_object('orgCode', org_code, 'orgName', org_name, 'count', n, 'overdue', overdue, 'closed', closed) order by org_path)
            from grouped where by_org), '[]'::json) as by_organization`;
}
