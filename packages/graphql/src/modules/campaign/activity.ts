import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import {
  activities,
  activityKinds,
  attendanceStatuses,
  expandOccurrences,
  MAX_OCCURRENCES,
  TooManyOccurrencesError,
  timeZoneSql,
} from '@sixtype/db';
import { and, type SQL, sql } from 'drizzle-orm';
import { builder, parseCalendarDate } from '../../builder.ts';
import { directorySubtree, writeAccessOf } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { mutationErrors } from '../common/errors.ts';
import {
  enumFilterSql,
  type LogicalFilter,
  logicalFilterSql,
  StringFilter,
  type StringFilterInput,
  stringFilterSql,
} from '../common/filters.ts';
import { databaseIdOf } from '../common/ids.ts';
import { assertPageSize, resolveRootConnection, totalCountField } from '../common/pagination.ts';
import { rowsOf } from '../common/rows.ts';
import { unitScopeSql } from '../common/scope.ts';
import { assertOrganizationExists } from '../directory/directory.service.ts';
import {
  type ActivityRow,
  attendanceRateSql,
  attendanceRatesSql,
  createActivity,
  recordAttendance,
} from './activity.service.ts';
import { cadreColumnVisibleSql, codeArg, orgColumnVisibleSql } from './campaign.service.ts';

export const ActivityKind = builder.enumType('ActivityKind', { values: activityKinds });
export const AttendanceStatus = builder.enumType('AttendanceStatus', { values: attendanceStatuses });

/** Expanding a rule over more than two years at once is refused. */
const MAX_RANGE_DAYS = 732;
function assertRange(from: string, to: string) {
  parseCalendarDate(from);
  parseCalendarDate(to);
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  if (days < 0) throw graphQLError('BAD_USER_INPUT', '`to` must not be before `from`');
  if (days > MAX_RANGE_DAYS) throw graphQLError('BAD_USER_INPUT', `a range may span at most ${MAX_RANGE_DAYS} days`);
}

builder.drizzleObject('activityParticipants', {
  name: 'ActivityParticipant',
  description:
    'A cadre expected at an activity; 内联 field visits pair the cadre with a village, an enterprise and a community.',
  fields: (t) => ({
    cadre: t.relation('cadre'),
    pairedVillage: t.exposeString('pairedVillage', { nullable: true }),
    pairedEnterprise: t.exposeString('pairedEnterprise', { nullable: true }),
    pairedCommunity: t.exposeString('pairedCommunity', { nullable: true }),
    hostUnit: t.exposeString('hostUnit', { nullable: true, description: 'The unit visited (外挂 benchmarking).' }),
  }),
});

builder.drizzleObject('activityAttendance', {
  name: 'AttendanceRecord',
  fields: (t) => ({
    cadre: t.relation('cadre'),
    occursOn: t.expose('occursOn', { type: 'Date', description: 'The occurrence’s day, in the zone’s time.' }),
    status: t.expose('status', { type: AttendanceStatus }),
    note: t.exposeString('note', { nullable: true }),
  }),
});

export const Activity = builder.drizzleNode('activities', {
  name: 'Activity',
  description: 'A campaign activity: a study session, a meeting, an inspection, a visit; one-off or recurring (RRULE).',
  id: { column: (activity) => activity.id },
  authScopes: { directoryRead: true },
  fields: (t) => ({
    kind: t.expose('kind', { type: ActivityKind }),
    title: t.exposeString('title'),
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'The first (or only) occurrence.' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', nullable: true }),
    place: t.exposeString('place', { nullable: true }),
    summary: t.exposeString('summary', { nullable: true }),
    recurrence: t.exposeString('recurrence', {
      nullable: true,
      description:
        'RFC 5545 RRULE on the wall clock of the installation’s time zone (TIME_ZONE), e.g. FREQ=WEEKLY;BYDAY=TU; null for a one-off.',
    }),
    occurrences: t.field({
      type: ['DateTime'],
      description: `Starts of the occurrences whose day (zone time) lies in [from, to]; a range holding more than ${MAX_OCCURRENCES} is BAD_USER_INPUT.`,
      args: { from: t.arg({ type: 'Date', required: true }), to: t.arg({ type: 'Date', required: true }) },
      select: { columns: { startsAt: true, recurrence: true } },
      resolve: (activity, args) => {
        assertRange(args.from, args.to);
        try {
          return expandOccurrences(activity.startsAt, activity.recurrence, args.from, args.to);
        } catch (error) {
          if (!(error instanceof TooManyOccurrencesError)) throw error;
          throw graphQLError('BAD_USER_INPUT', `${error.message}; ask for a shorter range`);
        }
      },
    }),
    attendanceRate: t.float({
      nullable: true,
      description: 'Present ÷ (present + absent) over all recorded occurrences; ON_LEAVE counts neither way.',
      select: {
        extras: {
          attendanceRateValue: (table) =>
            sql<number | null>`(select ${attendanceRateSql(
              sql`count(*) filter (where rate_row.status = 'PRESENT')`,
              sql`count(*) filter (where rate_row.status = 'ABSENT')`,
            )} from activity_attendance rate_row where rate_row.activity_id = ${table.id})`,
        },
      },
      resolve: (activity) => (activity.attendanceRateValue == null ? null : Number(activity.attendanceRateValue)),
    }),
    campaign: t.relation('campaign'),
    organizer: t.relation('organizer'),
    dimensions: t.relation('dimensions', {
      description: 'Dimensions of its campaign the activity serves, in the campaign’s order.',
      query: { orderBy: { sortOrder: 'asc', id: 'asc' } },
    }),
    participants: t.relation('participants', {
      description: 'Participants inside the viewer’s subtree.',
      query: (_args, ctx) => ({
        where: { RAW: (table) => cadreColumnVisibleSql(table.cadreId, directorySubtree(ctx.viewer)) ?? sql`true` },
        orderBy: { id: 'asc' },
      }),
    }),
    attendance: t.relation('attendance', {
      description: 'Recorded attendance (of cadres inside the viewer’s subtree), optionally of one occurrence.',
      args: { occursOn: t.arg({ type: 'Date' }) },
      query: (args, ctx) => ({
        where: {
          ...(args.occursOn ? { occursOn: args.occursOn } : {}),
          RAW: (table) => cadreColumnVisibleSql(table.cadreId, directorySubtree(ctx.viewer)) ?? sql`true`,
        },
        orderBy: { occursOn: 'asc', id: 'asc' },
      }),
    }),
  }),
});

type EnumFilter<T> = { equalTo?: T | null; in?: readonly T[] | null } | null;
export interface ActivityFilterInput extends LogicalFilter<ActivityFilterInput> {
  kind?: EnumFilter<(typeof activityKinds)[number]>;
  title?: StringFilterInput | null;
  recurring?: boolean | null;
}

const ActivityKindFilter = builder.inputType('ActivityKindFilter', {
  fields: (t) => ({ equalTo: t.field({ type: ActivityKind }), in: t.field({ type: [ActivityKind] }) }),
});

const ActivityFilter = builder.inputRef<ActivityFilterInput>('ActivityFilter').implement({
  description: 'Conditions on activities; fields, and/or/not all combine with AND.',
  fields: (t) => ({
    kind: t.field({ type: ActivityKindFilter }),
    title: t.field({ type: StringFilter }),
    recurring: t.boolean(),
    and: t.field({ type: [ActivityFilter] }),
    or: t.field({ type: [ActivityFilter] }),
    not: t.field({ type: ActivityFilter }),
  }),
});

function activityFilterSql(table: typeof activities, filter: ActivityFilterInput | null | undefined) {
  return logicalFilterSql(filter, (f) => [
    enumFilterSql(table.kind, f.kind),
    stringFilterSql(table.title, f.title),
    f.recurring == null
      ? undefined
      : f.recurring
        ? sql`${table.recurrence} is not null`
        : sql`${table.recurrence} is null`,
  ]);
}

/** Activities that may occur in [from, to] (zone days): a one-off on one of them, a rule started by `to`. */
function activityRangeSql(table: typeof activities, from?: string | null, to?: string | null): SQL | undefined {
  const day = sql`(${table.startsAt} at time zone ${timeZoneSql()})::date`;
  return and(
    from ? sql`(${table.recurrence} is not null or ${day} >= ${from}::date)` : undefined,
    to ? sql`${day} <= ${to}::date` : undefined,
  );
}

const activityPages = drizzleConnectionHelpers(builder, 'activities', {
  query: () => ({ orderBy: { startsAt: 'asc', id: 'asc' } }),
});

interface AttendanceRateRow {
  org_code: string;
  org_name: string;
  employee_number: string | null;
  cadre_name: string | null;
  present: number;
  absent: number;
  on_leave: number;
  rate: number | null;
}

const AttendanceRate = builder.objectRef<AttendanceRateRow>('AttendanceRate').implement({
  description: 'Attendance of one cadre or one unit: rate = present ÷ (present + absent).',
  fields: (t) => ({
    orgCode: t.exposeString('org_code'),
    orgName: t.exposeString('org_name'),
    employeeNumber: t.exposeString('employee_number', { nullable: true }),
    cadreName: t.exposeString('cadre_name', { nullable: true }),
    present: t.exposeInt('present'),
    absent: t.exposeInt('absent'),
    onLeave: t.exposeInt('on_leave'),
    rate: t.float({ nullable: true, resolve: (row) => (row.rate == null ? null : Number(row.rate)) }),
  }),
});

const AttendanceGrouping = builder.enumType('AttendanceGrouping', { values: ['CADRE', 'ORGANIZATION'] as const });

builder.queryFields((t) => ({
  activities: t.connection(
    {
      type: Activity,
      description:
        'Activities ordered by start. With `orgCode`, those the unit organizes (and with `includeDescendants`, units below it); with `from`/`to`, those that may occur in that range (expand `occurrences` for the dates).',
      authScopes: { directoryRead: true },
      args: {
        filter: t.arg({ type: ActivityFilter }),
        campaignCode: t.arg.string({ validate: codeArg }),
        orgCode: t.arg.string({ validate: codeArg }),
        includeDescendants: t.arg.boolean({ defaultValue: false }),
        from: t.arg({ type: 'Date' }),
        to: t.arg({ type: 'Date' }),
      },
      resolve: async (_root, args, ctx, info) => {
        assertPageSize(args);
        const condition = (table: typeof activities): SQL =>
          and(
            activityFilterSql(table, args.filter),
            unitScopeSql(table.organizerOrganizationId, args),
            orgColumnVisibleSql(table.organizerOrganizationId, directorySubtree(ctx.viewer)),
            activityRangeSql(table, args.from, args.to),
            args.campaignCode
              ? sql`${table.campaignId} = (select scope_campaign.id from campaigns scope_campaign where scope_campaign.code = ${args.campaignCode})`
              : undefined,
          ) ?? sql`true`;
        return resolveRootConnection({
          t,
          tableName: 'activities',
          table: activities,
          pages: activityPages,
          args,
          ctx,
          info,
          condition,
          assertScopeExists: args.orgCode ? () => assertOrganizationExists(ctx.db, args.orgCode as string) : undefined,
        }) as never;
      },
    },
    { name: 'ActivityConnection', fields: (c) => ({ totalCount: c.int(totalCountField) }) },
  ),
  attendanceRates: t.field({
    type: [AttendanceRate],
    description: 'Attendance rates per cadre or per unit (of the cadres’ units), in one statement.',
    authScopes: { directoryRead: true },
    args: {
      groupBy: t.arg({ type: AttendanceGrouping, required: true }),
      campaignCode: t.arg.string({ validate: codeArg }),
      orgCode: t.arg.string({ validate: codeArg }),
      includeDescendants: t.arg.boolean({ defaultValue: true }),
      from: t.arg({ type: 'Date' }),
      to: t.arg({ type: 'Date' }),
    },
    resolve: async (_root, args, ctx) =>
      rowsOf<AttendanceRateRow>(await ctx.db.execute(attendanceRatesSql(args, directorySubtree(ctx.viewer)))),
  }),
}));

const ParticipantInput = builder.inputType('ActivityParticipantInput', {
  fields: (t) => ({
    employeeNumber: t.string({ required: true }),
    pairedVillage: t.string(),
    pairedEnterprise: t.string(),
    pairedCommunity: t.string(),
    hostUnit: t.string(),
  }),
});

const CreateActivityInput = builder.inputType('CreateActivityInput', {
  fields: (t) => ({
    campaignCode: t.string({ required: true }),
    organizerOrgCode: t.string({ required: true }),
    kind: t.field({ type: ActivityKind, required: true }),
    title: t.string({ required: true }),
    startsAt: t.field({ type: 'DateTime', required: true }),
    endsAt: t.field({ type: 'DateTime' }),
    place: t.string(),
    summary: t.string(),
    recurrence: t.string({ description: 'An RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=TU.' }),
    dimensionCodes: t.stringList(),
    participants: t.field({ type: [ParticipantInput] }),
  }),
});

const AttendanceEntryInput = builder.inputType('AttendanceEntryInput', {
  fields: (t) => ({
    employeeNumber: t.string({ required: true }),
    status: t.field({ type: AttendanceStatus, required: true }),
    note: t.string(),
  }),
});

const RecordAttendanceInput = builder.inputType('RecordAttendanceInput', {
  fields: (t) => ({
    activityId: t.globalID({ required: true }),
    occursOn: t.field({ type: 'Date', required: true }),
    entries: t.field({ type: [AttendanceEntryInput], required: true }),
  }),
});

const ActivityPayload = (name: string) =>
  builder.objectRef<{ activity: ActivityRow }>(name).implement({
    fields: (t) => ({
      activity: t.drizzleField({
        type: 'activities',
        resolve: (query, payload, _args, ctx) =>
          ctx.db.query.activities
            .findFirst(query({ where: { id: payload.activity.id } }))
            .then(
              (row) => row ?? Promise.reject(new Error(`activity ${payload.activity.id} vanished after its write`)),
            ),
      }),
    }),
  });

builder.mutationFields((t) => ({
  createActivity: t.field({
    type: ActivityPayload('CreateActivityPayload'),
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: CreateActivityInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateActivityResult' } },
    resolve: async (_root, { input }, ctx) => ({
      activity: await createActivity(ctx.db, writeAccessOf(ctx.viewer), input),
    }),
  }),
  recordAttendance: t.field({
    type: ActivityPayload('RecordAttendancePayload'),
    description: 'Records or corrects attendance at one occurrence of an activity.',
    authScopes: { directoryWrite: true },
    args: { input: t.arg({ type: RecordAttendanceInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'RecordAttendanceResult' } },
    resolve: async (_root, { input }, ctx) => ({
      activity: await recordAttendance(ctx.db, writeAccessOf(ctx.viewer), {
        ...input,
        activityId: databaseIdOf(input.activityId, 'Activity'),
      }),
    }),
  }),
}));
