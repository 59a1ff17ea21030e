import { today } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { unitScopeSql } from '../common/scope.ts';

export interface CadenceGapQuery {
  campaignCode: string;
  orgCode: string;
  includeDescendants: boolean;
  from: string;
  to: string;
  /** The day periods must have begun by; today in the zone (the clock's) by default. */
  today?: string;
}

/**
 * The supervision periods in [from, to] that lack their activity, in one statement. For each
 * cadence rule of the campaign, generate_series walks the months touching the range; a MONTH rule
 * takes each month whole, a HALF_MONTH rule splits it into the 1st–15th and the 16th–last day
 * (month arithmetic gives February 28 or 29 and 30/31 right). A period counts as held when an
 * activity of the rule's kind, organized by the unit (or a unit below it), takes place on one of its
 * days in the zone's time: a one-off's start or any occurrence of a recurring one (the stored
 * activity_occurrences). Periods overlapping the range are reported whole, and only those the
 * campaign runs in (at least one of their days between its startsOn and endsOn) that have begun
 * by today in the zone: a period still under way is listed until its activity is held, one that
 * has not begun is not a gap yet.
 */
export function cadenceGapsSql(q: CadenceGapQuery): SQL {
  // An empty code names no unit (and no periods), as a code that matches none.
  const scope = unitScopeSql(sql`o.id`, q) ?? sql`false`;
  return sql`
with rules as (
  select s.activity_kind, s.period, s.campaign_id, c.starts_on, c.ends_on
  from supervision_cadences s join campaigns c on c.id = s.campaign_id
  -- An unknown unit yields no rows (not every period as a gap), so the caller can report it.
  where c.code = ${q.campaignCode} and exists (select 1 from organizations where code = ${q.orgCode})
),
months as (
  select m::date as month_start, (m + interval '1 month' - interval '1 day')::date as month_end
  from generate_series(date_trunc('month', ${q.from}::date), date_trunc('month', ${q.to}::date), interval '1 month') m
),
periods as (
  select r.activity_kind, r.period, r.campaign_id, r.starts_on, r.ends_on,
         m.month_start as period_start, m.month_end as period_end, to_char(m.month_start, 'YYYY-MM') as label
  from rules r cross join months m where r.period = 'MONTH'
  union all
  select r.activity_kind, r.period, r.campaign_id, r.starts_on, r.ends_on, half.period_start, half.period_end,
         to_char(m.month_start, 'YYYY-MM') || half.suffix
  from rules r cross join months m
  cross join lateral (values
    (m.month_start, m.month_start + 14, '-H1'),
    (m.month_start + 15, m.month_end, '-H2')
  ) as half(period_start, period_end, suffix)
  where r.period = 'HALF_MONTH'
),
held as (
  select a.campaign_id, a.kind, occ.day
  from activity_occurrences occ
  join activities a on a.id = occ.activity_id
  join organizations o on o.id = a.organizer_organization_id
  where ${scope}
    and occ.day between date_trunc('month', ${q.from}::date)::date
                    and (date_trunc('month', ${q.to}::date) + interval '1 month' - interval '1 day')::date
)
select p.activity_kind::text as activity_kind, p.period::text as period,
       p.period_start::text as period_start, p.period_end::text as period_end, p.label
from periods p
where p.period_end >= ${q.from}::date and p.period_start <= ${q.to}::date
  and (p.starts_on is null or p.period_end >= p.starts_on)
  and (p.ends_on is null or p.period_start <= p.ends_on)
  and p.period_start <= ${q.today ?? today()}::date
  and not exists (
    select 1 from held h
    where h.campaign_id = p.campaign_id and h.kind = p.activity_kind
      and h.day between p.period_start and p.period_end
  )
order by p.period_start, p.activity_kind`;
}
