import {
  type Executor,
  type Granularity,
  granularities,
  metricAggregations,
  metricDefinitions,
  metricDirections,
  metricKinds,
  organizations,
} from '@sixtype/db';
import { asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { builder } from '../../builder.ts';
import { auditActorOf, metricsSubtree } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { directoryMutationErrors } from '../common/errors.ts';
import { rowsOf } from '../common/rows.ts';
import { Organization } from '../directory/organization.ts';
import {
  type BatchResult,
  createMetricDefinition,
  isAlignedPeriod,
  type MetricDefinitionRow,
  periodLabel,
  type RowError,
  setMetricTarget,
  submitObservations,
  updateMetricDefinition,
} from './metrics.service.ts';
import { metricRankingSql } from './ranking.sql.ts';
import { MONTHS_IN, metricSeriesSql } from './series.sql.ts';

export const MetricKind = builder.enumType('MetricKind', {
  description: 'How a figure adds up over time: FLOW sums, STOCK takes the period end, RATIO averages.',
  values: metricKinds,
});
export const MetricAggregation = builder.enumType('MetricAggregation', {
  description: 'How a figure adds up across the units of a subtree.',
  values: metricAggregations,
});
export const MetricDirection = builder.enumType('MetricDirection', { values: metricDirections });
export const GranularityEnum = builder.enumType('Granularity', { values: granularities });

/** Catalogue rows as the SQL reads them, with the owner unit's code beside them. */
export type MetricDefinitionShape = MetricDefinitionRow & { ownerOrgCode?: string | null };

export const MetricDefinition = builder.objectRef<MetricDefinitionShape>('MetricDefinition');
builder.node(MetricDefinition, {
  description: 'What a figure means: unit, how it rolls up over time and across units, which way is better.',
  id: { resolve: (metric) => metric.id },
  authScopes: { metricsRead: true },
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'reportingGranularity' in value,
  loadMany: (ids, ctx) =>
    definitionsWhere(ctx.db, inArray(metricDefinitions.id, ids.map(Number))).then((rows) =>
      ids.map((id) => rows.find((row) => row.id === Number(id)) ?? null),
    ),
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    unit: t.exposeString('unit'),
    kind: t.expose('kind', { type: MetricKind }),
    aggregation: t.expose('aggregation', { type: MetricAggregation }),
    direction: t.expose('direction', { type: MetricDirection }),
    category: t.exposeString('category', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    reportingGranularity: t.expose('reportingGranularity', { type: GranularityEnum }),
    ownerOrgCode: t.string({ nullable: true, resolve: (metric) => metric.ownerOrgCode ?? null }),
    derivation: t.exposeString('derivation', {
      nullable: true,
      description: 'Set for a figure computed from the platform’s own data; such a metric takes no submissions.',
    }),
  }),
});

function definitionsWhere(db: Executor, condition: SQL | undefined): Promise<MetricDefinitionShape[]> {
  return db
    .select({ definition: metricDefinitions, ownerOrgCode: organizations.code })
    .from(metricDefinitions)
    .leftJoin(organizations, eq(organizations.id, metricDefinitions.ownerOrganizationId))
    .where(condition)
    .orderBy(asc(metricDefinitions.sortOrder), asc(metricDefinitions.code))
    .then((rows) => rows.map((row) => ({ ...row.definition, ownerOrgCode: row.ownerOrgCode })));
}

builder.queryFields((t) => ({
  metricDefinitions: t.field({
    type: [MetricDefinition],
    description: 'The metric catalogue, in catalogue order; optionally one category.',
    authScopes: { metricsRead: true },
    args: { category: t.arg.string() },
    resolve: (_root, args, ctx) =>
      definitionsWhere(ctx.db, args.category ? eq(metricDefinitions.category, args.category) : undefined),
  }),
  metricDefinition: t.field({
    type: MetricDefinition,
    nullable: true,
    description: 'A metric by its code; null when there is none.',
    authScopes: { metricsRead: true },
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) =>
      (await definitionsWhere(ctx.db, eq(metricDefinitions.code, args.code)))[0] ?? null,
  }),
}));

// ---------------------------------------------------------------------------------------------
// Series

interface PeriodShape {
  granularity: Granularity;
  start: string;
  end: string;
}

const Period = builder.objectRef<PeriodShape>('Period').implement({
  fields: (t) => ({
    granularity: t.expose('granularity', { type: GranularityEnum }),
    start: t.expose('start', { type: 'Date' }),
    end: t.expose('end', { type: 'Date', description: 'The last day of the period.' }),
    label: t.string({
      description: '2012, 2012-Q1 or 2012-03.',
      resolve: (period) => periodLabel(period.granularity, period.start),
    }),
  }),
});

interface PointShape {
  period: PeriodShape;
  value: string | null;
  target: string | null;
  completionRate: string | null;
  priorYearValue: string | null;
  yoyGrowth: string | null;
  yearToDate: string | null;
  revision: number | null;
  source: string | null;
}

const MetricPoint = builder.objectRef<PointShape>('MetricPoint').implement({
  description: 'One period of a series. Figures are exact decimals; rates are fractions rounded to 4 places.',
  fields: (t) => ({
    period: t.field({ type: Period, resolve: (point) => point.period }),
    value: t.expose('value', { type: 'Decimal', nullable: true, description: 'Null when nothing was reported.' }),
    target: t.expose('target', { type: 'Decimal', nullable: true }),
    completionRate: t.expose('completionRate', {
      type: 'Decimal',
      nullable: true,
      description: 'value ÷ target (target ÷ value when lower is better); 1 means on target.',
    }),
    priorYearValue: t.expose('priorYearValue', { type: 'Decimal', nullable: true }),
    yoyGrowth: t.expose('yoyGrowth', {
      type: 'Decimal',
      nullable: true,
      description: 'Growth on the same period a year before: 0.43 is +43%. Null when that value is missing or 0.',
    }),
    yearToDate: t.expose('yearToDate', { type: 'Decimal', nullable: true }),
    revision: t.exposeInt('revision', {
      nullable: true,
      description: 'The highest revision among the figures behind this point.',
    }),
    source: t.exposeString('source', { nullable: true }),
  }),
});

interface SeriesShape {
  metric: MetricDefinitionShape;
  organization: unknown;
  points: PointShape[];
}

const MetricSeries = builder.objectRef<SeriesShape>('MetricSeries').implement({
  fields: (t) => ({
    metric: t.field({ type: MetricDefinition, resolve: (series) => series.metric }),
    organization: t.field({
      type: Organization,
      resolve: (series) => series.organization as never,
    }),
    points: t.field({ type: [MetricPoint], resolve: (series) => series.points }),
  }),
});

const MetricSeriesInput = builder.inputType('MetricSeriesInput', {
  fields: (t) => ({
    metricCodes: t.stringList({ required: true }),
    orgCode: t.string({ required: true }),
    includeDescendants: t.boolean({
      defaultValue: false,
      description: 'Roll up the unit and every unit below it, by each metric’s aggregation.',
    }),
    from: t.field({ type: 'Date', required: true }),
    to: t.field({ type: 'Date', required: true }),
    granularity: t.field({ type: GranularityEnum, required: true }),
    asOf: t.field({ type: 'DateTime', description: 'Read the figures as they stood at this instant.' }),
  }),
});

const seriesInput = z
  .object({
    metricCodes: z.array(z.string()).min(1, 'name at least one metric').max(50, 'at most 50 metrics per call'),
    orgCode: z.string().min(1),
    from: z.string(),
    to: z.string(),
    granularity: z.enum(granularities),
  })
  .refine((input) => input.from <= input.to, { path: ['to'], message: 'must not be before from' })
  .refine((input) => Number(input.to.slice(0, 4)) - Number(input.from.slice(0, 4)) <= 30, {
    path: ['to'],
    message: 'a series spans at most 30 years',
  });

interface SeriesRow {
  metric: MetricDefinitionShape & { createdAt: string; updatedAt: string };
  points: (Omit<PointShape, 'period'> & { periodStart: string; periodEnd: string })[];
}

builder.queryField('metricSeries', (t) =>
  t.field({
    type: [MetricSeries],
    description:
      'Figures per period for each metric, for one unit or its whole subtree: value, target, completion, prior year, YoY and year to date. One SQL statement per call.',
    authScopes: { metricsRead: true },
    args: { input: t.arg({ type: MetricSeriesInput, required: true }) },
    resolve: async (_root, { input }, ctx, info) => {
      const checked = seriesInput.safeParse(input);
      if (!checked.success) {
        throw graphQLError(
          'BAD_USER_INPUT',
          checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
      }
      const readable = metricsSubtree(ctx.viewer, 'read') ?? null;
      const seriesSql = metricSeriesSql({
        metricCodes: input.metricCodes,
        orgCode: input.orgCode,
        includeDescendants: input.includeDescendants ?? false,
        from: input.from,
        to: input.to,
        granularity: input.granularity,
        asOf: input.asOf ?? null,
        readableSubtree: readable,
      });
      // The unit is read through the planner (so a selection under `organization` is part of it),
      // and every series rides along as one JSON column of the same row: one statement in all.
      const unit = await ctx.db.query.organizations.findFirst(
        t.drizzleQueryFromInfo('organizations', {
          context: ctx,
          info,
          path: ['organization'],
          where: { code: input.orgCode },
          extras: {
            seriesRows: () => sql`(select coalesce(json_agg(s), '[]'::json) from (${seriesSql}) s)`,
          },
        }),
      );
      const rows = (unit as { seriesRows?: SeriesRow[] } | undefined)?.seriesRows;
      if (
        !unit ||
        !rows ||
        (rows.length === 0 && readable !== null && !unitWithin(unit as { path?: string }, readable))
      ) {
        throw graphQLError('NOT_FOUND', `Organization ${input.orgCode} does not exist`);
      }
      const missing = input.metricCodes.filter((code) => !rows.some((row) => row.metric.code === code));
      if (missing.length > 0) throw graphQLError('NOT_FOUND', `No metric ${missing.join(', ')}`);
      return rows.map((row) => ({
        metric: row.metric,
        organization: unit,
        points: row.points.map(({ periodStart, periodEnd, ...point }) => ({
          ...point,
          period: { granularity: input.granularity, start: periodStart, end: periodEnd },
        })),
      }));
    },
  }),
);

const unitWithin = (unit: { path?: string }, root: string) =>
  unit.path === root || (unit.path ?? '').startsWith(`${root}.`);

// ---------------------------------------------------------------------------------------------
// Writes

const ObservationInput = builder.inputType('MetricObservationInput', {
  fields: (t) => ({
    metricCode: t.string({ required: true }),
    orgCode: t.string({ required: true }),
    periodStart: t.string({ required: true, description: 'First day of the period, YYYY-MM-DD.' }),
    granularity: t.field({ type: GranularityEnum, required: true }),
    value: t.field({ type: 'Decimal', required: true }),
    source: t.string({ required: true, description: 'Where the figure comes from, e.g. the reporting system.' }),
  }),
});

const SubmitInput = builder.inputType('SubmitMetricObservationsInput', {
  fields: (t) => ({
    idempotencyKey: t.string({
      required: true,
      description: 'Chosen by the sender; sending the same batch again with it writes nothing.',
    }),
    observations: t.field({ type: [ObservationInput], required: true }),
  }),
});

const ObservationError = builder.objectRef<RowError>('MetricObservationError').implement({
  description: 'A row that was not written, by its index in the submitted list.',
  fields: (t) => ({
    index: t.exposeInt('index'),
    field: t.exposeString('field'),
    code: t.exposeString('code'),
    message: t.exposeString('message'),
  }),
});

const SubmitPayload = builder.objectRef<BatchResult>('SubmitMetricObservationsPayload').implement({
  description: 'Valid rows are written (as new revisions), invalid rows are reported; both in one answer.',
  fields: (t) => ({
    batchId: t.id({ nullable: true, resolve: (result) => result.batchId }),
    accepted: t.exposeInt('accepted'),
    rejected: t.exposeInt('rejected'),
    replayed: t.exposeBoolean('replayed', {
      description: 'The key was seen before with this batch: this is the first answer again, and nothing was written.',
    }),
    errors: t.field({ type: [ObservationError], resolve: (result) => result.errors }),
  }),
});

const metricsAccessOf = (viewer: Parameters<typeof auditActorOf>[0]) => ({
  actor: auditActorOf(viewer),
  writable: metricsSubtree(viewer, 'write'),
});

builder.mutationField('submitMetricObservations', (t) =>
  t.field({
    type: SubmitPayload,
    description: 'Writes a batch of figures from another system, at most 10,000 rows, idempotent by key.',
    authScopes: { metricsWrite: true },
    args: { input: t.arg({ type: SubmitInput, required: true }) },
    errors: {
      types: [...directoryMutationErrors],
      directResult: true,
      union: { name: 'SubmitMetricObservationsResult' },
    },
    resolve: async (_root, { input }, ctx) => {
      const { written, ...result } = await submitObservations(ctx.db, metricsAccessOf(ctx.viewer), input);
      // Announced only after the transaction committed: a subscriber never sees a figure that
      // could still roll back.
      for (const event of written) ctx.events?.publish('metricUpdated', event);
      return result;
    },
  }),
);

const TargetInput = builder.inputType('SetMetricTargetInput', {
  fields: (t) => ({
    metricCode: t.string({ required: true }),
    orgCode: t.string({ required: true }),
    granularity: t.field({ type: GranularityEnum, required: true }),
    periodStart: t.string({ required: true }),
    value: t.field({ type: 'Decimal', required: true }),
  }),
});

const TargetPayload = builder
  .objectRef<{ metricCode: string; orgCode: string; periodStart: string; value: string }>('SetMetricTargetPayload')
  .implement({
    fields: (t) => ({
      metricCode: t.exposeString('metricCode'),
      orgCode: t.exposeString('orgCode'),
      periodStart: t.expose('periodStart', { type: 'Date' }),
      value: t.expose('value', { type: 'Decimal' }),
    }),
  });

builder.mutationField('setMetricTarget', (t) =>
  t.field({
    type: TargetPayload,
    authScopes: { metricsWrite: true },
    args: { input: t.arg({ type: TargetInput, required: true }) },
    errors: { types: [...directoryMutationErrors], directResult: true, union: { name: 'SetMetricTargetResult' } },
    resolve: async (_root, { input }, ctx) => {
      const target = await setMetricTarget(ctx.db, metricsAccessOf(ctx.viewer), input);
      return {
        metricCode: input.metricCode,
        orgCode: input.orgCode,
        periodStart: target.periodStart,
        value: target.value,
      };
    },
  }),
);

const DefinitionInput = builder.inputType('CreateMetricDefinitionInput', {
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string({ required: true }),
    unit: t.string({ required: true }),
    kind: t.field({ type: MetricKind, required: true }),
    aggregation: t.field({ type: MetricAggregation, required: true }),
    direction: t.field({ type: MetricDirection, required: true }),
    category: t.string(),
    description: t.string(),
    reportingGranularity: t.field({ type: GranularityEnum, required: true }),
    ownerOrgCode: t.string(),
    derivation: t.string({
      description:
        'Computes the figure from the platform’s data (see the derivations listed in the error for an unknown name); needs MONTH reporting.',
    }),
  }),
});

const UpdateDefinitionInput = builder.inputType('UpdateMetricDefinitionInput', {
  description: 'Kind and reporting granularity cannot change: stored figures would mean something else.',
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string(),
    unit: t.string(),
    aggregation: t.field({ type: MetricAggregation }),
    direction: t.field({ type: MetricDirection }),
    category: t.string(),
    description: t.string(),
    ownerOrgCode: t.string(),
  }),
});

const DefinitionPayload = (name: string) =>
  builder.objectRef<{ metric: MetricDefinitionShape }>(name).implement({
    fields: (t) => ({ metric: t.field({ type: MetricDefinition, resolve: (payload) => payload.metric }) }),
  });

builder.mutationFields((t) => ({
  createMetricDefinition: t.field({
    type: DefinitionPayload('CreateMetricDefinitionPayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: DefinitionInput, required: true }) },
    errors: {
      types: [...directoryMutationErrors],
      directResult: true,
      union: { name: 'CreateMetricDefinitionResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      metric: await createMetricDefinition(ctx.db, auditActorOf(ctx.viewer), input),
    }),
  }),
  updateMetricDefinition: t.field({
    type: DefinitionPayload('UpdateMetricDefinitionPayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateDefinitionInput, required: true }) },
    errors: {
      types: [...directoryMutationErrors],
      directResult: true,
      union: { name: 'UpdateMetricDefinitionResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      metric: await updateMetricDefinition(ctx.db, auditActorOf(ctx.viewer), input),
    }),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Ranking

const RankingInput = builder.inputType('MetricRankingInput', {
  fields: (t) => ({
    metricCode: t.string({ required: true }),
    parentOrgCode: t.string({
      defaultValue: 'ZONE',
      description: 'The units ranked are the ones directly below this unit, each with its subtree rolled up.',
    }),
    granularity: t.field({ type: GranularityEnum, required: true }),
    periodStart: t.field({ type: 'Date', required: true }),
    asOf: t.field({ type: 'DateTime' }),
  }),
});

interface RankingEntryShape {
  rank: number | null;
  value: string | null;
  organization: { id: number; code: string; name: string };
}

const RankingEntry = builder.objectRef<RankingEntryShape>('MetricRankingEntry').implement({
  fields: (t) => ({
    rank: t.exposeInt('rank', {
      nullable: true,
      description: '1 is best by the metric’s direction; ties share a rank. Null for a unit without a figure.',
    }),
    value: t.expose('value', { type: 'Decimal', nullable: true }),
    orgCode: t.string({ resolve: (entry) => entry.organization.code }),
    orgName: t.string({ resolve: (entry) => entry.organization.name }),
  }),
});

const Ranking = builder
  .objectRef<{ metric: MetricDefinitionShape; period: PeriodShape; entries: RankingEntryShape[] }>('MetricRanking')
  .implement({
    fields: (t) => ({
      metric: t.field({ type: MetricDefinition, resolve: (ranking) => ranking.metric }),
      period: t.field({ type: Period, resolve: (ranking) => ranking.period }),
      entries: t.field({ type: [RankingEntry], resolve: (ranking) => ranking.entries }),
    }),
  });

builder.queryField('metricRanking', (t) =>
  t.field({
    type: Ranking,
    description:
      'The units below a parent ranked on one metric for one period (one SQL statement). Submitted figures only: a derived one is BAD_USER_INPUT.',
    authScopes: { metricsRead: true },
    args: { input: t.arg({ type: RankingInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      if (!isAlignedPeriod(input.granularity, input.periodStart)) {
        throw graphQLError(
          'BAD_USER_INPUT',
          `periodStart must be the first day of a ${input.granularity.toLowerCase()}`,
        );
      }
      const [row] = rowsOf<{ metric: MetricDefinitionShape; entries: RankingEntryShape[] }>(
        await ctx.db.execute(
          metricRankingSql({
            metricCode: input.metricCode,
            parentOrgCode: input.parentOrgCode ?? 'ZONE',
            granularity: input.granularity,
            periodStart: input.periodStart,
            asOf: input.asOf ?? null,
          }),
        ),
      );
      if (!row) throw graphQLError('NOT_FOUND', `No metric ${input.metricCode}`);
      if (row.metric.derivation) {
        // Refused rather than answered with empty entries (studyComplianceRanking ranks study compliance).
        throw graphQLError(
          'BAD_USER_INPUT',
          `${input.metricCode} is computed by the platform (${row.metric.derivation}); metricRanking ranks submitted figures only`,
        );
      }
      return {
        metric: row.metric,
        period: {
          granularity: input.granularity,
          start: input.periodStart,
          end: periodEnd(input.granularity, input.periodStart),
        },
        entries: row.entries,
      };
    },
  }),
);

function periodEnd(granularity: Granularity, start: string): string {
  const date = new Date(`${start}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + MONTHS_IN[granularity]);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}
