import {
  activities,
  activityAttendance,
  activityDimensions,
  activityKinds,
  activityOccursOn,
  activityParticipants,
  attendanceStatuses,
  campaignDimensions,
  campaigns,
  type Executor,
  isValidRecurrence,
  MAX_OCCURRENCES,
  OCCURRENCE_HORIZON_YEARS,
  organizations,
  TooManyOccurrencesError,
  writeAuditEvent,
  writeOccurrences,
} from '@sixtype/db';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { pathWithin, type WriteAccess } from '../../context.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { unitScopeSql } from '../common/scope.ts';
import { inTransaction } from '../common/transactions.ts';
import { idOf, parseInput } from '../common/validation.ts';
import {
  calendarDay,
  codeSchema,
  employeeNumberSchema,
  findCampaignId,
  findReadableCadreId,
  findWritableOrganization,
  outsideSubtree,
  type Raw,
} from './campaign.service.ts';

export type ActivityRow = typeof activities.$inferSelect;

/** Present over present and absent: a cadre on approved leave (ON_LEAVE) counts neither way. */
export const attendanceRateSql = (present: SQL, absent: SQL) =>
  sql`case when ${present} + ${absent} = 0 then null else round(${present}::numeric / (${present} + ${absent}), 4)::float8 end`;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value === '' ? null : value));
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' });

const participantInput = z.object({
  employeeNumber: employeeNumberSchema,
  pairedVillage: optionalText(100),
  pairedEnterprise: optionalText(100),
  pairedCommunity: optionalText(100),
  hostUnit: optionalText(100),
});

const createActivityInput = z
  .object({
    campaignCode: codeSchema,
    organizerOrgCode: codeSchema,
    kind: z.enum(activityKinds),
    title: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    startsAt: instant,
    endsAt: instant.nullish(),
    place: optionalText(200),
    summary: optionalText(4000),
    recurrence: z
      .string()
      .trim()
      .max(500, 'must be at most 500 characters')
      .refine(isValidRecurrence, 'must be an RRULE such as FREQ=WEEKLY;BYDAY=TU (without DTSTART)')
      .nullish(),
    dimensionCodes: z.array(codeSchema).max(20).nullish(),
    participants: z.array(participantInput).max(500).nullish(),
  })
  .superRefine((input, ctx) => {
    if (input.endsAt && Date.parse(input.endsAt) < Date.parse(input.startsAt)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must not be before startsAt' });
    }
  });

const recordAttendanceInput = z.object({
  activityId: idOf('Activity'),
  occursOn: calendarDay,
  entries: z
    .array(
      z.object({
        employeeNumber: employeeNumberSchema,
        status: z.enum(attendanceStatuses),
        note: optionalText(200),
      }),
    )
    .min(1, 'must list at least one cadre')
    .max(500),
});

export type CreateActivityInput = Raw<z.input<typeof createActivityInput>>;
export type RecordAttendanceInput = Raw<z.input<typeof recordAttendanceInput>>;

export async function createActivity(db: Executor, access: WriteAccess, rawInput: CreateActivityInput) {
  const input = parseInput(createActivityInput, rawInput);
  return inTransaction(db, async (tx) => {
    const campaignId = await findCampaignId(tx, input.campaignCode);
    const organizer = await findWritableOrganization(tx, input.organizerOrgCode, access);
    const dimensionCodes = [...new Set(input.dimensionCodes ?? [])];
    const dimensions =
      dimensionCodes.length === 0
        ? []
        : await tx
            .select({ id: campaignDimensions.id, code: campaignDimensions.code })
            .from(campaignDimensions)
            .where(
              and(eq(campaignDimensions.campaignId, campaignId), inArray(campaignDimensions.code, dimensionCodes)),
            );
    const unknown = dimensionCodes.filter((code) => !dimensions.some((d) => d.code === code));
    if (unknown.length > 0) {
      throw ValidationError.of(
        ['input', 'dimensionCodes'],
        `not dimensions of ${input.campaignCode}: ${unknown.join(', ')}`,
      );
    }
    const [created] = await tx
      .insert(activities)
      .values({
        campaignId,
        organizerOrganizationId: organizer.id,
        kind: input.kind,
        title: input.title,
        startsAt: input.startsAt,
        endsAt: input.endsAt ?? null,
        place: input.place ?? null,
        summary: input.summary ?? null,
        recurrence: input.recurrence ?? null,
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    const [campaign] = await tx
      .select({ endsOn: campaigns.endsOn })
      .from(campaigns)
      .where(eq(campaigns.id, campaignId));
    try {
      await writeOccurrences(tx, created, campaign?.endsOn ?? null);
    } catch (error) {
      if (!(error instanceof TooManyOccurrencesError)) throw error;
      // Refused whole: a rule stored only in part would later show false cadence gaps.
      throw ValidationError.of(
        ['input', 'recurrence'],
        `has more than ${MAX_OCCURRENCES} occurrences between ${error.from} and ${error.to} (the campaign's last day, or ${OCCURRENCE_HORIZON_YEARS} years when it has none); end it sooner with UNTIL or COUNT, or choose a coarser rule`,
      );
    }
    if (dimensions.length > 0) {
      await tx
        .insert(activityDimensions)
        .values(dimensions.map((d) => ({ activityId: created.id, dimensionId: d.id })));
    }
    const participants = [];
    for (const p of input.participants ?? []) {
      participants.push({
        activityId: created.id,
        cadreId: await findReadableCadreId(tx, p.employeeNumber, access),
        pairedVillage: p.pairedVillage ?? null,
        pairedEnterprise: p.pairedEnterprise ?? null,
        pairedCommunity: p.pairedCommunity ?? null,
        hostUnit: p.hostUnit ?? null,
      });
    }
    if (participants.length > 0) await tx.insert(activityParticipants).values(participants);
    await writeAuditEvent(tx, access.actor, {
      operation: 'createActivity',
      entityType: 'Activity',
      entityId: created.id,
      after: { ...created, dimensionCodes, participants: input.participants ?? [] },
    });
    return created;
  });
}

/** Records (or corrects) who attended one occurrence; the day must be an occurrence of the activity. */
export async function recordAttendance(db: Executor, access: WriteAccess, rawInput: RecordAttendanceInput) {
  const input = parseInput(recordAttendanceInput, rawInput);
  return inTransaction(db, async (tx) => {
    const [found] = await tx
      .select({
        activity: activities,
        path: sql<string>`(select o.path::text from organizations o where o.id = ${activities.organizerOrganizationId})`,
      })
      .from(activities)
      .where(eq(activities.id, input.activityId))
      .for('update', { of: activities });
    if (!found || !pathWithin(found.path, access.readable))
      throw new NotFoundError('Activity', String(input.activityId));
    if (!pathWithin(found.path, access.writable)) throw outsideSubtree(`Activity ${input.activityId}`);
    const { activity } = found;
    // An occurrence starts that day (a one-off's own day); a one-off's later days do not count.
    if (!activityOccursOn({ ...activity, endsAt: null }, input.occursOn)) {
      throw ValidationError.of(['input', 'occursOn'], `the activity does not take place on ${input.occursOn}`);
    }
    const rows = [];
    for (const entry of input.entries) {
      rows.push({
        activityId: activity.id,
        cadreId: await findReadableCadreId(tx, entry.employeeNumber, access),
        occursOn: input.occursOn,
        status: entry.status,
        note: entry.note ?? null,
      });
    }
    const written = await tx
      .insert(activityAttendance)
      .values(rows)
      .onConflictDoUpdate({
        target: [activityAttendance.activityId, activityAttendance.occursOn, activityAttendance.cadreId],
        set: { status: sql`excluded.status`, note: sql`excluded.note`, updatedAt: sql`now()` },
      })
      .returning();
    await writeAuditEvent(tx, access.actor, {
      operation: 'recordAttendance',
      entityType: 'Activity',
      entityId: activity.id,
      after: { occursOn: input.occursOn, entries: written },
    });
    return activity;
  });
}

export interface AttendanceRatesQuery {
  groupBy: 'CADRE' | 'ORGANIZATION';
  campaignCode?: string | null;
  orgCode?: string | null;
  includeDescendants?: boolean | null;
  from?: string | null;
  to?: string | null;
}

/**
 * Which activities (`a`, organized by `o`) a figure about activities covers: the campaign, the
 * organizing unit (with the units below it), and only what the viewer may read.
 */
export function activityScopeConditions(
  q: { campaignCode?: string | null; orgCode?: string | null; includeDescendants?: boolean | null },
  readable: string | null | undefined,
): SQL[] {
  const conditions: SQL[] = [];
  if (q.campaignCode) conditions.push(sql`a.campaign_id = (select id from campaigns where code = ${q.campaignCode})`);
  const unit = unitScopeSql(sql`o.id`, q);
  if (unit) conditions.push(unit);
  if (readable === undefined) conditions.push(sql`false`);
  else if (readable !== null) conditions.push(sql`o.path <@ ${readable}::ltree`);
  return conditions;
}

/**
 * Attendance per cadre (of the cadre's unit) or per unit, in one statement. Units and cadres come
 * from the attendance rows, restricted to the viewer's subtree.
 */
export function attendanceRatesSql(q: AttendanceRatesQuery, readable: string | null | undefined): SQL {
  const conditions = activityScopeConditions(q, readable);
  if (q.from) conditions.push(sql`r.occurs_on >= ${q.from}::date`);
  if (q.to) conditions.push(sql`r.occurs_on <= ${q.to}::date`);
  const where = conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const byCadre = q.groupBy === 'CADRE';
  const present = sql`count(*) filter (where r.status = 'PRESENT')::int`;
  const absent = sql`count(*) filter (where r.status = 'ABSENT')::int`;
  return sql`
select o.code as org_code, o.name as org_name,
       ${byCadre ? sql`c.employee_number, c.name as cadre_name,` : sql`null as employee_number, null as cadre_name,`}
       ${present} as present, ${absent} as absent,
       count(*) filter (where r.status = 'ON_LEAVE')::int as on_leave,
       ${attendanceRateSql(present, absent)} as rate
from activity_attendance r
join activities a on a.id = r.activity_id
join cadres c on c.id = r.cadre_id
join organizations o on o.id = c.organization_id
${where}
group by o.id, o.code, o.name, o.path${byCadre ? sql`, c.id, c.employee_number, c.name` : sql``}
order by o.path${byCadre ? sql`, c.name, c.id` : sql``}`;
}

/**
 * The activity another record links to (a study record, a plan topic), with its organizer's path:
 * an id of another type is invalid, an id of no activity NOT_FOUND.
 */
export async function findLinkedActivity(tx: Executor, activityId: number) {
  if (activityId <= 0) throw ValidationError.of(['input', 'activityId'], 'is not the id of an activity');
  const [activity] = await tx
    .select({
      id: activities.id,
      startsAt: activities.startsAt,
      endsAt: activities.endsAt,
      recurrence: activities.recurrence,
      organizerPath: organizations.path,
    })
    .from(activities)
    .innerJoin(organizations, eq(organizations.id, activities.organizerOrganizationId))
    .where(eq(activities.id, activityId));
  if (!activity) throw new NotFoundError('Activity', String(activityId));
  return activity;
}
