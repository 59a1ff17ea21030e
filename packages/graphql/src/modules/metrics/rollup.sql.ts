import { type Granularity, granularities } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { derivedObservationsSql } from './derivations.ts';

export const MONTHS_IN: Record<Granularity, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

/** How many metrics one metricSeries call may ask for (each adds to one statement's work). */
export const METRICS_PER_SERIES = 50;

/**
 * Whether a figure reported by `reporting` can be read by `requested`: a figure is summed into
 * coarser periods, never split into finer ones (a quarterly figure has no monthly value).
 */
export const answerableBy = (reporting: Granularity, requested: Granularity) =>
  granularities.indexOf(reporting) <= granularities.indexOf(requested);

/** The granularities, finest first, and their lengths in months, as SQL arrays. */
const GRAIN_NAMES = sql.raw(`array[${granularities.map((grain) => `'${grain}'`).join(', ')}]`);
const GRAIN_MONTHS = sql.raw(`array[${granularities.map((grain) => MONTHS_IN[grain]).join(', ')}]`);
/** The points a figure feeds, as small integers (sorting on them is cheap). */
const VALUE = sql.raw('0');
const PRIOR = sql.raw('1');
const YEAR_TO_DATE = sql.raw('2');

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
  /** First period's start, last period's start and last period's end (dates), bounding the rows read. */
  firstPeriod: string;
  lastPeriod: string;
  lastPeriodEnd: string;
  /** Read the figures as they stood at this instant; null for now. */
  asOf: string | null;
  /** Derivations to compute (by name); `all` when the catalogue has not been read yet. */
  derivations: readonly string[] | 'all';
}

/**
 * The rollup as CTEs ending in `points`: one row per requested metric, group and period with
 * metric_id, group_id, period_start, period_end, value, prior_value, year_to_date, target,
 * revision, source, periods_reported, periods_expected. Callers add their own final `select` (a
 * series or a ranking) after it.
 *
 * Every observation row is tagged once with the points it feeds (its own period, and the period a
 * year later as a prior-year figure); a GROUP BY per unit gives each unit's values, a window over
 * each unit's points of the year its year to date (standing for every point until the unit's next
 * one), and a GROUP BY per group the answer. No step joins two intermediate sets on a range:
 * PostgreSQL cannot estimate CTE sizes, and a nested loop over two of them was quadratic.
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
  const monthIndex = (day: string) => `(date_part('year', ${day}) * 12 + date_part('month', ${day}))::int`;
  // How a unit's rows add up over time, by kind; `filter` narrows the rows (the like-for-like ones).
  // Each aggregate sees only the rows of its own kind, so a row costs one aggregate, not three.
  // STOCK's last figure is the greatest [day, value] pair: an ordered aggregate would sort every
  // unit's rows apart (one sort per group, the slowest part of this step).
  const overTime = (filter: string) => `coalesce(
      sum(c.value) filter (where c.kind = 'FLOW' and ${filter}),
      (max(array[(c.period_start - date '2000-01-01')::numeric, c.value]) filter (where c.kind = 'STOCK' and ${filter} and c.value is not null))[2],
      avg(c.value) filter (where c.kind = 'RATIO' and ${filter}))`;
  // How units add up across the subtree, by aggregation (NONE: only the root's row is left).
  const acrossUnits = (column: string, filter: string) => `coalesce(
      sum(u.${column}) filter (where m.aggregation = 'SUM' and ${filter}),
      avg(u.${column}) filter (where m.aggregation = 'AVG' and ${filter}),
      max(u.${column}) filter (where m.aggregation in ('MAX', 'NONE') and ${filter}),
      min(u.${column}) filter (where m.aggregation = 'MIN' and ${filter}))`;
  return sql`
params as (
  select ${q.granularity}::text as grain, ${months}::int as months, ${granularities.indexOf(q.granularity) + 1}::int as grain_rank,
         coalesce(${q.asOf}::timestamptz, clock_timestamp()) as as_of,
         ${q.firstPeriod}::date as first_period, ${q.lastPeriod}::date as last_period, ${q.lastPeriodEnd}::date as last_end
),
requested as (
  select m.*, array_position(${sql.param([...q.metricCodes])}::text[], m.code::text) as position
  from metric_definitions m
  where m.code = any(${sql.param([...q.metricCodes])}::text[])
),
-- The requested metrics and the numerators and denominators of the ratios among them.
metrics as (
  select m.id, m.kind, m.aggregation, m.reported_as, m.derivation, m.reporting_granularity,
         array_position(${GRAIN_NAMES}, m.reporting_granularity::text) as reporting_rank,
         (${GRAIN_MONTHS})[array_position(${GRAIN_NAMES}, m.reporting_granularity::text)] as reporting_months
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
observed as (
  (select distinct on (ob.metric_id, mb.group_id, ob.organization_id, ob.period_start)
          ob.metric_id, mb.group_id, ob.organization_id, mb.path, ob.period_start, ob.value, ob.revision, ob.source
   from members mb
   join metric_observations ob on ob.organization_id = mb.organization_id
   join metrics m on m.id = ob.metric_id and ob.granularity = m.reporting_granularity and m.derivation is null
   cross join params
   where ob.recorded_at <= params.as_of
     and ob.period_start between (params.first_period - interval '1 year')::date and params.last_end
   order by ob.metric_id, mb.group_id, ob.organization_id, ob.period_start, ob.revision desc)
  ${
    derived
      ? sql`union all
  select d.metric_id, mb.group_id, d.organization_id, mb.path, d.period_start, d.value, d.revision, d.source
  from (${derived}) d join members mb on mb.organization_id = d.organization_id`
      : sql``
  }
),
marked as (
  select o.metric_id, o.group_id, o.organization_id, o.period_start, o.value, o.revision, o.source,
         m.kind, m.reporting_months, date_trunc(params.grain, o.period_start)::date as own_point,
         -- Like with like: whether the unit reported the same period a year later.
         -- (On the month's index, an integer: a date range offset costs an interval sum per comparison.)
         count(*) over (partition by o.metric_id, o.group_id, o.organization_id
                        order by ${sql.raw(monthIndex('o.period_start'))}
                        range between 12 following and 12 following) > 0 as next_year_reported
  from observed o
  join metrics m on m.id = o.metric_id
  cross join params
  where m.reporting_rank <= params.grain_rank
),
contributions as (
  select k.metric_id, k.kind, k.group_id, k.organization_id, ${VALUE} as part, k.own_point as point_start,
         k.period_start, k.value, k.revision, k.source, true as matched,
         1 << ((${sql.raw(monthIndex('k.period_start'))} - ${sql.raw(monthIndex('k.own_point'))}) / k.reporting_months) as mask
  from marked k cross join params
  -- From the year's first period: the year to date of the first period asked for needs them.
  where k.own_point between date_trunc('year', params.first_period)::date and params.last_period
  union all
  select k.metric_id, k.kind, k.group_id, k.organization_id, ${PRIOR},
         date_trunc(params.grain, k.period_start + interval '1 year')::date,
         k.period_start, k.value, k.revision, null, k.next_year_reported, 0
  from marked k cross join params
  where (k.period_start + interval '1 year')::date between params.first_period and params.last_end
  union all
  -- Every point asked for, with or without a figure.
  select rq.id, rq.kind, g.group_id, null, ${VALUE}, p.period_start, null, null, null, null, false, 0
  from requested rq cross join groups g cross join periods p
),
unit_values as (
  select c.metric_id, c.group_id, c.organization_id, c.part, c.point_start,
         ${sql.raw(overTime('true'))} as value_all,
         ${sql.raw(overTime('c.part = 1 and c.matched'))} as value_matched,
         sum(c.value) filter (where c.kind = 'RATIO') as ratio_sum,
         count(c.value) filter (where c.kind = 'RATIO') as ratio_count,
         bool_or(c.matched) as any_matched,
         bool_or(c.organization_id is not null) as reported,
         max(c.revision) as revision,
         -- Unsorted: each text is made unique once per point, below.
         array_agg(c.source) filter (where c.source is not null) as sources,
         bit_or(c.mask) as mask
  from contributions c
  -- Integers only in the key: sorting by an ltree, an enum or text made this the slowest step.
  group by c.metric_id, c.group_id, c.organization_id, c.part, c.point_start
),
-- Year to date, per unit: its values of the year's points so far by the metric's kind (FLOW sums
-- them, STOCK keeps the last, RATIO averages the figures), each standing for every point asked for
-- until the unit's next one, so a unit that skipped a period still counts with what it reported.
year_to_date as (
  select y.metric_id, y.group_id, y.organization_id, ${YEAR_TO_DATE} as part, p.period_start as point_start,
         y.value_all, null::numeric as value_matched, false as any_matched, true as reported,
         null::int as revision, null::text[] as sources, 0 as mask
  from (
    select u.metric_id, u.group_id, u.organization_id, u.point_start,
           case m.kind
             when 'FLOW' then sum(u.value_all) over w
             when 'STOCK' then u.value_all
             else sum(u.ratio_sum) over w / nullif(sum(u.ratio_count) over w, 0)
           end as value_all,
           coalesce(lead(u.point_start) over w, (date_trunc('year', u.point_start) + interval '1 year')::date) as until
    from unit_values u join metrics m on m.id = u.metric_id
    where u.part = ${VALUE} and u.organization_id is not null and u.value_all is not null
    window w as (partition by u.metric_id, u.group_id, u.organization_id, date_part('year', u.point_start)
                 order by u.point_start)
  ) y
  join periods p on p.period_start >= y.point_start and p.period_start < y.until
),
unit_points as (
  select u.metric_id, u.group_id, u.organization_id, u.part, u.point_start, u.value_all, u.value_matched,
         u.any_matched, u.reported, u.revision, u.sources, u.mask
  from unit_values u cross join params
  where u.point_start >= params.first_period
  union all
  select * from year_to_date
),
-- The units that count in their group: all of them, but for NONE only the group's root, and for
-- TOTAL only those with no reporting unit above them inside the group.
counted as (
  select u.* from unit_points u
  join metrics m on m.id = u.metric_id
  join groups g on g.group_id = u.group_id
  where case
    when u.organization_id is null then true
    when m.aggregation = 'NONE' then u.organization_id = g.root_id
    when m.reported_as = 'TOTAL' then not exists (
      select 1 from unit_points above
      join members unit on unit.group_id = u.group_id and unit.organization_id = u.organization_id
      join members up on up.group_id = above.group_id and up.organization_id = above.organization_id
      where above.metric_id = u.metric_id and above.group_id = u.group_id and above.part = u.part
        and above.point_start = u.point_start and above.organization_id <> u.organization_id
        and up.path @> unit.path)
    else true
  end
),
group_values as (
  select u.metric_id, u.group_id, u.part, u.point_start,
         ${sql.raw(acrossUnits('value_all', 'true'))} as value_all,
         ${sql.raw(acrossUnits('value_matched', 'u.part = 1 and u.any_matched'))} as value_matched,
         bool_or(u.reported) as reported,
         max(u.revision) as revision,
         bit_or(u.mask) as mask
  from counted u
  join metrics m on m.id = u.metric_id
  group by u.metric_id, u.group_id, u.part, u.point_start, m.aggregation
),
-- A point's sources: each text once, from the figures of the units counted in it.
point_sources as materialized (
  select u.metric_id, u.group_id, u.point_start, string_agg(distinct s.source, '; ') as source
  from counted u cross join lateral unnest(u.sources) s(source)
  where u.part = ${VALUE}
  group by u.metric_id, u.group_id, u.point_start
),
point_values as (
  select gv.metric_id, gv.group_id, gv.point_start,
         max(gv.value_all) filter (where gv.part = ${VALUE}) as value,
         case when bool_or(gv.reported) filter (where gv.part = ${VALUE})
              then max(gv.value_matched) filter (where gv.part = ${PRIOR})
              else max(gv.value_all) filter (where gv.part = ${PRIOR})
         end as prior_value,
         max(gv.value_all) filter (where gv.part = ${YEAR_TO_DATE}) as year_to_date,
         max(gv.revision) filter (where gv.part = ${VALUE}) as revision,
         ps.source,
         coalesce(max(gv.mask) filter (where gv.part = ${VALUE}), 0) as mask
  from group_values gv
  left join point_sources ps
    on ps.metric_id = gv.metric_id and ps.group_id = gv.group_id and ps.point_start = gv.point_start
  group by gv.metric_id, gv.group_id, gv.point_start, ps.source
),
final_points as (
  select pv.* from point_values pv join requested rq on rq.id = pv.metric_id
  where rq.numerator_metric_id is null
  union all
  select rq.id, s.group_id, s.point_start,
         n.value / nullif(d.value, 0) * rq.ratio_multiplier,
         n.prior_value / nullif(d.prior_value, 0) * rq.ratio_multiplier,
         n.year_to_date / nullif(d.year_to_date, 0) * rq.ratio_multiplier,
         greatest(n.revision, d.revision),
         nullif(concat_ws('; ', n.source, d.source), ''),
         coalesce(n.mask & d.mask, 0)
  from requested rq
  join point_values s on s.metric_id = rq.id
  left join point_values n
    on n.metric_id = rq.numerator_metric_id and n.group_id = s.group_id and n.point_start = s.point_start
  left join point_values d
    on d.metric_id = rq.denominator_metric_id and d.group_id = s.group_id and d.point_start = s.point_start
  where rq.numerator_metric_id is not null
),
points as (
  select fp.metric_id, fp.group_id, fp.point_start as period_start,
         (fp.point_start + make_interval(months => params.months) - interval '1 day')::date as period_end,
         fp.value, fp.prior_value, fp.year_to_date, tg.value as target, fp.revision, fp.source,
         length(replace(fp.mask::bit(32)::text, '0', '')) as periods_reported,
         case when m.reporting_rank <= params.grain_rank then params.months / m.reporting_months else 0 end as periods_expected
  from final_points fp
  join metrics m on m.id = fp.metric_id
  join groups g on g.group_id = fp.group_id
  cross join params
  left join lateral (
    select t.value from metric_targets t
    where t.metric_id = fp.metric_id and t.organization_id = g.root_id and t.granularity::text = params.grain
      and t.period_start = fp.point_start and t.recorded_at <= params.as_of
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
    'derivation', ${alias}.derivation, 'reportedAs', ${alias}.reported_as, 'headline', ${alias}.headline,
    'numeratorMetricCode', (select n.code from metric_definitions n where n.id = ${alias}.numerator_metric_id),
    'denominatorMetricCode', (select d.code from metric_definitions d where d.id = ${alias}.denominator_metric_id),
    'ratioMultiplier', trim_scale(${alias}.ratio_multiplier)::text,
    'createdAt', ${alias}.created_at, 'updatedAt', ${alias}.updated_at
  )`);
