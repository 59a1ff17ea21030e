import type { Granularity } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { definitionJson, type RollupSteps, rollupCtes } from './rollup.sql.ts';
import { periodEndOf } from './series.sql.ts';

export interface RankingQuery {
  metricCode: string;
  /** The units ranked are the children of this one, each with its whole subtree rolled up. */
  parentOrgCode: string;
  granularity: Granularity;
  periodStart: string;
  asOf: string | null;
  /** Units whose figures the caller may read (an ltree path), or null for all. */
  readableSubtree: string | null;
  /** The rollup's steps for the requested metrics (rollupStepsFor). */
  steps: RollupSteps;
}

/**
 * Ranks the units directly below a parent on one metric for one period, in one statement: each
 * unit's value is its subtree through the rollup engine (rollup.sql.ts), and `rank()` orders them
 * by the metric's direction, so ties share a rank and the next rank skips. Units without a figure
 * come last, unranked. A parent outside the caller's readable subtree ranks nothing
 * (`parentFound` false), so no sibling's name or figure leaves the database.
 */
export function metricRankingSql(q: RankingQuery): SQL {
  const readable = sql`(${q.readableSubtree}::ltree is null or p.path <@ ${q.readableSubtree}::ltree)`;
  const ctes = rollupCtes({
    metricCodes: [q.metricCode],
    granularity: q.granularity,
    groups: sql`
      select c.id as group_id, c.id as root_id, c.path as root_path, true as include_descendants
      from organizations c join organizations p on c.parent_id = p.id
      where p.code = ${q.parentOrgCode} and ${readable}`,
    periods: sql`select ${q.periodStart}::date as period_start, ${periodEndOf(q.granularity, q.periodStart)}::date as period_end`,
    firstPeriod: q.periodStart,
    lastPeriod: q.periodStart,
    lastPeriodEnd: periodEndOf(q.granularity, q.periodStart),
    asOf: q.asOf,
    steps: q.steps,
  });
  return sql`
with ${ctes},
entries as (
  select o.id, o.code, o.name, o.sort_order, pt.value, pt.periods_reported, pt.periods_expected,
         case when pt.value is null then null
              when rq.direction = 'HIGHER_IS_BETTER' then rank() over (partition by pt.value is null order by pt.value desc)
              else rank() over (partition by pt.value is null order by pt.value asc)
         end as rank
  from points pt
  join requested rq on rq.id = pt.metric_id
  join organizations o on o.id = pt.group_id
)
select ${definitionJson('rq')} as metric,
  exists (select 1 from organizations p where p.code = ${q.parentOrgCode} and ${readable}) as "parentFound",
  coalesce((
    select json_agg(json_build_object(
      'rank', e.rank, 'value', trim_scale(e.value)::text,
      'periodsReported', e.periods_reported, 'periodsExpected', e.periods_expected,
      'organization', json_build_object('id', e.id, 'code', e.code, 'name', e.name)
    ) order by e.value is null, e.rank, e.sort_order, e.id)
    from entries e
  ), '[]'::json) as entries
from requested rq`;
}
