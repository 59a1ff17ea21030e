import { sql } from 'drizzle-orm';
import {
  check,
  date,
  index,
  integer,
  numeric,
  pgEnum,
  snakeCase,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { activities, campaigns } from './campaign.ts';
import { codeFormat, timestamps } from './columns.ts';
import { cadres, organizations } from './directory.ts';

export const studyMaterialKinds = ['POLICY', 'BOOK', 'OTHER'] as const;
export type StudyMaterialKind = (typeof studyMaterialKinds)[number];
export const studyMaterialKind = pgEnum('study_material_kind', studyMaterialKinds);

/** ALL: every material of the group is required (必学); CHOICE: at least `minMaterials` of them (任选). */
export const studyRequirementGroupKinds = ['ALL', 'CHOICE'] as const;
export type StudyRequirementGroupKind = (typeof studyRequirementGroupKinds)[number];
export const studyRequirementGroupKind = pgEnum('study_requirement_group_kind', studyRequirementGroupKinds);

export const studyAudiences = ['ALL_CADRES', 'LEADERS_ONLY'] as const;
export type StudyAudience = (typeof studyAudiences)[number];
export const studyAudience = pgEnum('study_audience', studyAudiences);

/** The document's study methods: 集中学习, 专题辅导, 个人自学, 谈心交心, 交流心得. */
export const studyMethods = [
  'CONCENTRATED',
  'TOPIC_TUTORING',
  'SELF_STUDY',
  'HEART_TO_HEART',
  'EXPERIENCE_EXCHANGE',
] as const;
export type StudyMethod = (typeof studyMethods)[number];
export const studyMethod = pgEnum('study_method', studyMethods);

/** Limits shared by the database checks and the API's input validation. */
export const studyLimits = {
  codeMaxLength: 64,
  titleMaxLength: 200,
  /** A note is a day's writing; a year's quota (20,000) fits in a few. */
  noteMaxLength: 100_000,
  textMaxLength: 2_000,
  maxHoursPerRecord: 24,
} as const;

/** Something to study: a policy (十七大精神), a book (《细节决定成败》), … */
export const studyMaterials = snakeCase.table(
  'study_materials',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    code: varchar({ length: studyLimits.codeMaxLength }).notNull().unique(),
    title: varchar({ length: studyLimits.titleMaxLength }).notNull(),
    kind: studyMaterialKind().notNull(),
    sortOrder: integer().notNull().default(0),
    ...timestamps,
  },
  (t) => [
    check('study_materials_code_format', codeFormat(t.code)),
    check('study_materials_title_not_blank', sql`length(btrim(${t.title})) > 0`),
  ],
);

/**
 * What a campaign asks of each cadre in one year: the note quota in characters (学习笔记 每人全年
 * 不少于2万字), an optional hours quota (学时), and groups of materials (study_requirement_groups).
 */
export const studyRequirements = snakeCase.table(
  'study_requirements',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** Requirements and plans name their campaign by its immutable code, as the API does. */
    campaignCode: varchar({ length: studyLimits.codeMaxLength })
      .notNull()
      .references(() => campaigns.code, { onDelete: 'restrict' }),
    year: integer().notNull(),
    noteCharactersQuota: integer().notNull(),
    hoursQuota: numeric({ precision: 7, scale: 1, mode: 'string' }),
    audience: studyAudience().notNull().default('ALL_CADRES'),
    description: text(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('study_requirements_campaign_year_key').on(t.campaignCode, t.year),
    check('study_requirements_year_range', sql`${t.year} between 1949 and 2200`),
    check('study_requirements_quota_non_negative', sql`${t.noteCharactersQuota} >= 0`),
    check('study_requirements_hours_non_negative', sql`${t.hoursQuota} is null or ${t.hoursQuota} >= 0`),
  ],
);

export const studyRequirementGroups = snakeCase.table(
  'study_requirement_groups',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    requirementId: integer()
      .notNull()
      .references(() => studyRequirements.id, { onDelete: 'cascade' }),
    name: varchar({ length: studyLimits.titleMaxLength }).notNull(),
    kind: studyRequirementGroupKind().notNull(),
    /** For CHOICE groups: how many of the group's materials a cadre must study; null for ALL. */
    minMaterials: integer(),
    sortOrder: integer().notNull().default(0),
  },
  (t) => [
    index('study_requirement_groups_requirement_idx').on(t.requirementId, t.sortOrder, t.id),
    check(
      'study_requirement_groups_min_materials',
      sql`(${t.kind} = 'ALL' and ${t.minMaterials} is null) or (${t.kind} = 'CHOICE' and ${t.minMaterials} >= 1)`,
    ),
  ],
);

export const studyRequirementGroupMaterials = snakeCase.table(
  'study_requirement_group_materials',
  {
    groupId: integer()
      .notNull()
      .references(() => studyRequirementGroups.id, { onDelete: 'cascade' }),
    materialId: integer()
      .notNull()
      .references(() => studyMaterials.id, { onDelete: 'restrict' }),
    sortOrder: integer().notNull().default(0),
  },
  (t) => [
    uniqueIndex('study_requirement_group_materials_key').on(t.groupId, t.materialId),
    index('study_requirement_group_materials_material_idx').on(t.materialId),
  ],
);

/** A unit's study plan for a year: the center group's (中心组) topics by month. */
export const studyPlans = snakeCase.table(
  'study_plans',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    campaignCode: varchar({ length: studyLimits.codeMaxLength })
      .notNull()
      .references(() => campaigns.code, { onDelete: 'restrict' }),
    year: integer().notNull(),
    title: varchar({ length: studyLimits.titleMaxLength }).notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('study_plans_org_campaign_year_key').on(t.organizationId, t.campaignCode, t.year),
    check('study_plans_year_range', sql`${t.year} between 1949 and 2200`),
    check('study_plans_title_not_blank', sql`length(btrim(${t.title})) > 0`),
  ],
);

export const studyPlanTopics = snakeCase.table(
  'study_plan_topics',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    planId: integer()
      .notNull()
      .references(() => studyPlans.id, { onDelete: 'cascade' }),
    month: integer().notNull(),
    title: varchar({ length: studyLimits.titleMaxLength }).notNull(),
    /** 必读文献 */
    readings: text(),
    /** 学习要点 */
    keyPoints: text(),
    /** 学习方式 */
    method: studyMethod().notNull().default('CONCENTRATED'),
    /** When the topic's session was held; null while it is still to come (plan progress). */
    heldOn: date({ mode: 'string' }),
    /** The activity (the center group's meeting) at which it was held, when one was recorded. */
    activityId: integer().references(() => activities.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('study_plan_topics_plan_month_key').on(t.planId, t.month),
    index('study_plan_topics_activity_idx').on(t.activityId),
    check('study_plan_topics_activity_held', sql`${t.activityId} is null or ${t.heldOn} is not null`),
    check('study_plan_topics_month_range', sql`${t.month} between 1 and 12`),
    check('study_plan_topics_title_not_blank', sql`length(btrim(${t.title})) > 0`),
  ],
);

/**
 * One sitting of study by one cadre. The note's length is counted by the database, in Unicode
 * code points (`char_length` on a UTF8 database: 学 is one character, not three bytes), so a
 * client can never claim characters it did not write.
 */
export const studyRecords = snakeCase.table(
  'study_records',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    cadreId: integer()
      .notNull()
      .references(() => cadres.id, { onDelete: 'restrict' }),
    studiedOn: date({ mode: 'string' }).notNull(),
    materialId: integer().references(() => studyMaterials.id, { onDelete: 'restrict' }),
    method: studyMethod().notNull(),
    hours: numeric({ precision: 4, scale: 1, mode: 'string' }).notNull().default('0'),
    note: text().notNull().default(''),
    /** The activity (a concentrated session, a tutoring) this study was part of, if any. */
    activityId: integer().references(() => activities.id, { onDelete: 'restrict' }),
    noteCharacters: integer().notNull().generatedAlwaysAs(sql`char_length(note)`),
    ...timestamps,
  },
  (t) => [
    // A cadre's records of a period, with the two figures the yearly totals sum, so the per-cadre
    // totals (Cadre.studyTotals, compliance) are index-only scans instead of ~10 scattered heap
    // rows per cadre (bench/results/plans-L/S2.txt). Key columns rather than INCLUDE, which
    // drizzle cannot express; an index-only scan reads them the same way. The material too, so
    // compliance (the materials a cadre covered, `compliance.sql.ts`) reads the same entries:
    // the zone's ranking at L went from 1.7 s to 0.45 s with it.
    index('study_records_cadre_day_idx').on(t.cadreId, t.studiedOn, t.noteCharacters, t.hours, t.materialId),
    // `studyRecords(method:)` over a subtree: without the method in the key each cadre's records
    // of every method are fetched from the heap and filtered; with the id the page's keys are
    // chosen from the index alone (bench/results/plans-L/S3.txt).
    index('study_records_cadre_method_day_idx').on(t.cadreId, t.method, t.studiedOn, t.id),
    index('study_records_material_idx').on(t.materialId),
    index('study_records_activity_idx').on(t.activityId),
    check(
      'study_records_hours_range',
      sql`${t.hours} >= 0 and ${t.hours} <= ${sql.raw(String(studyLimits.maxHoursPerRecord))}`,
    ),
    check('study_records_note_length', sql`char_length(${t.note}) <= ${sql.raw(String(studyLimits.noteMaxLength))}`),
  ],
);
