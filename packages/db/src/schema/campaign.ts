import { sql } from 'drizzle-orm';
import {
  check,
  date,
  index,
  integer,
  pgEnum,
  primaryKey,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { codeFormat, timestamps } from './columns.ts';
import { cadres, organizations } from './directory.ts';
import { actorKind } from './system.ts';

export const activityKinds = [
  'CONCENTRATED_STUDY',
  'TOPIC_TUTORING',
  'SELF_STUDY',
  'EXPERT_LECTURE',
  'STUDY_TOUR',
  'CENTER_GROUP_STUDY',
  'DISPATCH_MEETING',
  'INSPECTION',
  'FIELD_VISIT',
  'BENCHMARKING_VISIT',
  'LANGUAGE_DAY',
  'EXPERIENCE_EXCHANGE',
  'HEART_TO_HEART_TALK',
  'OTHER',
] as const;
export type ActivityKind = (typeof activityKinds)[number];
export const activityKind = pgEnum('activity_kind', activityKinds);

export const attendanceStatuses = ['PRESENT', 'ABSENT', 'ON_LEAVE'] as const;
export type AttendanceStatus = (typeof attendanceStatuses)[number];
export const attendanceStatus = pgEnum('attendance_status', attendanceStatuses);

export const leadingGroupRoles = ['LEADER', 'DEPUTY_LEADER', 'MEMBER'] as const;
export type LeadingGroupRole = (typeof leadingGroupRoles)[number];
export const leadingGroupRole = pgEnum('leading_group_role', leadingGroupRoles);

export const cadencePeriods = ['HALF_MONTH', 'MONTH'] as const;
export type CadencePeriod = (typeof cadencePeriods)[number];
export const cadencePeriod = pgEnum('cadence_period', cadencePeriods);

export const problemSources = ['SURVEY', 'INSPECTION', 'SELF_CHECK', 'PUBLIC_REPORT'] as const;
export type ProblemSource = (typeof problemSources)[number];
export const problemSource = pgEnum('problem_source', problemSources);

export const problemSeverities = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type ProblemSeverity = (typeof problemSeverities)[number];
export const problemSeverity = pgEnum('problem_severity', problemSeverities);

export const problemStates = ['FOUND', 'RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED', 'REOPENED'] as const;
export type ProblemState = (typeof problemStates)[number];
export const problemState = pgEnum('problem_state', problemStates);

/** Limits shared by the database checks and the API's input validation. */
export const campaignLimits = {
  codeMaxLength: 64,
  nameMaxLength: 200,
  sloganMaxLength: 200,
  textMaxLength: 4000,
  rruleMaxLength: 500,
  placeMaxLength: 200,
} as const;

/** A campaign such as “六型机关” 2012; its dimensions, capabilities and codes are rows, not enums. */
export const campaigns = snakeCase.table(
  'campaigns',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    code: varchar({ length: campaignLimits.codeMaxLength }).notNull().unique(),
    name: varchar({ length: campaignLimits.nameMaxLength }).notNull(),
    slogan: varchar({ length: campaignLimits.sloganMaxLength }),
    startsOn: date({ mode: 'string' }),
    endsOn: date({ mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    check('campaigns_code_format', codeFormat(t.code)),
    check('campaigns_name_not_blank', sql`length(btrim(${t.name})) > 0`),
    check('campaigns_dates_ordered', sql`${t.endsOn} is null or ${t.startsOn} is null or ${t.endsOn} >= ${t.startsOn}`),
  ],
);

/** The campaign's "types" (学习型 … 廉洁型); another place's 四型/五型 variant is other rows. */
export const campaignDimensions = snakeCase.table(
  'campaign_dimensions',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    code: varchar({ length: campaignLimits.codeMaxLength }).notNull(),
    name: varchar({ length: 100 }).notNull(),
    sortOrder: integer().notNull(),
  },
  (t) => [
    uniqueIndex('campaign_dimensions_code_key').on(t.campaignId, t.code),
    uniqueIndex('campaign_dimensions_order_key').on(t.campaignId, t.sortOrder),
    check('campaign_dimensions_code_format', codeFormat(t.code)),
  ],
);

/** The capabilities a campaign builds (五力: 学习力 …). */
export const campaignCapabilities = snakeCase.table(
  'campaign_capabilities',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    code: varchar({ length: campaignLimits.codeMaxLength }).notNull(),
    name: varchar({ length: 100 }).notNull(),
    sortOrder: integer().notNull(),
  },
  (t) => [
    uniqueIndex('campaign_capabilities_code_key').on(t.campaignId, t.code),
    uniqueIndex('campaign_capabilities_order_key').on(t.campaignId, t.sortOrder),
    check('campaign_capabilities_code_format', codeFormat(t.code)),
  ],
);

/** The changes the campaign aims at (六个明显变化), worded as the plan words them. */
export const campaignExpectedChanges = snakeCase.table(
  'campaign_expected_changes',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    text: varchar({ length: 200 }).notNull(),
    sortOrder: integer().notNull(),
  },
  (t) => [uniqueIndex('campaign_expected_changes_order_key').on(t.campaignId, t.sortOrder)],
);

/** One 少X多Y pair of the conduct code (十多十少). */
export const campaignConductPairs = snakeCase.table(
  'campaign_conduct_pairs',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    less: varchar({ length: 100 }).notNull(),
    more: varchar({ length: 100 }).notNull(),
    sortOrder: integer().notNull(),
  },
  (t) => [uniqueIndex('campaign_conduct_pairs_order_key').on(t.campaignId, t.sortOrder)],
);

/** 领导小组: one per campaign and unit; the zone's own group and each unit's. */
export const leadingGroups = snakeCase.table(
  'leading_groups',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    name: varchar({ length: campaignLimits.nameMaxLength }).notNull(),
    /** The unit that does the group's daily work (the zone's 办公室 under 纪工委). */
    officeOrganizationId: integer().references(() => organizations.id, { onDelete: 'restrict' }),
    establishedOn: date({ mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('leading_groups_campaign_org_key').on(t.campaignId, t.organizationId),
    index('leading_groups_organization_idx').on(t.organizationId),
  ],
);

export const leadingGroupMembers = snakeCase.table(
  'leading_group_members',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    leadingGroupId: integer()
      .notNull()
      .references(() => leadingGroups.id, { onDelete: 'cascade' }),
    cadreId: integer()
      .notNull()
      .references(() => cadres.id, { onDelete: 'restrict' }),
    role: leadingGroupRole().notNull(),
    sortOrder: integer().notNull().default(0),
  },
  (t) => [
    uniqueIndex('leading_group_members_cadre_key').on(t.leadingGroupId, t.cadreId),
    index('leading_group_members_cadre_idx').on(t.cadreId),
  ],
);

/**
 * A supervision rule of a campaign (半月一调度: a DISPATCH_MEETING every HALF_MONTH; 一月一检查:
 * an INSPECTION every MONTH). Half-months run 1st–15th and 16th–end of month.
 */
export const supervisionCadences = snakeCase.table(
  'supervision_cadences',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    activityKind: activityKind().notNull(),
    period: cadencePeriod().notNull(),
    description: varchar({ length: 200 }),
  },
  (t) => [uniqueIndex('supervision_cadences_kind_key').on(t.campaignId, t.activityKind)],
);

export const activities = snakeCase.table(
  'activities',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'restrict' }),
    organizerOrganizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    kind: activityKind().notNull(),
    title: varchar({ length: campaignLimits.nameMaxLength }).notNull(),
    startsAt: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    endsAt: timestamp({ withTimezone: true, mode: 'string' }),
    place: varchar({ length: campaignLimits.placeMaxLength }),
    summary: text(),
    /** RFC 5545 RRULE (without DTSTART: the start is `startsAt`), e.g. FREQ=WEEKLY;BYDAY=TU. */
    recurrence: varchar({ length: campaignLimits.rruleMaxLength }),
    ...timestamps,
  },
  (t) => [
    index('activities_organizer_idx').on(t.organizerOrganizationId, t.startsAt),
    index('activities_campaign_kind_idx').on(t.campaignId, t.kind, t.startsAt),
    check('activities_title_not_blank', sql`length(btrim(${t.title})) > 0`),
    check('activities_times_ordered', sql`${t.endsAt} is null or ${t.endsAt} >= ${t.startsAt}`),
  ],
);

/**
 * When an activity takes place: a one-off's start, each occurrence of a recurring one (stored when
 * it is created, up to its campaign's end). `day` is the start's day in the installation's time
 * zone (TIME_ZONE, recorded in system_settings on first start; see clock.ts), which cadences and
 * monthly counts go by. No check ties it to a zone name: the zone is configuration, not schema.
 */
export const activityOccurrences = snakeCase.table(
  'activity_occurrences',
  {
    activityId: integer()
      .notNull()
      .references(() => activities.id, { onDelete: 'cascade' }),
    startsAt: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    day: date({ mode: 'string' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.activityId, t.startsAt] }),
    index('activity_occurrences_day_idx').on(t.day, t.activityId),
  ],
);

/** Which dimensions of its campaign an activity serves. */
export const activityDimensions = snakeCase.table(
  'activity_dimensions',
  {
    activityId: integer()
      .notNull()
      .references(() => activities.id, { onDelete: 'cascade' }),
    dimensionId: integer()
      .notNull()
      .references(() => campaignDimensions.id, { onDelete: 'restrict' }),
  },
  (t) => [
    primaryKey({ columns: [t.activityId, t.dimensionId] }),
    index('activity_dimensions_dimension_idx').on(t.dimensionId),
  ],
);

/**
 * A cadre expected at an activity. For 内联 field visits it also records the village, enterprise
 * and residential community the cadre is paired with; for 外挂 visits the host unit.
 */
export const activityParticipants = snakeCase.table(
  'activity_participants',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    activityId: integer()
      .notNull()
      .references(() => activities.id, { onDelete: 'cascade' }),
    cadreId: integer()
      .notNull()
      .references(() => cadres.id, { onDelete: 'restrict' }),
    pairedVillage: varchar({ length: 100 }),
    pairedEnterprise: varchar({ length: 100 }),
    pairedCommunity: varchar({ length: 100 }),
    hostUnit: varchar({ length: 100 }),
  },
  (t) => [
    uniqueIndex('activity_participants_key').on(t.activityId, t.cadreId),
    index('activity_participants_cadre_idx').on(t.cadreId),
  ],
);

/** Attendance of one cadre at one occurrence (the day, in the zone's time) of an activity. */
export const activityAttendance = snakeCase.table(
  'activity_attendance',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    activityId: integer()
      .notNull()
      .references(() => activities.id, { onDelete: 'cascade' }),
    cadreId: integer()
      .notNull()
      .references(() => cadres.id, { onDelete: 'restrict' }),
    occursOn: date({ mode: 'string' }).notNull(),
    status: attendanceStatus().notNull(),
    note: varchar({ length: 200 }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('activity_attendance_key').on(t.activityId, t.occursOn, t.cadreId),
    // A subtree's attendance of a period (attendanceRates, the report) read from the index alone:
    // with the activity and the status beside the day, the zone's quarter at L takes 0.49 s, not 0.65 s.
    index('activity_attendance_cadre_idx').on(t.cadreId, t.occursOn, t.activityId, t.status),
  ],
);

/** The kinds of problems a survey finds (混/怕/推/空/散), as data. */
export const problemCategories = snakeCase.table(
  'problem_categories',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    code: varchar({ length: campaignLimits.codeMaxLength }).notNull().unique(),
    name: varchar({ length: 20 }).notNull(),
    description: text(),
    sortOrder: integer().notNull(),
  },
  (t) => [check('problem_categories_code_format', codeFormat(t.code))],
);

/** One entry of the rectification ledger (查摆问题, 整改). Its state changes only through transitions. */
export const problems = snakeCase.table(
  'problems',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'restrict' }),
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    /** The cadre the problem is about, when it is about one. */
    cadreId: integer().references(() => cadres.id, { onDelete: 'restrict' }),
    categoryId: integer()
      .notNull()
      .references(() => problemCategories.id, { onDelete: 'restrict' }),
    source: problemSource().notNull(),
    description: text().notNull(),
    severity: problemSeverity().notNull(),
    responsibleCadreId: integer().references(() => cadres.id, { onDelete: 'restrict' }),
    deadline: date({ mode: 'string' }),
    measures: text(),
    state: problemState().notNull().default('FOUND'),
    /** The inspection that found it, when one did. */
    inspectionActivityId: integer().references(() => activities.id, { onDelete: 'restrict' }),
    ...timestamps,
  },
  (t) => [
    index('problems_organization_idx').on(t.organizationId, t.id),
    index('problems_state_deadline_idx').on(t.state, t.deadline),
    index('problems_category_idx').on(t.categoryId),
    check('problems_description_not_blank', sql`length(btrim(${t.description})) > 0`),
  ],
);

/** Every state change of a problem, with who made it, when and why; never updated. */
export const problemTransitions = snakeCase.table(
  'problem_transitions',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    problemId: integer()
      .notNull()
      .references(() => problems.id, { onDelete: 'cascade' }),
    /** Null for the entry that records the problem being found. */
    fromState: problemState(),
    toState: problemState().notNull(),
    actorKind: actorKind().notNull(),
    actorId: varchar({ length: 64 }),
    comment: text(),
    occurredAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`clock_timestamp()`),
  },
  (t) => [index('problem_transitions_problem_idx').on(t.problemId, t.id)],
);
