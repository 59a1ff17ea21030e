// `metricRanking`: the units below a parent ranked by one metric for one period.
import { builder } from '../../builder.ts';
import { graphQLError } from '../../errors.ts';
import { rowsOf } from '../common/rows.ts';
import { isPerRootDerivation } from './derivations.ts';
import { isAlignedPeriod } from './metrics.service.ts';
import { GranularityEnum, MetricDefinition, type MetricDefinitionShape } from './metrics.ts';
import { metricRankingSql } from './ranking.sql.ts';
import { ALL_ROLLUP_STEPS, type RollupSteps } from './rollup.sql.ts';
import { periodEndOf } from './series.sql.ts';
import {
  assertAnswerable,
  learnMetrics,
  Period,
  type PeriodShape,
  readableFigures,
  rollupStepsFor,
  stepsCovered,
} from './series.ts';

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
      type RankingRow = { metric: MetricDefinitionShape; parentFound: boolean; entries: RankingEntryShape[] };
      const read = async (steps: RollupSteps) => {
        const [found] = rowsOf<RankingRow>(
          await ctx.db.execute(
            metricRankingSql({
              metricCode: input.metricCode,
              parentOrgCode,
              granularity: input.granularity,
              periodStart: input.periodStart,
              asOf: input.asOf ?? null,
              readableSubtree: readable,
              steps,
            }),
          ),
        );
        return found;
      };
      const steps = rollupStepsFor([input.metricCode]);
      let row = await read(steps);
      if (row && !stepsCovered(steps, [row.metric])) row = await read(ALL_ROLLUP_STEPS);
      if (!row) throw graphQLError('NOT_FOUND', `No metric ${input.metricCode}`);
      learnMetrics([row.metric]);
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
