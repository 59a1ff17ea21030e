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

/**
 * The steps a rollup statement carries beyond the figures it always reads, from what is known of
 * the metrics it reads. A metric's derivation, reporting rule and ratio parts are fixed when it is
 * created (no mutation changes them), so what a statement's answer taught a process stays true;
 * while a metric is not known yet, every step is carried (ALL_ROLLUP_STEPS).
 */
export interface RollupSteps {
  /** Derivations to compute (by name); `all` when a metric is not known yet. */
  derivations: readonly string[] | 'all';
  /**
   * Whether a metric read may be reported as TOTAL (a ratio's numerator and denominator may be):
   * the window per group and point that counts only a subtree's topmost reporting units. Left out,
   * every unit counts (NONE still only the group's root), as for reportedAs OWN.
   */
  totalRule: boolean;
}

export const ALL_ROLLUP_STEPS: RollupSteps = { derivations: 'all', totalRule: true };

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
  /** The steps the statement carries (ALL_ROLLUP_STEPS while its metrics are not known yet). */
  steps: RollupSteps;
}

/**
 * The rollup as CTEs ending in `points`: one row per requested metric, group and period with
 * metric_id, group_id, period_start, period_end, value, prior_value, year_to_date, target,
 * revision, source, periods_reported, periods_expected. Callers add their own final `select` (a
 * series or a ranking) after it.
 *
 * One pass per level, each a pipelined step (a CTE read once is inlined, not materialised):
 * the figures (with a window: whether the unit reported the same period a year later), the units'
 * points (one figure each when asked by month, the finest granularity; else a GROUP BY), a window
 * over each unit's points of the year for its year to date (standing for every point asked for
 * until the unit's next one), a window per group and point for the `reportedAs: TOTAL` rule, and
 * one GROUP BY per group and point. The prior year needs no rows of its own: the prior value of
 * point P is the group's value of P − 1 year (like with like: its figures whose unit reported a
 * year later), so a point and its year-earlier point are two rows of the same small set.
 * No step joins two large intermediate sets on a range: PostgreSQL cannot estimate CTE sizes, and
 * a nested loop over two of them was quadratic.
 */
export function rollupCtes(q: RollupQuery): SQL {
  const months = MONTHS_IN[q.granularity];
  // By the finest granularity each unit's point is one figure (observations are aligned and one
  // revision per period is read; a derivation yields one row per unit and month), so the step that
  // adds a unit's figures up over a point is left out.
  const oneFigurePerPoint = granularities.indexOf(q.granularity) === 0;
  // The observations read: from a year before the first period (its year-earlier point) to the
  // end of the last. Written as the statement's own parameters, not taken from `params`, so
  // PostgreSQL prunes metric_observations' year partitions when it plans the statement.
  const readFrom = sql`(${q.firstPeriod}::date - interval '1 year')::date`;
  const readTo = sql`${q.lastPeriodEnd}::date`;
  const derived = derivedObservationsSql({
    from: readFrom,
    to: readTo,
    units: sql`(select mb.organization_id from members mb)`,
    rootId: sql`(select g.root_id from groups g order by g.group_id limit 1)`,
    names: q.steps.derivations,
  });
  const monthIndex = (day: string) => `(date_part('year', ${day}) * 12 + date_part('month', ${day}))::int`;
  // How a unit's figures add up over a point, by kind; `filter` narrows them (the like-for-like ones).
  // Each aggregate sees only the rows of its own kind, so a row costs one aggregate, not three.
  // STOCK's last figure is the greatest [day, value] pair: an ordered aggregate would sort every
  // unit's rows apart (one sort per group, the slowest part of this step).
  const overTime = (filter: string) => `coalesce(
      sum(f.value) filter (where f.kind = 'FLOW' and ${filter}),
      (max(array[(f.period_start - date '2000-01-01')::numeric, f.value]) filter (where f.kind = 'STOCK' and ${filter} and f.value is not null))[2],
      avg(f.value) filter (where f.kind = 'RATIO' and ${filter}))`;
  // How units add up across the subtree, by aggregation (NONE: only the root's row counts).
  const acrossUnits = (column: string, filter: string) => `coalesce(
      sum(c.${column}) filter (where c.aggregation = 'SUM' and ${filter}),
      avg(c.${column}) filter (where c.aggregation = 'AVG' and ${filter}),
      max(c.${column}) filter (where c.aggregation in ('MAX', 'NONE') and ${filter}),
      min(c.${column}) filter (where c.aggregation = 'MIN' and ${filter}))`;
  // A unit's point: its figures over time (value_all), those whose unit reported the same period a
  // year later (value_matched, for the prior year of the point a year on), the parts of RATIO's
  // average for the year to date, and which reporting periods of the point have a figure (mask).
  const unitPoints = oneFigurePerPoint
    ? // One figure: FLOW's sum and STOCK's last are the value; RATIO's average is value ÷ 1, as avg()
      // computes it (its scale is the quotient's, which later averages and divisions keep).
      sql.raw(`
  select f.metric_id, f.group_id, f.root_id, f.organization_id, f.path, f.point,
         case when f.kind = 'RATIO' then f.value / 1::numeric else f.value end as value_all,
         case when f.next_year_reported then case when f.kind = 'RATIO' then f.value / 1::numeric else f.value end end as value_matched,
         f.next_year_reported as any_matched,
         case when f.kind = 'RATIO' then f.value end as ratio_sum,
         case when f.kind = 'RATIO' and f.value is not null then 1::bigint else 0::bigint end as ratio_count,
         f.revision, f.source as sources, 1 as mask
  from figures f`)
    : sql.raw(`
  -- Root and path are the unit's own, the same in every row of the group.
  select f.metric_id, f.group_id, min(f.root_id) as root_id, f.organization_id, (array_agg(f.path))[1] as path, f.point,
         ${overTime('true')} as value_all,
         ${overTime('f.next_year_reported')} as value_matched,
         bool_or(f.next_year_reported) as any_matched,
         sum(f.value) filter (where f.kind = 'RATIO') as ratio_sum,
         count(f.value) filter (where f.kind = 'RATIO') as ratio_count,
         max(f.revision) as revision,
         -- Unsorted: each text is made unique once per point, below.
         array_agg(f.source) filter (where f.source is not null) as sources,
         bit_or(1 << ((${monthIndex('f.period_start')} - ${monthIndex('f.point')}) / f.reporting_months)) as mask
  from figures f
  -- Integers only in the key: sorting by an ltree, an enum or text made this the slowest step.
  group by f.metric_id, f.group_id, f.organization_id, f.point`);
  // A point's sources, each text once (sorted), from the figures of the units counted in it: one
  // text per unit's point by month, else each unit's list (as JSON, so lists of any length add up).
  const countedOwn = 'c.own and c.counts_own';
  const pointSources = oneFigurePerPoint
    ? `string_agg(distinct c.sources, '; ') filter (where ${countedOwn})`
    : `(select string_agg(distinct s.source, '; ')
        from json_array_elements(json_agg(c.sources) filter (where ${countedOwn} and c.sources is not null)) l(list)
        cross join lateral json_array_elements_text(l.list) s(source))`;
  // Whether a unit counts in its group at a point: NONE only the group's root; TOTAL only a unit
  // with no unit above it (inside the group) that has a row of the same kind at the same point:
  // none of those units' paths is an ancestor of (or equal to) the unit's parent.
  const counts = (paths: string | null) => `case
      when c.aggregation = 'NONE' then c.organization_id = c.root_id
      ${paths ? `when c.reported_as = 'TOTAL' then not coalesce(c.${paths} @> subpath(c.path, 0, nlevel(c.path) - 1), false)` : ''}
      else true
    end`;
  // Without a TOTAL metric the window is left out: its sort of every unit's row was a tenth of S1.
  const counted = q.steps.totalRule
    ? sql.raw(`
  select c.*, ${counts('own_paths')} as counts_own, ${counts('ytd_paths')} as counts_ytd
  from (
    select r.*,
           array_agg(r.path) filter (where r.own and r.reported_as = 'TOTAL') over p as own_paths,
           array_agg(r.path) filter (where r.year_to_date is not null and r.reported_as = 'TOTAL') over p as ytd_paths
    from unit_rows r
    window p as (partition by r.metric_id, r.group_id, r.point_start)
  ) c`)
    : sql.raw(`
  select c.*, ${counts(null)} as counts_own, ${counts(null)} as counts_ytd
  from unit_rows c`);
  return sql`
params as (
  select ${q.granularity}::text as grain, ${months}::int as months, ${granularities.indexOf(q.granularity) + 1}::int as grain_rank,
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
         array_position(${GRAIN_NAMES}, m.reporting_granularity::text) as reporting_rank,
         (${GRAIN_MONTHS})[array_position(${GRAIN_NAMES}, m.reporting_granularity::text)] as reporting_months
  from metric_definitions m
  where m.id in (select id from requested
                 union select numerator_metric_id from requested
                 union select denominator_metric_id from requested)
),
groups as (${q.groups}),
members as (
  select g.group_id, g.root_id, o.id as organization_id, o.path
  from groups g join organizations o on o.path <@ g.root_path
  where g.include_descendants
  union all
  select g.group_id, g.root_id, o.id, o.path
  from groups g join organizations o on o.id = g.root_id
  where not g.include_descendants
),
periods as (${q.periods}),
observed as (
  (select distinct on (ob.metric_id, mb.group_id, ob.organization_id, ob.period_start)
          ob.metric_id, mb.group_id, mb.root_id, ob.organization_id, mb.path, ob.period_start, ob.value, ob.revision, ob.source
   from members mb
   join metric_observations ob on ob.organization_id = mb.organization_id
   join metrics m on m.id = ob.metric_id and ob.granularity = m.reporting_granularity and m.derivation is null
   cross join params
   where ob.recorded_at <= params.as_of
     and ob.period_start between ${readFrom} and ${readTo}
   order by ob.metric_id, mb.group_id, ob.organization_id, ob.period_start, ob.revision desc)
  ${
    derived
      ? sql`union all
  select d.metric_id, mb.group_id, mb.root_id, d.organization_id, mb.path, d.period_start, d.value, d.revision, d.source
  from (${derived}) d join members mb on mb.organization_id = d.organization_id`
      : sql``
  }
),
figures as (
  select o.metric_id, o.group_id, o.root_id, o.organization_id, o.period_start, o.value, o.revision, o.source,
         -- The unit's place in the tree matters to the TOTAL rule only; other rows sort lighter without it.
         case when m.reported_as = 'TOTAL' then o.path end as path, m.kind, m.reporting_months, date_trunc(params.grain, o.period_start)::date as point,
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
unit_points as (${unitPoints}),
-- Year to date, per unit: its points of the year so far by the metric's kind (FLOW sums them,
-- STOCK keeps the last, RATIO averages the figures), null until the unit's first figure of the year.
unit_years as (
  select u.metric_id, u.group_id, u.root_id, u.organization_id, u.path, u.point, u.value_all, u.value_matched, u.any_matched,
         u.revision, u.sources, u.mask, m.aggregation, m.reported_as,
         -- Each window aggregate sees only its kind's rows: a filtered-out row costs no argument.
         case m.kind
           when 'FLOW' then sum(u.value_all) filter (where m.kind = 'FLOW') over w
           when 'STOCK' then (max(array[(u.point - date '2000-01-01')::numeric, u.value_all])
                                filter (where m.kind = 'STOCK' and u.value_all is not null) over w)[2]
           else sum(u.ratio_sum) filter (where m.kind = 'RATIO') over w
                / nullif(sum(u.ratio_count) filter (where m.kind = 'RATIO') over w, 0)
         end as year_to_date,
         coalesce(lead(u.point) over w, (date_trunc('year', u.point) + interval '1 year')::date) as until
  from unit_points u join metrics m on m.id = u.metric_id
  window w as (partition by u.metric_id, u.group_id, u.organization_id, date_part('year', u.point) order by u.point)
),
-- A unit's point, and its year to date again at each later point asked for until its next one, so
-- a unit that skipped a period still counts with what it reported earlier in the year.
unit_rows as (
  select r.*, r.point_start = r.point as own
  from (
    select y.*, generate_series(y.point::timestamp, (y.until - 1)::timestamp, make_interval(months => ${months}))::date as point_start
    from unit_years y
  ) r
  where r.point_start = r.point or r.year_to_date is not null
),
-- The units of each group with a point (or a year to date) at a point, for the TOTAL rule.
counted as (${counted}),
group_points as (
  select c.metric_id, c.group_id, c.point_start,
         ${sql.raw(acrossUnits('value_all', countedOwn))} as value,
         ${sql.raw(acrossUnits('value_matched', `${countedOwn} and c.any_matched`))} as value_matched,
         bool_or(${sql.raw(countedOwn)}) as reported,
         max(c.revision) filter (where ${sql.raw(countedOwn)}) as revision,
         ${sql.raw(pointSources)} as source,
         bit_or(c.mask) filter (where ${sql.raw(countedOwn)}) as mask,
         ${sql.raw(acrossUnits('year_to_date', 'c.year_to_date is not null and c.counts_ytd'))} as year_to_date
  from counted c
  group by c.metric_id, c.group_id, c.point_start
),
-- Every point asked for, with or without a figure; the prior value is the group's point a year
-- earlier: its like-for-like figures when this point has one, all of them when it has none.
point_values as (
  select m.id as metric_id, g.group_id, p.period_start as point_start, cur.value,
         case when cur.reported then prior.value_matched else prior.value end as prior_value,
         cur.year_to_date, cur.revision, cur.source, coalesce(cur.mask, 0) as mask
  from metrics m cross join groups g cross join periods p
  left join group_points cur
    on cur.metric_id = m.id and cur.group_id = g.group_id and cur.point_start = p.period_start
  left join group_points prior
    on prior.metric_id = m.id and prior.group_id = g.group_id
   and prior.point_start = (p.period_start - interval '1 year')::date
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
