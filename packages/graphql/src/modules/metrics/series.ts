// `metricSeries`: the figures of units over periods, with targets, prior year, YoY and year to date.
import { type Granularity, granularities } from '@sixtype/db';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { builder } from '../../builder.ts';
import { metricsSubtree, pathWithin } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { Organization } from '../directory/organization.ts';
import { derivationNameOf } from './derivations.ts';
import { periodLabel } from './metrics.service.ts';
import { GranularityEnum, MetricDefinition, type MetricDefinitionShape } from './metrics.ts';
import { ALL_ROLLUP_STEPS, answerableBy, METRICS_PER_SERIES, type RollupSteps } from './rollup.sql.ts';
import { metricSeriesSql } from './series.sql.ts';

export interface PeriodShape {
  granularity: Granularity;
  start: string;
  end: string;
}

export const Period = builder.objectRef<PeriodShape>('Period').implement({
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

/** The series riding along on the unit's row (metricSeries reads them as its `seriesRows` extra). */
const seriesRowsOf = (unit: unknown) => (unit as { seriesRows?: SeriesRow[] } | undefined)?.seriesRows;

/** What a rollup statement needs to know of a metric it reads (RollupSteps). */
type StepsOf = Pick<
  MetricDefinitionShape,
  'code' | 'derivation' | 'reportedAs' | 'numeratorMetricCode' | 'denominatorMetricCode'
>;

/**
 * Per metric code, its derivation and whether its rollup may need the TOTAL rule (reported as
 * TOTAL, or a ratio whose parts may be), learned from the statements' own answers. These are fixed
 * when a metric is created (no mutation changes or deletes them), so what was learned stays true,
 * and a series of submitted figures carries no derived branch and no TOTAL window in its SQL.
 */
const knownMetrics = new Map<string, { derivation: string | null; totalRule: boolean }>();
const KNOWN_METRICS_MAX = 10_000;
const needsTotalRule = (metric: StepsOf) =>
  metric.reportedAs === 'TOTAL' || Boolean(metric.numeratorMetricCode) || Boolean(metric.denominatorMetricCode);

/** The steps a rollup of these codes needs: all of them while one of the metrics is not known yet. */
export function rollupStepsFor(codes: readonly string[]): RollupSteps {
  const names = new Set<string>();
  let totalRule = false;
  for (const code of codes) {
    const known = knownMetrics.get(code);
    if (known === undefined) return ALL_ROLLUP_STEPS;
    if (known.derivation !== null) names.add(derivationNameOf(known.derivation));
    totalRule ||= known.totalRule;
  }
  return { derivations: [...names], totalRule };
}

export function learnMetrics(metrics: readonly StepsOf[]) {
  for (const metric of metrics) {
    if (knownMetrics.size >= KNOWN_METRICS_MAX) return;
    knownMetrics.set(metric.code, { derivation: metric.derivation, totalRule: needsTotalRule(metric) });
  }
}

/**
 * Whether a statement with `steps` carried every step the metrics it answered need. Only a metric
 * learned as something else (another database under the same code, as tests open) makes it false;
 * the caller then forgets what it knew of them and runs the statement again with every step.
 */
export function stepsCovered(steps: RollupSteps, metrics: readonly StepsOf[]): boolean {
  const covered = metrics.every(
    (metric) =>
      (steps.totalRule || !needsTotalRule(metric)) &&
      (metric.derivation === null ||
        steps.derivations === 'all' ||
        steps.derivations.includes(derivationNameOf(metric.derivation))),
  );
  if (!covered) for (const metric of metrics) knownMetrics.delete(metric.code);
  return covered;
}

/** The units a viewer may read figures of; no rule is a refusal, never "everything". */
export function readableFigures(viewer: Parameters<typeof metricsSubtree>[0]): string | null {
  const readable = metricsSubtree(viewer, 'read');
  if (readable === undefined) throw graphQLError('FORBIDDEN', 'You may not read figures');
  return readable;
}

/** The refusals that depend on the metrics' definitions, checked once the statement has read them. */
export function assertAnswerable(
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
      // The unit is read through the planner (so a selection under `organization` is part of it),
      // and every series rides along as one JSON column of the same row: one statement in all.
      const read = (steps: RollupSteps) => {
        const seriesSql = metricSeriesSql({
          metricCodes: codes,
          orgCode: input.orgCode,
          includeDescendants: input.includeDescendants ?? false,
          from: input.from,
          to: input.to,
          granularity: input.granularity,
          asOf: input.asOf ?? null,
          readableSubtree: readable,
          steps,
        });
        return ctx.db.query.organizations.findFirst(
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
      };
      const steps = rollupStepsFor(codes);
      let unit = await read(steps);
      const answered = (seriesRowsOf(unit) ?? []).map((row) => row.metric);
      if (!stepsCovered(steps, answered)) unit = await read(ALL_ROLLUP_STEPS);
      const rows = seriesRowsOf(unit);
      if (
        !unit ||
        !rows ||
        (rows.length === 0 && readable !== null && !pathWithin((unit as { path?: string }).path ?? '', readable))
      ) {
        throw graphQLError('NOT_FOUND', `Organization ${input.orgCode} does not exist`);
      }
      learnMetrics(rows.map((row) => row.metric));
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
