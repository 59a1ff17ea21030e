import { GraphQLError } from 'graphql';
import { batchProblem, DECIMAL_PATTERN, payloadHash, type SubmitInput } from '../batch.ts';
import { memoized, type NaiveModule, notFound, type Org, type Sql, unitByCode, unitIdsSql } from './common.ts';

type Granularity = 'MONTH' | 'QUARTER' | 'YEAR';
const MONTHS_IN: Record<Granularity, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };
const GRAIN_RANK: Record<Granularity, number> = { MONTH: 1, QUARTER: 2, YEAR: 3 };

type Metric = {
  id: number;
  code: string;
  name: string;
  unit: string;
  kind: 'FLOW' | 'STOCK' | 'RATIO';
  aggregation: 'SUM' | 'AVG' | 'MAX' | 'MIN' | 'NONE';
  direction: 'HIGHER_IS_BETTER' | 'LOWER_IS_BETTER';
  reporting_granularity: Granularity;
  derivation: string | null;
};

interface SeriesInput {
  metricCodes: string[];
  orgCode: string;
  includeDescendants?: boolean | null;
  from: string;
  to: string;
  granularity: Granularity;
}

interface Series {
  metric: Metric;
  unit: Org;
  input: SeriesInput;
}

interface Point {
  series: Series;
  start: string;
  end: string;
}

/** A figure as the API prints it (`trim_scale`), and as stored (`raw`, full scale) for the rates computed from it. */
type Figure = { text: string | null; raw: string | null };

const day = (date: Date) => date.toISOString().slice(0, 10);
const shiftMonths = (start: string, months: number) => {
  const date = new Date(`${start}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return day(date);
};
const endOf = (start: string, months: number) => {
  const date = new Date(`${shiftMonths(start, months)}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return day(date);
};
/** The first day of the period holding `date`. */
const periodOf = (date: string, granularity: Granularity) => {
  const month = Number(date.slice(5, 7));
  const first = month - ((month - 1) % MONTHS_IN[granularity]);
  return `${date.slice(0, 4)}-${String(first).padStart(2, '0')}-01`;
};
const label = (granularity: Granularity, start: string) => {
  const month = Number(start.slice(5, 7));
  if (granularity === 'YEAR') return start.slice(0, 4);
  if (granularity === 'QUARTER') return `${start.slice(0, 4)}-Q${Math.floor((month - 1) / 3) + 1}`;
  return start.slice(0, 7);
};

type RowError = { index: number; field: string; code: string; message: string };

const aligned = (granularity: Granularity, periodStart: string) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(periodStart);
  if (!match) return false;
  const month = Number(match[2]);
  if (match[3] !== '01' || month < 1 || month > 12) return false;
  return (month - 1) % MONTHS_IN[granularity] === 0;
};

/**
 * Metric series (S1) and batch submission (S5). A series resolves each point's value, target,
 * prior-year value, year to date and revision by a query of its own (with the API's roll-up: the
 * units of the subtree by the metric's aggregation, then the periods by its kind), and the rates
 * from those figures; a batch looks up each row's metric and unit by code and inserts it alone.
 * Metrics computed from the platform's data (derivations) are not served.
 */
export function metricsModule(sql: Sql): NaiveModule {
  /** The current observations (highest revision) of a metric in the units, per unit and period. */
  const currentObservations = (series: Series, from: string, to: string) => sql`
    select distinct on (ob.organization_id, ob.period_start) ob.organization_id, ob.period_start, ob.value, ob.revision
    from metric_observations ob
    where ob.metric_id = ${series.metric.id}
      and ob.granularity = ${series.metric.reporting_granularity}::granularity
      and ob.organization_id in (${unitIdsSql(sql, series.unit, series.input.includeDescendants)})
      and ob.period_start between ${from}::date and ${to}::date
    order by ob.organization_id, ob.period_start, ob.revision desc`;

  const countable = (series: Series) =>
    GRAIN_RANK[series.metric.reporting_granularity] <= GRAIN_RANK[series.input.granularity];

  /** The metric over the subtree and the days `from`–`to`: across units per period, then over the periods. */
  async function figureOver(series: Series, from: string, to: string): Promise<Figure> {
    if (!countable(series)) return { text: null, raw: null };
    const { kind, aggregation } = series.metric;
    const [row] = await sql<Figure[]>`
      select trim_scale(v.value)::text as text, v.value::text as raw
      from (
        select case ${kind}::text
                 when 'FLOW' then sum(a.value)
                 when 'STOCK' then (array_agg(a.value order by a.period_start desc) filter (where a.value is not null))[1]
                 else avg(a.value)
               end as value
        from (
          select o.period_start,
                 case ${aggregation}::text
                   when 'SUM' then sum(o.value)
                   when 'AVG' then avg(o.value)
                   when 'MAX' then max(o.value)
                   when 'MIN' then min(o.value)
                   else max(o.value) filter (where o.organization_id = ${series.unit.id})
                 end as value
          from (${currentObservations(series, from, to)}) o
          group by o.period_start
        ) a
      ) v`;
    return row ?? { text: null, raw: null };
  }

  const value = memoized((point: Point) => figureOver(point.series, point.start, point.end));
  const priorYearValue = memoized((point: Point) => {
    const start = shiftMonths(point.start, -12);
    return figureOver(point.series, start, endOf(start, MONTHS_IN[point.series.input.granularity]));
  });
  const target = memoized(async (point: Point): Promise<Figure> => {
    const [row] = await sql<Figure[]>`
      select trim_scale(value)::text as text, value::text as raw from metric_targets
      where metric_id = ${point.series.metric.id} and organization_id = ${point.series.unit.id}
        and granularity = ${point.series.input.granularity}::granularity and period_start = ${point.start}::date`;
    return row ?? { text: null, raw: null };
  });

  const metricSeries = async (_: unknown, { input }: { input: SeriesInput }) => {
    const unit = await unitByCode(sql, input.orgCode);
    const metrics = await sql<Metric[]>`
      select id, code, name, unit, kind::text, aggregation::text, direction::text,
             reporting_granularity::text, derivation
      from metric_definitions where code = any(${input.metricCodes}::text[])
      order by sort_order, code`;
    const missing = input.metricCodes.filter((code) => !metrics.some((metric) => metric.code === code));
    if (missing.length > 0) throw notFound(`No metric ${missing.join(', ')}`);
    const derived = metrics.filter((metric) => metric.derivation).map((metric) => metric.code);
    if (derived.length > 0) throw new GraphQLError(`The naive server serves no derived metric (${derived.join(', ')})`);
    // The API answers in the order the codes were given.
    const order = (metric: Metric) => input.metricCodes.indexOf(metric.code);
    return [...metrics].sort((a, b) => order(a) - order(b)).map((metric): Series => ({ metric, unit, input }));
  };

  const submitMetricObservations = async (_: unknown, { input }: { input: SubmitInput }) => {
    // The API's actor is the signed-in admin; this server checks no credentials and writes as the system.
    const actor = { kind: 'SYSTEM', id: 'bench-naive' };
    const key = input.idempotencyKey.trim();
    const problem = batchProblem(input);
    if (problem) return { __typename: 'ValidationError', code: 'BAD_USER_INPUT', message: problem, fieldErrors: [] };
    const hash = payloadHash(input.observations);

    return sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${`${actor.kind}:${actor.id}:${key}`}))`;
      const [previous] = await tx<{ payload_hash: string; result: Record<string, unknown> }[]>`
        select payload_hash, result from metric_batches
        where actor_kind = ${actor.kind}::actor_kind and coalesce(actor_id, '') = ${actor.id}
          and idempotency_key = ${key}`;
      if (previous) {
        if (previous.payload_hash !== hash) {
          return {
            __typename: 'ConflictError',
            code: 'CONFLICT',
            field: 'idempotencyKey',
            message: `idempotency key ${key} was used for a different batch`,
          };
        }
        return { ...previous.result, __typename: 'SubmitMetricObservationsPayload', replayed: true };
      }
      const [batch] = await tx<{ id: number }[]>`
        insert into metric_batches (idempotency_key, actor_kind, actor_id, payload_hash, result)
        values (${key}, ${actor.kind}::actor_kind, ${actor.id}, ${hash}, '{}'::jsonb)
        returning id::int`;
      if (!batch) throw new Error('batch row was not written');

      const errors: RowError[] = [];
      const seen = new Map<string, number>();
      const today = new Date().toISOString().slice(0, 10);
      let accepted = 0;
      for (const [index, row] of input.observations.entries()) {
        const fail = (field: string, code: string, message: string) => errors.push({ index, field, code, message });
        const [metric] = await tx<Pick<Metric, 'id' | 'code' | 'reporting_granularity' | 'derivation'>[]>`
          select id, code, reporting_granularity::text, derivation from metric_definitions where code = ${row.metricCode}`;
        if (!metric) {
          fail('metricCode', 'NOT_FOUND', `no metric ${row.metricCode}`);
          continue;
        }
        const [unit] = await tx<{ id: number }[]>`select id from organizations where code = ${row.orgCode}`;
        if (!unit) {
          fail('orgCode', 'NOT_FOUND', `no unit ${row.orgCode}`);
          continue;
        }
        const figure = row.value.trim();
        const source = row.source.trim();
        if (metric.derivation) {
          fail(
            'metricCode',
            'BAD_USER_INPUT',
            `${metric.code} is computed from the platform's data (${metric.derivation})`,
          );
          continue;
        }
        if (row.granularity !== metric.reporting_granularity) {
          fail('granularity', 'BAD_USER_INPUT', `${metric.code} is reported by ${metric.reporting_granularity}`);
          continue;
        }
        if (!aligned(row.granularity, row.periodStart)) {
          fail('periodStart', 'BAD_USER_INPUT', `must be the first day of a ${row.granularity.toLowerCase()}`);
          continue;
        }
        if (row.periodStart > today) {
          fail('periodStart', 'BAD_USER_INPUT', 'the period has not started yet');
          continue;
        }
        if (!DECIMAL_PATTERN.test(figure)) {
          fail('value', 'BAD_USER_INPUT', 'must be a finite decimal such as "7430.5"');
          continue;
        }
        if (source.length === 0 || source.length > 200) {
          fail('source', 'BAD_USER_INPUT', 'must be 1 to 200 characters');
          continue;
        }
        const identity = `${metric.id}|${unit.id}|${row.periodStart}`;
        const first = seen.get(identity);
        if (first !== undefined) {
          fail('periodStart', 'BAD_USER_INPUT', `repeats row ${first} (same metric, unit and period)`);
          continue;
        }
        seen.set(identity, index);
        await tx`
          insert into metric_observations
            (metric_id, organization_id, granularity, period_start, value, revision, source, batch_id,
             submitted_by_kind, submitted_by_id)
          values (${metric.id}, ${unit.id}, ${row.granularity}::granularity, ${row.periodStart}::date,
                  ${figure}::numeric,
                  coalesce((select max(o.revision) from metric_observations o
                            where o.metric_id = ${metric.id} and o.organization_id = ${unit.id}
                              and o.granularity = ${row.granularity}::granularity
                              and o.period_start = ${row.periodStart}::date), 0) + 1,
                  ${source}, ${batch.id}, ${actor.kind}::actor_kind, ${actor.id})`;
        accepted += 1;
      }
      const result = { batchId: batch.id, accepted, rejected: errors.length, replayed: false, errors };
      await tx`update metric_batches set result = ${tx.json(result)} where id = ${batch.id}`;
      await tx`
        insert into audit_events (actor_kind, actor_id, operation, entity_type, entity_id, after)
        values (${actor.kind}::actor_kind, ${actor.id}, 'submitMetricObservations', 'MetricBatch', ${String(batch.id)},
                ${tx.json({ idempotencyKey: key, accepted, rejected: errors.length })})`;
      return { ...result, __typename: 'SubmitMetricObservationsPayload' };
    });
  };

  return {
    typeDefs: /* GraphQL */ `
      enum Granularity { MONTH QUARTER YEAR }
      input MetricSeriesInput {
        metricCodes: [String!]!
        orgCode: String!
        includeDescendants: Boolean = false
        from: Date!
        to: Date!
        granularity: Granularity!
      }
      type MetricDefinition { code: String! name: String! unit: String! }
      type Period { granularity: Granularity! start: Date! end: Date! label: String! }
      type MetricPoint {
        period: Period!
        value: Decimal
        target: Decimal
        completionRate: Decimal
        priorYearValue: Decimal
        yoyGrowth: Decimal
        yearToDate: Decimal
        revision: Int
      }
      type MetricSeries { metric: MetricDefinition! organization: Organization! points: [MetricPoint!]! }
      input MetricObservationInput {
        metricCode: String!
        orgCode: String!
        periodStart: String!
        granularity: Granularity!
        value: Decimal!
        source: String!
      }
      input SubmitMetricObservationsInput { idempotencyKey: String! observations: [MetricObservationInput!]! }
      type MetricObservationError { index: Int! field: String! code: String! message: String! }
      type SubmitMetricObservationsPayload {
        batchId: ID
        accepted: Int!
        rejected: Int!
        replayed: Boolean!
        errors: [MetricObservationError!]!
      }
      type FieldError { path: [String!]! message: String! }
      type ConflictError { code: String! field: String message: String! }
      type ValidationError { code: String! fieldErrors: [FieldError!]! message: String! }
      union SubmitMetricObservationsResult = ConflictError | SubmitMetricObservationsPayload | ValidationError
      extend type Query { metricSeries(input: MetricSeriesInput!): [MetricSeries!]! }
      type Mutation { submitMetricObservations(input: SubmitMetricObservationsInput!): SubmitMetricObservationsResult! }
    `,
    resolvers: {
      Query: { metricSeries },
      Mutation: { submitMetricObservations },
      SubmitMetricObservationsResult: {
        __resolveType: (result: { __typename: string }) => result.__typename,
      },
      MetricSeries: {
        organization: (series: Series) => series.unit,
        points: (series: Series): Point[] => {
          const { granularity, from, to } = series.input;
          const months = MONTHS_IN[granularity];
          const last = periodOf(to, granularity);
          const points: Point[] = [];
          for (let start = periodOf(from, granularity); start <= last; start = shiftMonths(start, months)) {
            points.push({ series, start, end: endOf(start, months) });
          }
          return points;
        },
      },
      MetricPoint: {
        period: (point: Point) => ({
          granularity: point.series.input.granularity,
          start: point.start,
          end: point.end,
          label: label(point.series.input.granularity, point.start),
        }),
        value: async (point: Point) => (await value(point)).text,
        target: async (point: Point) => (await target(point)).text,
        priorYearValue: async (point: Point) => (await priorYearValue(point)).text,
        yearToDate: async (point: Point) =>
          (await figureOver(point.series, `${point.start.slice(0, 4)}-01-01`, point.end)).text,
        revision: async (point: Point) => {
          if (!countable(point.series)) return null;
          const [row] = await sql<{ revision: number | null }[]>`
            select max(o.revision)::int as revision from (${currentObservations(point.series, point.start, point.end)}) o`;
          return row?.revision ?? null;
        },
        completionRate: async (point: Point) => {
          const [current, aim] = [(await value(point)).raw, (await target(point)).raw];
          const [row] = await sql<{ rate: string | null }[]>`
            select trim_scale(round(
              case
                when ${current}::numeric is null or ${aim}::numeric is null then null
                when ${point.series.metric.direction}::text = 'HIGHER_IS_BETTER'
                  then ${current}::numeric / nullif(${aim}::numeric, 0)
                when ${current}::numeric = 0 then case when ${aim}::numeric >= 0 then 1 end
                else ${aim}::numeric / ${current}::numeric
              end, 4))::text as rate`;
          return row?.rate ?? null;
        },
        yoyGrowth: async (point: Point) => {
          const [current, prior] = [(await value(point)).raw, (await priorYearValue(point)).raw];
          const [row] = await sql<{ growth: string | null }[]>`
            select trim_scale(round((${current}::numeric - ${prior}::numeric) / nullif(${prior}::numeric, 0), 4))::text
              as growth`;
          return row?.growth ?? null;
        },
      },
    },
  };
}
