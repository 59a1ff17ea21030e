import {
  type Executor,
  type Granularity,
  granularities,
  metricAggregations,
  metricDefinitions,
  metricDirections,
  metricKinds,
  metricReportings,
  organizations,
} from '@sixtype/db';
import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { builder } from '../../builder.ts';
import { auditActorOf, metricsSubtree, pathWithin } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { mutationErrors } from '../common/errors.ts';
import { rowsOf } from '../common/rows.ts';
import { Organization } from '../directory/organization.ts';
import { derivationNameOf, isPerRootDerivation } from './derivations.ts';
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
import { answerableBy, METRICS_PER_SERIES } from './rollup.sql.ts';
import { metricSeriesSql, periodEndOf } from './series.sql.ts';

export const MetricKind = builder.enumType('MetricKind', {
  description:
    'How a figure adds up over time: FLOW sums, STOCK takes the last reported period, RATIO averages (or is recomputed from its numerator and denominator).',
  values: metricKinds,
});
export const MetricReporting = builder.enumType('MetricReporting', {
  description:
    'What a unit’s figure covers. OWN: the unit alone, so a subtree adds its units up. TOTAL: the unit with everything below it, so a subtree counts only units without a reporting unit above them.',
  values: metricReportings,
});
export const MetricAggregation = builder.enumType('MetricAggregation', {
  description: 'How a figure adds up across the units of a subtree.',
  values: metricAggregations,
});
export const MetricDirection = builder.enumType('MetricDirection', { values: metricDirections });
export const GranularityEnum = builder.enumType('Granularity', { values: granularities });

/** Catalogue rows as the SQL reads them, with the owner unit's and the ratio parts' codes beside them. */
export type MetricDefinitionShape = MetricDefinitionRow & {
  ownerOrgCode?: string | null;
  numeratorMetricCode?: string | null;
  denominatorMetricCode?: string | null;
};

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
    reportedAs: t.expose('reportedAs', { type: MetricReporting }),
    headline: t.exposeBoolean('headline', {
      description: 'A figure the campaign reports on: the progress report shows the headline figures.',
    }),
    numeratorMetricCode: t.string({
      nullable: true,
      description: 'For a RATIO recomputed from two figures: the numerator’s metric.',
      resolve: (metric) => metric.numeratorMetricCode ?? null,
    }),
    denominatorMetricCode: t.string({
      nullable: true,
      description: 'For a RATIO recomputed from two figures: the denominator’s metric.',
      resolve: (metric) => metric.denominatorMetricCode ?? null,
    }),
    ratioMultiplier: t.field({
      type: 'Decimal',
      description: 'A recomputed RATIO is numerator ÷ denominator × this (100 for a percentage).',
      resolve: (metric) => trimDecimal(String(metric.ratioMultiplier)),
    }),
  }),
});

/** A numeric's text without trailing fractional zeros ("100.00" → "100"), as trim_scale writes it. */
const trimDecimal = (value: string) => (value.includes('.') ? value.replace(/\.?0+$/, '') : value);

const ratioPartCode = (column: typeof metricDefinitions.numeratorMetricId) =>
  sql<string | null>`(select part.code from metric_definitions part where part.id = ${column})`;

function definitionsWhere(db: Executor, condition: SQL | undefined): Promise<MetricDefinitionShape[]> {
  return db
    .select({
      definition: metricDefinitions,
      ownerOrgCode: organizations.code,
      numeratorMetricCode: ratioPartCode(metricDefinitions.numeratorMetricId),
      denominatorMetricCode: ratioPartCode(metricDefinitions.denominatorMetricId),
    })
    .from(metricDefinitions)
    .leftJoin(organizations, eq(organizations.id, metricDefinitions.ownerOrganizationId))
    .where(condition)
    .orderBy(asc(metricDefinitions.sortOrder), asc(metricDefinitions.code))
    .then((rows) =>
      rows.map((row) => ({
        ...row.definition,
        ownerOrgCode: row.ownerOrgCode,
        numeratorMetricCode: row.numeratorMetricCode,
        denominatorMetricCode: row.denominatorMetricCode,
      })),
    );
}

builder.queryFields((t) => ({
  metricDefinitions: t.field({
    type: [MetricDefinition],
    description: 'The metric catalogue, in catalogue order; optionally one category, or the headline figures only.',
    authScopes: { metricsRead: true },
    args: {
      category: t.arg.string(),
      headline: t.arg.boolean({ description: 'true: the headline figures only; false: the others.' }),
    },
    resolve: (_root, args, ctx) =>
      definitionsWhere(
        ctx.db,
        and(
          args.category ? eq(metricDefinitions.category, args.category) : undefined,
          args.headline != null ? eq(metricDefinitions.headline, args.headline) : undefined,
        ),
      ),
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
  periodsReported: number;
  periodsExpected: number;
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
    priorYearValue: t.expose('priorYearValue', {
      type: 'Decimal',
      nullable: true,
      description:
        'The same period a year before, counting only the reporting periods (and units) a year before those in `value`; the whole period when `value` has none.',
    }),
    yoyGrowth: t.expose('yoyGrowth', {
      type: 'Decimal',
      nullable: true,
      description:
        '(value − prior) ÷ |prior|, like with like: 0.43 is +43%. Null when the prior value is missing or 0.',
    }),
    yearToDate: t.expose('yearToDate', { type: 'Decimal', nullable: true }),
    revision: t.exposeInt('revision', {
      nullable: true,
      description: 'The highest revision among the figures behind this point.',
    }),
    source: t.exposeString('source', { nullable: true }),
    periodsReported: t.exposeInt('periodsReported', {
      description:
        'Reporting periods of the metric inside this period that have a figure (e.g. 2 of a quarter’s 3 months).',
    }),
    periodsExpected: t.exposeInt('periodsExpected', {
      description: 'Reporting periods of the metric inside this period: 3 for a monthly figure read by quarter.',
    }),
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
    metricCodes: z
      .array(z.string())
      .min(1, 'name at least one metric')
      .max(METRICS_PER_SERIES, `at most ${METRICS_PER_SERIES} metrics per call`),
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

/**
 * Whether each metric code is a derived figure, learned from the statements' own answers. A
 * metric's derivation is fixed when it is created (no mutation changes or deletes it), so what was
 * learned stays true, and a series of submitted figures carries no derived branch in its SQL.
 */
const knownDerivations = new Map<string, string | null>();
const KNOWN_DERIVATIONS_MAX = 10_000;

/** The derivations a request for these codes needs, or `all` while one of them is not known yet. */
export function derivationsFor(codes: readonly string[]): readonly string[] | 'all' {
  const names = new Set<string>();
  for (const code of codes) {
    const derivation = knownDerivations.get(code);
    if (derivation === undefined) return 'all';
    if (derivation !== null) names.add(derivationNameOf(derivation));
  }
  return [...names];
}

function learnDerivations(metrics: readonly { code: string; derivation: string | null }[]) {
  for (const metric of metrics) {
    if (knownDerivations.size >= KNOWN_DERIVATIONS_MAX) return;
    knownDerivations.set(metric.code, metric.derivation);
  }
}

/** The units a viewer may read figures of; no rule is a refusal, never "everything". */
export function readableFigures(viewer: Parameters<typeof metricsSubtree>[0]): string | null {
  const readable = metricsSubtree(viewer, 'read');
  if (readable === undefined) throw graphQLError('FORBIDDEN', 'You may not read figures');
  return readable;
}

/** The refusals that depend on the metrics' definitions, checked once the statement has read them. */
function assertAnswerable(
  metrics: readonly MetricDefinitionShape[],
  granularity: Granularity,
  asOf: string | null | undefined,
) {
  for (const metric of metrics) {
    if (!answerableBy(metric.reportingGranularity, granularity)) {
      const coarser = granularities.filter((grain) => answerableBy(metric.reportingGranularity, grain)).join(' or ');
      throw graphQLError(
        'BAD_USER_INPUT',
        `${metric.code} is reported by ${metric.reportingGranularity}: ask for it by ${coarser}, not ${granularity}`,
      );
    }
    if (asOf && metric.derivation) {
      throw graphQLError(
        'BAD_USER_INPUT',
        `${metric.code} is computed from the platform’s live data (${metric.derivation}) and has no history: asOf reads submitted figures only`,
      );
    }
  }
}

builder.queryField('metricSeries', (t) =>
  t.field({
    type: [MetricSeries],
    description:
      'Figures per period for each metric (in the order the codes are given), for one unit or its whole subtree: value, target, completion, prior year, YoY and year to date. One SQL statement per call; README states the rollup rules.',
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
      const readable = readableFigures(ctx.viewer);
      const codes = [...new Set(input.metricCodes)];
      const seriesSql = metricSeriesSql({
        metricCodes: codes,
        orgCode: input.orgCode,
        includeDescendants: input.includeDescendants ?? false,
        from: input.from,
        to: input.to,
        granularity: input.granularity,
        asOf: input.asOf ?? null,
        readableSubtree: readable,
        derivations: derivationsFor(codes),
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
        (rows.length === 0 && readable !== null && !pathWithin((unit as { path?: string }).path ?? '', readable))
      ) {
        throw graphQLError('NOT_FOUND', `Organization ${input.orgCode} does not exist`);
      }
      learnDerivations(rows.map((row) => row.metric));
      const missing = codes.filter((code) => !rows.some((row) => row.metric.code === code));
      if (missing.length > 0) throw graphQLError('NOT_FOUND', `No metric ${missing.join(', ')}`);
      assertAnswerable(
        rows.map((row) => row.metric),
        input.granularity,
        input.asOf,
      );
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

export const metricsAccessOf = (viewer: Parameters<typeof auditActorOf>[0]) => ({
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
      types: [...mutationErrors],
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
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'SetMetricTargetResult' } },
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
    reportedAs: t.field({ type: MetricReporting, description: 'OWN when omitted.' }),
    headline: t.boolean({ description: 'A figure the progress report shows; false when omitted.' }),
    numeratorMetricCode: t.string({
      description: 'For a RATIO recomputed from two figures (with denominatorMetricCode): a FLOW or STOCK metric.',
    }),
    denominatorMetricCode: t.string(),
    ratioMultiplier: t.field({
      type: 'Decimal',
      description: 'numerator ÷ denominator × this; 1 when omitted, 100 for a percentage.',
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
    headline: t.boolean(),
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
      types: [...mutationErrors],
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
      types: [...mutationErrors],
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
  periodsReported: number;
  periodsExpected: number;
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
    periodsReported: t.exposeInt('periodsReported', {
      description: 'Reporting periods inside the period with a figure in the unit’s subtree.',
    }),
    periodsExpected: t.exposeInt('periodsExpected'),
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
      'The units below a parent ranked on one metric for one period, each with its subtree rolled up by the same rules as metricSeries (one SQL statement). A figure computed per unit as a whole (STUDY_COMPLIANCE_RATE) is BAD_USER_INPUT: studyComplianceRanking ranks it.',
    authScopes: { metricsRead: true },
    args: { input: t.arg({ type: RankingInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      if (!isAlignedPeriod(input.granularity, input.periodStart)) {
        throw graphQLError(
          'BAD_USER_INPUT',
          `periodStart must be the first day of a ${input.granularity.toLowerCase()}`,
        );
      }
      const readable = readableFigures(ctx.viewer);
      const parentOrgCode = input.parentOrgCode ?? 'ZONE';
      const [row] = rowsOf<{ metric: MetricDefinitionShape; parentFound: boolean; entries: RankingEntryShape[] }>(
        await ctx.db.execute(
          metricRankingSql({
            metricCode: input.metricCode,
            parentOrgCode,
            granularity: input.granularity,
            periodStart: input.periodStart,
            asOf: input.asOf ?? null,
            readableSubtree: readable,
            derivations: derivationsFor([input.metricCode]),
          }),
        ),
      );
      if (!row) throw graphQLError('NOT_FOUND', `No metric ${input.metricCode}`);
      learnDerivations([row.metric]);
      if (!row.parentFound) throw graphQLError('NOT_FOUND', `Organization ${parentOrgCode} does not exist`);
      if (row.metric.derivation && isPerRootDerivation(row.metric.derivation)) {
        throw graphQLError(
          'BAD_USER_INPUT',
          `${input.metricCode} is computed for a unit as a whole (${row.metric.derivation}) and cannot be ranked here; studyComplianceRanking ranks study compliance`,
        );
      }
      assertAnswerable([row.metric], input.granularity, input.asOf);
      return {
        metric: row.metric,
        period: {
          granularity: input.granularity,
          start: input.periodStart,
          end: periodEndOf(input.granularity, input.periodStart),
        },
        entries: row.entries,
      };
    },
  }),
);
