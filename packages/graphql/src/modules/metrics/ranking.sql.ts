import type { Granularity } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { MONTHS_IN } from './series.sql.ts';

export interface RankingQuery {
  metricCode: string;
  /** The units ranked are the children of this one, each with its whole subtree rolled up. */
  parentOrgCode: string;
  granularity: Granularity;
  periodStart: string;
  asOf: string | null;
}

/**
 * Ranks the units directly below a parent on one metric for one period, in one statement: each
 * unit's value is its subtree rolled up (across units by aggregation, then over time by kind, as
 * in the series), and `rank()` orders them by the metric's direction, so ties share a rank and
 * the next rank skips. Units without a figure come last, unranked.
 */
export function metricRankingSql(q: RankingQuery): SQL {
  const months = MONTHS_IN[q.granularity];
  return sql`
with params as (
  select ${q.periodStart}::date as period_start,
         (${q.periodStart}::date + make_interval(months => ${months}) - interval '1 day')::date as period_end,
         coalesce(${q.asOf}::timestamptz, clock_timestamp()) as as_of
),
-- A figure reported quarterly is not split into months: ranking by a finer granularity finds none.
metric as (
  select m.*,
         array_position(array['MONTH','QUARTER','YEAR'], m.reporting_granularity::text)
           <= array_position(array['MONTH','QUARTER','YEAR'], ${q.granularity}::text) as comparable
  from metric_definitions m
  where m.code = ${q.metricCode}
),
ranked_units as (
  select c.id, c.code, c.name, c.path, c.sort_order
  from organizations c join organizations p on c.parent_id = p.id
  where p.code = ${q.parentOrgCode}
),
current_observations as (
  select distinct on (ob.organization_id, ob.period_start)
         ob.organization_id, ob.period_start, ob.value
  from metric_observations ob
  join metric m on m.id = ob.metric_id and ob.granularity = m.reporting_granularity and m.comparable
  cross join params
  where ob.recorded_at <= params.as_of
    and ob.period_start between params.period_start and params.period_end
  order by ob.organization_id, ob.period_start, ob.revision desc
),
per_unit_period as (
  select u.id as unit_id, o.period_start,
         case m.aggregation
           when 'SUM' then sum(o.value)
           when 'AVG' then avg(o.value)
           when 'MAX' then max(o.value)
           when 'MIN' then min(o.value)
           else max(o.value) filter (where o.organization_id = u.id)
         end as value
  from ranked_units u
  cross join metric m
  join organizations sub on sub.path <@ u.path
  join current_observations o on o.organization_id = sub.id
  group by u.id, o.period_start, m.aggregation
),
per_unit as (
  select u.id as unit_id,
         case m.kind
           when 'FLOW' then sum(p.value)
           when 'STOCK' then (array_agg(p.value order by p.period_start desc) filter (where p.value is not null))[1]
           else avg(p.value)
         end as value
  from ranked_units u
  cross join metric m
  left join per_unit_period p on p.unit_id = u.id
  group by u.id, m.kind
),
entries as (
  select u.id, u.code, u.name, u.sort_order, pu.value,
         case when pu.value is null then null
              when m.direction = 'HIGHER_IS_BETTER' then rank() over (partition by pu.value is null order by pu.value desc)
              else rank() over (partition by pu.value is null order by pu.value asc)
         end as rank
  from ranked_units u
  cross join metric m
  join per_unit pu on pu.unit_id = u.id
)
select json_build_object(
    'id', m.id, 'code', m.code, 'name', m.name, 'unit', m.unit, 'kind', m.kind,
    'aggregation', m.aggregation, 'direction', m.direction, 'category', m.category,
    'description', m.description, 'reportingGranularity', m.reporting_granularity,
    'ownerOrganizationId', m.owner_organization_id, 'sortOrder', m.sort_order, 'derivation', m.derivation,
    'createdAt', m.created_at, 'updatedAt', m.updated_at
  ) as metric,
  coalesce((
    select json_agg(json_build_object(
      'rank', e.rank, 'value', trim_scale(e.value)::text,
      'organization', json_build_object('id', e.id, 'code', e.code, 'name', e.name)
    ) order by e.value is null, e.rank, e.sort_order, e.id)
    from entries e
  ), '[]'::json) as entries
from metric m`;
}
