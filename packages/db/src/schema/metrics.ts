import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  primaryKey,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { codeFormat, timestamps } from './columns.ts';
import { organizations } from './directory.ts';
import { actorKind } from './system.ts';

export const metricKinds = ['FLOW', 'STOCK', 'RATIO'] as const;
export type MetricKind = (typeof metricKinds)[number];
export const metricKind = pgEnum('metric_kind', metricKinds);

export const metricAggregations = ['SUM', 'AVG', 'MAX', 'MIN', 'NONE'] as const;
export type MetricAggregation = (typeof metricAggregations)[number];
export const metricAggregation = pgEnum('metric_aggregation', metricAggregations);

export const metricDirections = ['HIGHER_IS_BETTER', 'LOWER_IS_BETTER'] as const;
export type MetricDirection = (typeof metricDirections)[number];
export const metricDirection = pgEnum('metric_direction', metricDirections);

export const metricReportings = ['OWN', 'TOTAL'] as const;
export type MetricReporting = (typeof metricReportings)[number];
export const metricReporting = pgEnum('metric_reporting', metricReportings);

export const granularities = ['MONTH', 'QUARTER', 'YEAR'] as const;
export type Granularity = (typeof granularities)[number];
export const granularity = pgEnum('granularity', granularities);

/** A period start must be the first day of its month, quarter or year. */
const alignedPeriod = (start: unknown, grain: unknown) =>
  sql`${start} = date_trunc(lower(${grain}::text), ${start}::timestamp)::date`;

/**
 * What a figure means: its unit, how it adds up over time (kind) and across units (aggregation),
 * which way is better, and the granularity it is reported in.
 */
export const metricDefinitions = snakeCase.table(
  'metric_definitions',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    code: varchar({ length: 64 }).notNull().unique(),
    name: varchar({ length: 200 }).notNull(),
    unit: varchar({ length: 20 }).notNull(),
    kind: metricKind().notNull(),
    aggregation: metricAggregation().notNull(),
    direction: metricDirection().notNull(),
    category: varchar({ length: 64 }),
    description: text(),
    reportingGranularity: granularity().notNull(),
    ownerOrganizationId: integer().references(() => organizations.id, { onDelete: 'restrict' }),
    /** Position in catalogue listings (the document's order for the seeded figures). */
    sortOrder: integer().notNull().default(0),
    /**
     * For a figure computed from the platform's own data (activities held, transfers, study
     * compliance) the name of its derivation; such a metric takes no submitted observations.
     */
    derivation: varchar({ length: 64 }),
    /**
     * What a unit's figure covers: OWN, the unit alone (a subtree adds its units up); TOTAL, the unit
     * with everything below it (a subtree counts only the units without a reporting unit above them).
     */
    reportedAs: metricReporting().notNull().default('OWN'),
    /** A RATIO recomputed as numerator ÷ denominator × ratioMultiplier from two other figures. */
    numeratorMetricId: integer().references((): AnyPgColumn => metricDefinitions.id, { onDelete: 'restrict' }),
    denominatorMetricId: integer().references((): AnyPgColumn => metricDefinitions.id, { onDelete: 'restrict' }),
    ratioMultiplier: numeric({ mode: 'string' }).notNull().default('1'),
    /**
     * A figure the campaign reports on: the progress report's results, charts and rankings show
     * the headline figures (a catalogue may hold many more).
     */
    headline: boolean().notNull().default(false),
    ...timestamps,
  },
  (t) => [
    check('metric_definitions_code_format', codeFormat(t.code)),
    check('metric_definitions_name_not_blank', sql`length(btrim(${t.name})) > 0`),
    check(
      'metric_definitions_ratio_parts',
      sql`(${t.numeratorMetricId} is null) = (${t.denominatorMetricId} is null) and (${t.numeratorMetricId} is null or ${t.kind} = 'RATIO')`,
    ),
    check('metric_definitions_ratio_not_summed', sql`not (${t.kind} = 'RATIO' and ${t.aggregation} = 'SUM')`),
  ],
);

/** One accepted batch of observations, remembered by its idempotency key so a replay writes nothing. */
export const metricBatches = snakeCase.table(
  'metric_batches',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    idempotencyKey: varchar({ length: 200 }).notNull(),
    actorKind: actorKind().notNull(),
    actorId: varchar({ length: 64 }),
    /** SHA-256 of the canonical payload: the same key with another payload is a conflict. */
    payloadHash: varchar({ length: 64 }).notNull(),
    /** What the first submission answered, returned again to a replay. */
    result: jsonb().notNull(),
    createdAt: timestamps.createdAt,
  },
  (t) => [uniqueIndex('metric_batches_key').on(t.actorKind, sql`coalesce(${t.actorId}, '')`, t.idempotencyKey)],
);

/**
 * Figures are never overwritten: a correction is a new row with the next revision, and a reading
 * "as of" a time takes, per period, the highest revision recorded by then.
 *
 * Partitioned by the year of `period_start` (migration `metric_observations_partitioned`, which
 * drizzle cannot express): one partition a year, `metric_observations_y2012`, plus
 * `metric_observations_default` for a year that has none yet, which the worker's daily
 * `metric-partitions` job moves into a partition of its own. Every unique index therefore holds
 * `period_start`, the primary key too.
 */
export const metricObservations = snakeCase.table(
  'metric_observations',
  {
    id: bigint({ mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    metricId: integer()
      .notNull()
      .references(() => metricDefinitions.id, { onDelete: 'restrict' }),
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    granularity: granularity().notNull(),
    periodStart: date({ mode: 'string' }).notNull(),
    value: numeric({ mode: 'string' }).notNull(),
    revision: integer().notNull(),
    source: varchar({ length: 200 }).notNull(),
    batchId: bigint({ mode: 'number' }).references(() => metricBatches.id, { onDelete: 'restrict' }),
    submittedByKind: actorKind().notNull(),
    submittedById: varchar({ length: 64 }),
    recordedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`clock_timestamp()`),
  },
  (t) => [
    primaryKey({ name: 'metric_observations_pkey', columns: [t.id, t.periodStart] }),
    uniqueIndex('metric_observations_revision_key').on(
      t.metricId,
      t.organizationId,
      t.granularity,
      t.periodStart,
      t.revision,
    ),
    index('metric_observations_period_idx').on(t.metricId, t.granularity, t.periodStart),
    index('metric_observations_org_idx').on(t.organizationId, t.metricId),
    check('metric_observations_aligned', alignedPeriod(t.periodStart, t.granularity)),
    check('metric_observations_revision_positive', sql`${t.revision} >= 1`),
  ],
);

/**
 * The figure a unit aims at for a period. Like observations, targets are never overwritten: a new
 * target is the next revision, so a reading "as of" a time uses the target as it stood then.
 */
export const metricTargets = snakeCase.table(
  'metric_targets',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    metricId: integer()
      .notNull()
      .references(() => metricDefinitions.id, { onDelete: 'restrict' }),
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'restrict' }),
    granularity: granularity().notNull(),
    periodStart: date({ mode: 'string' }).notNull(),
    value: numeric({ mode: 'string' }).notNull(),
    revision: integer().notNull().default(1),
    recordedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`clock_timestamp()`),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('metric_targets_revision_key').on(
      t.metricId,
      t.organizationId,
      t.granularity,
      t.periodStart,
      t.revision,
    ),
    check('metric_targets_revision_positive', sql`${t.revision} >= 1`),
    check('metric_targets_aligned', alignedPeriod(t.periodStart, t.granularity)),
  ],
);
