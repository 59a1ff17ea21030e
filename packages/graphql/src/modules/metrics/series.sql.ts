import type { Granularity } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { definitionJson, MONTHS_IN, type RollupSteps, rollupCtes } from './rollup.sql.ts';

export { MONTHS_IN };

export interface SeriesQuery {
  metricCodes: readonly string[];
  orgCode: string;
  includeDescendants: boolean;
  from: string;
  to: string;
  granularity: Granularity;
  /** Read the figures as they stood at this instant; null for now. */
  asOf: string | null;
  /** Units whose figures the caller may read (an ltree path), or null for all. */
  readableSubtree: string | null;
  /** The rollup's steps for the requested metrics (rollupStepsFor). */
  steps: RollupSteps;
}

/** The first day of the period of `granularity` holding `day` (YYYY-MM-DD). */
export function periodStartOf(granularity: Granularity, day: string): string {
  const months = MONTHS_IN[granularity];
  const month = Math.floor((Number(day.slice(5, 7)) - 1) / months) * months + 1;
  return `${day.slice(0, 4)}-${String(month).padStart(2, '0')}-01`;
}

/** The last day of the period of `granularity` starting on `start`. */
export function periodEndOf(granularity: Granularity, start: string): string {
  const date = new Date(`${start}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + MONTHS_IN[granularity]);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

/**
 * One statement for a whole series request: every metric and every period through the rollup
 * engine (rollup.sql.ts), for the one unit asked for (with its subtree when includeDescendants).
 * Values stay `numeric` throughout and leave the database as text.
 *
 * Returns one row per metric, in the order the caller listed the codes:
 * `{ metric: <definition>, points: [...] }` as JSON.
 */
export function metricSeriesSql(q: SeriesQuery): SQL {
  const firstPeriod = periodStartOf(q.granularity, q.from);
  const lastPeriod = periodStartOf(q.granularity, q.to);
  const lastPeriodEnd = periodEndOf(q.granularity, lastPeriod);
  const months = MONTHS_IN[q.granularity];
  const ctes = rollupCtes({
    metricCodes: q.metricCodes,
    granularity: q.granularity,
    groups: sql`
      select o.id as group_id, o.id as root_id, o.path as root_path, ${q.includeDescendants}::boolean as include_descendants
      from organizations o
      where o.code = ${q.orgCode}
        and (${q.readableSubtree}::ltree is null or o.path <@ ${q.readableSubtree}::ltree)`,
    periods: sql`
      select p::date as period_start, (p + make_interval(months => ${months}) - interval '1 day')::date as period_end
      from generate_series(${firstPeriod}::timestamp, ${lastPeriod}::timestamp, make_interval(months => ${months})) p`,
    firstPeriod,
    lastPeriod,
    lastPeriodEnd,
    asOf: q.asOf,
    steps: q.steps,
  });
  return sql`
with ${ctes}
select rq.position, rq.code, ${definitionJson('rq')} as metric,
  coalesce((
    select json_agg(json_build_object(
      'periodStart', pt.period_start,
      'periodEnd', pt.period_end,
      'value', trim_scale(pt.value)::text,
      'target', trim_scale(pt.target)::text,
      'completionRate', trim_scale(round(
        case
          when pt.value is null or pt.target is null then null
          when rq.direction = 'HIGHER_IS_BETTER' then pt.value / nullif(pt.target, 0)
          when pt.value = 0 then case when pt.target >= 0 then 1 end
          else pt.target / pt.value
        end, 4))::text,
      'priorYearValue', trim_scale(pt.prior_value)::text,
      'yoyGrowth', trim_scale(round((pt.value - pt.prior_value) / nullif(abs(pt.prior_value), 0), 4))::text,
      'yearToDate', trim_scale(pt.year_to_date)::text,
      'revision', pt.revision,
      'source', pt.source,
      'periodsReported', pt.periods_reported,
      'periodsExpected', pt.periods_expected
    ) order by pt.period_start)
    from points pt where pt.metric_id = rq.id
  ), '[]'::json) as points
from requested rq
where exists (select 1 from groups)
order by rq.position`;
}
