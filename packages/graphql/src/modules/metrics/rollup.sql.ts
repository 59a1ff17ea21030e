import type { Granularity } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { derivedObservationsSql } from './derivations.ts';

export const MONTHS_IN: Record<Granularity, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };
const GRAIN_RANK: Record<Granularity, number> = { MONTH: 1, QUARTER: 2, YEAR: 3 };

/**
 * The one question every figure of the platform answers: the value of metric M for a unit (alone,
 * or with its subtree) over a period, as of an instant. Series, rankings and derived figures all
 * ask it here; README's "Rollup rules" table states the rules and metrics.rollup.test.ts proves them.
 *
 * 1. Figures: per (metric, unit, reporting period) the highest revision recorded by `asOf`, in the
 *    metric's own reporting granularity only (a quarterly figure is never split into months), plus
 *    the derived figures of the requested derived metrics.
 * 2. Across time, per unit: FLOW sums the unit's reporting periods inside the period, STOCK takes
 *    the unit's last reported one, RATIO averages them.
 * 3. Across the subtree, per period: the units' values by the metric's aggregation (SUM, AVG, MAX,
 *    MIN; NONE takes the group's root unit alone). With `reportedAs: TOTAL` a unit's figure already
 *    holds its subtree, so only units with no reporting unit above them (inside the group) count.
 * 4. A RATIO naming a numerator and a denominator is recomputed from those two figures, each rolled
 *    up by steps 1–3, as numerator ÷ denominator × ratioMultiplier (null when the denominator is 0).
 * 5. Like with like: the prior-year value counts, per unit, only the reporting periods a year
 *    before those the current value counts (all of them when the period has no figure yet), so an
 *    unfinished quarter is compared with the same months a year earlier.
 * 6. Year to date: steps 2–4 over the year's first day to the period's last.
 * 7. Targets are revisioned too: the target of the group's root for the period as it stood at `asOf`.
 */
export interface RollupQuery {
  metricCodes: readonly string[];
  /** Granularity of the periods asked for. */
  granularity: Granularity;
  /**
   * The groups whose figures are wanted: `select group_id, root_id, root_path, include_descendants`.
   * A series has one group (its unit); a ranking one per ranked unit.
   */
  groups: SQL;
  /** The periods asked for: `select period_start, period_end`, each aligned to `granularity`. */
  periods: SQL;
  /** First period's start and last period's end (dates), bounding the rows read. */
  firstPeriod: string;
  lastPeriodEnd: string;
  /** Read the figures as they stood at this instant; null for now. */
  asOf: string | null;
  /** Derivations to compute (by name); `all` when the catalogue has not been read yet. */
  derivations: readonly string[] | 'all';
}

/**
 * The rollup as CTEs ending in `points`: one row per requested metric, group and period with
 * value, prior_value, year_to_date, target, revision, source, periods_reported, periods_expected.
 * Callers add their own final `select` (a series or a ranking) after it.
 */
export function rollupCtes(q: RollupQuery): SQL {
  const months = MONTHS_IN[q.granularity];
  const derived = derivedObservationsSql({
    from: sql`(${q.firstPeriod}::date - interval '1 year')::date`,
    to: sql`${q.lastPeriodEnd}::date`,
    units: sql`(select mb.organization_id from members mb)`,
    rootId: sql`(select g.root_id from groups g order by g.group_id limit 1)`,
    names: q.derivations,
  });
  return sql`
params as (
  select ${q.granularity}::text as grain, ${months}::int as months, ${GRAIN_RANK[q.granularity]}::int as grain_rank,
         coalesce(${q.asOf}::timestamptz, clock_timestamp()) as as_of
),
requested as (
  select m.*, array_position(${sql.param([...q.metricCodes])}::text[], m.code::text) as position
  from metric_definitions m
  where m.code = any(${sql.param([...q.metricCodes])}::text[])
),
-- The requested metrics and the numerators and denominators of the ratios among them.
metrics as (
  select m.id, m.kind, m.aggregation, m.reported_as, m.derivation, m.reporting_granularity,
         array_position(array['MONTH','QUARTER','YEAR'], m.reporting_granularity::text) as reporting_rank
  from metric_definitions m
  where m.id in (select id from requested
                 union select numerator_metric_id from requested
                 union select denominator_metric_id from requested)
),
groups as (${q.groups}),
members as (
  select g.group_id, o.id as organization_id, o.path
  from groups g join organizations o on o.path <@ g.root_path
  where g.include_descendants
  union all
  select g.group_id, o.id, o.path
  from groups g join organizations o on o.id = g.root_id
  where not g.include_descendants
),
periods as (${q.periods}),
windows as (
  select p.period_start, 'value' as part, p.period_start as from_day, p.period_end as to_day from periods p
  union all
  select p.period_start, 'prior', (p.period_start - interval '1 year')::date,
         (p.period_start - interval '1 year' + make_interval(months => ${months}) - interval '1 day')::date
  from periods p
  union all
  select p.period_start, 'ytd', date_trunc('year', p.period_start)::date, p.period_end from periods p
),
observed as (
  (select distinct on (ob.metric_id, ob.organization_id, ob.period_start)
          ob.metric_id, ob.organization_id, ob.period_start, ob.value, ob.revision, ob.source
   from metric_observations ob
   join metrics m on m.id = ob.metric_id and ob.granularity = m.reporting_granularity and m.derivation is null
   cross join params
   where ob.organization_id in (select mb.organization_id from members mb)
     and ob.recorded_at <= params.as_of
     and ob.period_start between (${q.firstPeriod}::date - interval '1 year')::date and ${q.lastPeriodEnd}::date
   order by ob.metric_id, ob.organization_id, ob.period_start, ob.revision desc)
  ${derived ? sql`union all select d.* from (${derived}) d` : sql``}
),
window_rows as (
  select w.period_start, w.part, mb.group_id, mb.path, o.metric_id, o.organization_id,
         o.period_start as reported_start, o.value, o.revision, o.source
  from windows w
  join observed o on o.period_start between w.from_day and w.to_day
  join members mb on mb.organization_id = o.organization_id
  join metrics m on m.id = o.metric_id
  cross join params
  where m.reporting_rank <= params.grain_rank
),
-- Like with like: a prior-year row counts when the same unit has the same reporting period a year
-- later in the current value, or when the current value has no row at all.
comparable_rows as (
  select r.* from window_rows r
  where r.part <> 'prior'
     or not exists (select 1 from window_rows c
                    where c.part = 'value' and c.metric_id = r.metric_id and c.group_id = r.group_id
                      and c.period_start = r.period_start)
     or exists (select 1 from window_rows c
                where c.part = 'value' and c.metric_id = r.metric_id and c.group_id = r.group_id
                  and c.period_start = r.period_start and c.organization_id = r.organization_id
                  and c.reported_start = (r.reported_start + interval '1 year')::date)
),
unit_values as (
  select r.metric_id, r.group_id, r.period_start, r.part, r.organization_id, r.path,
         case m.kind
           when 'FLOW' then sum(r.value)
           when 'STOCK' then (array_agg(r.value order by r.reported_start desc))[1]
           else avg(r.value)
         end as value
  from comparable_rows r join metrics m on m.id = r.metric_id
  group by r.metric_id, r.group_id, r.period_start, r.part, r.organization_id, r.path, m.kind
),
counted_units as (
  select u.* from unit_values u
  join metrics m on m.id = u.metric_id
  join groups g on g.group_id = u.group_id
  where case
    when m.aggregation = 'NONE' then u.organization_id = g.root_id
    when m.reported_as = 'TOTAL' then not exists (
      select 1 from unit_values above
      where above.metric_id = u.metric_id and above.group_id = u.group_id and above.period_start = u.period_start
        and above.part = u.part and above.path @> u.path and above.organization_id <> u.organization_id)
    else true
  end
),
group_values as (
  select c.metric_id, c.group_id, c.period_start, c.part,
         case m.aggregation
           when 'SUM' then sum(c.value)
           when 'AVG' then avg(c.value)
           when 'MAX' then max(c.value)
           when 'MIN' then min(c.value)
           else max(c.value)
         end as value
  from counted_units c join metrics m on m.id = c.metric_id
  group by c.metric_id, c.group_id, c.period_start, c.part, m.aggregation
),
group_details as (
  select r.metric_id, r.group_id, r.period_start, max(r.revision) as revision,
         string_agg(distinct r.source, '; ') as source, count(distinct r.reported_start)::int as periods_reported
  from comparable_rows r
  join counted_units c
    on c.metric_id = r.metric_id and c.group_id = r.group_id and c.period_start = r.period_start
   and c.part = r.part and c.organization_id = r.organization_id
  where r.part = 'value'
  group by r.metric_id, r.group_id, r.period_start
),
final_values as (
  select rq.id as metric_id, v.group_id, v.period_start, v.part, v.value
  from requested rq join group_values v on v.metric_id = rq.id
  where rq.numerator_metric_id is null
  union all
  select rq.id, n.group_id, n.period_start, n.part, n.value / nullif(d.value, 0) * rq.ratio_multiplier
  from requested rq
  join group_values n on n.metric_id = rq.numerator_metric_id
  join group_values d
    on d.metric_id = rq.denominator_metric_id and d.group_id = n.group_id
   and d.period_start = n.period_start and d.part = n.part
),
final_details as (
  select rq.id as metric_id, d.group_id, d.period_start, max(d.revision) as revision,
         string_agg(distinct d.source, '; ') as source, min(d.periods_reported) as periods_reported
  from requested rq
  join group_details d on d.metric_id in (rq.id, rq.numerator_metric_id, rq.denominator_metric_id)
  where (rq.numerator_metric_id is null) = (d.metric_id = rq.id)
  group by rq.id, d.group_id, d.period_start
),
points as (
  select rq.id as metric_id, g.group_id, p.period_start, p.period_end,
         cur.value, prior.value as prior_value, ytd.value as year_to_date, tg.value as target,
         det.revision, det.source, coalesce(det.periods_reported, 0) as periods_reported,
         case when rq_rank.reporting_rank <= params.grain_rank
              then (params.months / ${sql.raw('(array[1,3,12])')}[rq_rank.reporting_rank])::int else 0 end as periods_expected
  from requested rq
  join metrics rq_rank on rq_rank.id = rq.id
  cross join groups g
  cross join periods p
  cross join params
  left join final_values cur
    on cur.metric_id = rq.id and cur.group_id = g.group_id and cur.period_start = p.period_start and cur.part = 'value'
  left join final_values prior
    on prior.metric_id = rq.id and prior.group_id = g.group_id and prior.period_start = p.period_start and prior.part = 'prior'
  left join final_values ytd
    on ytd.metric_id = rq.id and ytd.group_id = g.group_id and ytd.period_start = p.period_start and ytd.part = 'ytd'
  left join final_details det
    on det.metric_id = rq.id and det.group_id = g.group_id and det.period_start = p.period_start
  left join lateral (
    select t.value from metric_targets t
    where t.metric_id = rq.id and t.organization_id = g.root_id and t.granularity::text = params.grain
      and t.period_start = p.period_start and t.recorded_at <= params.as_of
    order by t.revision desc limit 1
  ) tg on true
)`;
}

/** The fields of a definition row as JSON, for the final selects of series and rankings. */
export const definitionJson = (alias: string) =>
  sql.raw(`json_build_object(
    'id', ${alias}.id, 'code', ${alias}.code, 'name', ${alias}.name, 'unit', ${alias}.unit, 'kind', ${alias}.kind,
    'aggregation', ${alias}.aggregation, 'direction', ${alias}.direction, 'category', ${alias}.category,
    'description', ${alias}.description, 'reportingGranularity', ${alias}.reporting_granularity,
    'ownerOrganizationId', ${alias}.owner_organization_id, 'sortOrder', ${alias}.sort_order,
    'derivation', ${alias}.derivation, 'reportedAs', ${alias}.reported_as,
    'numeratorMetricCode', (select n.code from metric_definitions n where n.id = ${alias}.numerator_metric_id),
    'denominatorMetricCode', (select d.code from metric_definitions d where d.id = ${alias}.denominator_metric_id),
    'ratioMultiplier', trim_scale(${alias}.ratio_multiplier)::text,
    'createdAt', ${alias}.created_at, 'updatedAt', ${alias}.updated_at
  )`);
