// The metrics catalogue: the enums, `MetricDefinition` and the definitions queries. Series, writes and ranking are beside it (series.ts, writes.ts, ranking.ts).
import {
  type Executor,
  granularities,
  metricAggregations,
  metricDefinitions,
  metricDirections,
  metricKinds,
  metricReportings,
  organizations,
} from '@sixtype/db';
import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import type { MetricDefinitionRow } from './metrics.service.ts';

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
export const trimDecimal = (value: string) => (value.includes('.') ? value.replace(/\.?0+$/, '') : value);

const ratioPartCode = (column: typeof metricDefinitions.numeratorMetricId) =>
  sql<string | null>`(select part.code from metric_definitions part where part.id = ${column})`;

export function definitionsWhere(db: Executor, condition: SQL | undefined): Promise<MetricDefinitionShape[]> {
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
