import type { Granularity } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { derivedObservationsSql } from './derivations.ts';

export const MONTHS_IN: Record<Granularity, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

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
}

/**
 * One statement for a whole series request: every metric, every period, rolled up
 * - across units of the subtree by each definition's aggregation (per reporting period), then
 * - over time to the requested granularity by kind: FLOW sums, STOCK takes the last reported
 *   period, RATIO averages;
 * with the prior year's value, year-to-date, target, completion rate and YoY growth beside it.
 * Only observations in the definition's reporting granularity count, so a quarterly figure is
 * never split into months. Values stay `numeric` throughout and leave the database as text.
 *
 * Returns one row per metric: `{ metric: <definition row>, points: [...] }` as JSON.
 */
export function metricSeriesSql(q: SeriesQuery): SQL {
  const months = MONTHS_IN[q.granularity];
  const grain = q.granularity.toLowerCase();
  // Derived figures cover the same window as stored ones: from the year before `from` to `to`.
  const derived = derivedObservationsSql({
    from: sql`(date_trunc('year', date_trunc(${grain}, ${q.from}::timestamp) - interval '1 year'))::date`,
    to: sql`(date_trunc(${grain}, ${q.to}::timestamp) + make_interval(months => ${months}) - interval '1 day')::date`,
  });
  return sql`
with params as (
  select ${grain}::text as grain, ${months}::int as months,
         date_trunc(${grain}, ${q.from}::timestamp)::date as first_period,
         date_trunc(${grain}, ${q.to}::timestamp)::date as last_period,
         coalesce(${q.asOf}::timestamptz, clock_timestamp()) as as_of
),
root as (
  select o.id, o.path from organizations o
  where o.code = ${q.orgCode}
    and (${q.readableSubtree}::ltree is null or o.path <@ ${q.readableSubtree}::ltree)
),
units as (
  select o.id from organizations o, root
  where case when ${q.includeDescendants} then o.path <@ root.path else o.id = root.id end
),
metrics as (
  select m.*, array_position(${sql.raw(`array['MONTH','QUARTER','YEAR']`)}, m.reporting_granularity::text) as reporting_rank
  from metric_definitions m
  where m.code = any(${sql.param([...q.metricCodes])}::text[])
),
periods as (
  select p::date as period_start,
         (p + make_interval(months => params.months) - interval '1 day')::date as period_end
  from params, generate_series(params.first_period - interval '1 year', params.last_period::timestamp,
                               make_interval(months => params.months)) p
),
current_observations as (
  (select distinct on (ob.metric_id, ob.organization_id, ob.period_start)
         ob.metric_id, ob.organization_id, ob.period_start, ob.value, ob.revision, ob.source
  from metric_observations ob
  join metrics m on m.id = ob.metric_id and ob.granularity = m.reporting_granularity and m.derivation is null
  join units u on u.id = ob.organization_id
  cross join params
  where ob.recorded_at <= params.as_of
    and ob.period_start >= date_trunc('year', params.first_period - interval '1 year')::date
    and ob.period_start <= (params.last_period + make_interval(months => params.months))::date
  order by ob.metric_id, ob.organization_id, ob.period_start, ob.revision desc)
  ${derived ? sql`union all select d.* from (${derived}) d join units u on u.id = d.organization_id` : sql``}
),
across_units as (
  select o.metric_id, o.period_start,
         case m.aggregation
           when 'SUM' then sum(o.value)
           when 'AVG' then avg(o.value)
           when 'MAX' then max(o.value)
           when 'MIN' then min(o.value)
           else max(o.value) filter (where o.organization_id = (select id from root))
         end as value,
         max(o.revision) as revision,
         string_agg(distinct o.source, '; ') as source
  from current_observations o join metrics m on m.id = o.metric_id
  group by o.metric_id, o.period_start, m.aggregation
),
over_time as (
  select m.id as metric_id, p.period_start, p.period_end,
         case m.kind
           when 'FLOW' then sum(a.value)
           when 'STOCK' then (array_agg(a.value order by a.period_start desc) filter (where a.value is not null))[1]
           else avg(a.value)
         end as value,
         max(a.revision) as revision,
         string_agg(distinct a.source, '; ') as source
  from metrics m
  cross join periods p
  cross join params
  left join across_units a
    on a.metric_id = m.id and a.period_start between p.period_start and p.period_end
    and m.reporting_rank <= array_position(${sql.raw(`array['MONTH','QUARTER','YEAR']`)}, upper(params.grain))
  group by m.id, m.kind, p.period_start, p.period_end
),
year_to_date as (
  select m.id as metric_id, p.period_start,
         case m.kind
           when 'FLOW' then sum(a.value)
           when 'STOCK' then (array_agg(a.value order by a.period_start desc) filter (where a.value is not null))[1]
           else avg(a.value)
         end as value
  from metrics m
  cross join periods p
  cross join params
  left join across_units a
    on a.metric_id = m.id
    and a.period_start between date_trunc('year', p.period_start)::date and p.period_end
    and m.reporting_rank <= array_position(${sql.raw(`array['MONTH','QUARTER','YEAR']`)}, upper(params.grain))
  group by m.id, m.kind, p.period_start
),
points as (
  select cur.metric_id, cur.period_start, cur.period_end, cur.value, cur.revision, cur.source,
         prior.value as prior_value, ytd.value as year_to_date, tg.value as target
  from over_time cur
  cross join params
  left join over_time prior
    on prior.metric_id = cur.metric_id and prior.period_start = (cur.period_start - interval '1 year')::date
  left join year_to_date ytd on ytd.metric_id = cur.metric_id and ytd.period_start = cur.period_start
  left join metric_targets tg
    on tg.metric_id = cur.metric_id and tg.organization_id = (select id from root)
    and tg.granularity::text = upper(params.grain) and tg.period_start = cur.period_start
  where cur.period_start >= params.first_period
)
select m.sort_order, m.code,
  json_build_object(
    'id', m.id, 'code', m.code, 'name', m.name, 'unit', m.unit, 'kind', m.kind,
    'aggregation', m.aggregation, 'direction', m.direction, 'category', m.category,
    'description', m.description, 'reportingGranularity', m.reporting_granularity,
    'ownerOrganizationId', m.owner_organization_id, 'sortOrder', m.sort_order, 'derivation', m.derivation,
    'createdAt', m.created_at, 'updatedAt', m.updated_at
  ) as metric,
  coalesce((
    select json_agg(json_build_object(
      'periodStart', pt.period_start,
      'periodEnd', pt.period_end,
      'value', trim_scale(pt.value)::text,
      'target', trim_scale(pt.target)::text,
      'completionRate', trim_scale(round(
        case
          when pt.value is null or pt.target is null then null
          when m.direction = 'HIGHER_IS_BETTER' then pt.value / nullif(pt.target, 0)
          when pt.value = 0 then case when pt.target >= 0 then 1 end
          else pt.target / pt.value
        end, 4))::text,
      'priorYearValue', trim_scale(pt.prior_value)::text,
      'yoyGrowth', trim_scale(round((pt.value - pt.prior_value) / nullif(pt.prior_value, 0), 4))::text,
      'yearToDate', trim_scale(pt.year_to_date)::text,
      'revision', pt.revision,
      'source', pt.source
    ) order by pt.period_start)
    from points pt where pt.metric_id = m.id
  ), '[]'::json) as points
from metrics m
where exists (select 1 from root)
order by m.sort_order, m.code`;
}
