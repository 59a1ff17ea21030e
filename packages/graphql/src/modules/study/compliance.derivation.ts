import { campaigns, codePattern, today } from '@sixtype/db';
import { eq, type SQL, sql } from 'drizzle-orm';
import { registerDerivation } from '../metrics/derivations.ts';

/**
 * The study compliance rate published through `metricSeries`: for a month, the percentage of the
 * cadres under the campaign's requirement (in the series' unit, and every unit below it with `includeDescendants`) who had
 * met the whole year's requirement by the month's last day. The figure climbs through the year and
 * December's equals the year's rate of `studyComplianceRanking` (as a percentage, 2 places).
 *
 * Each cadre is evaluated once per year, for the first day all of the requirement was met: the day
 * the running sum of note characters reached the quota, the same for hours, each ALL group's last
 * material first studied, each CHOICE group's `min_materials`-th; the months then count cadres
 * whose day is on or before their end. Months after the current one (today in the installation's
 * time zone, the clock's) have no figure yet. Cadres are counted as they are now (status, unit), like every derived figure.
 */
registerDerivation('STUDY_COMPLIANCE_RATE', {
  description:
    'Percentage of cadres under the campaign’s study requirement who had met the whole year’s requirement by the month’s end.',
  argument: {
    description: 'campaign code',
    pattern: codePattern,
    check: async (db, value) => {
      const [campaign] = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.code, value));
      return campaign ? null : `campaign ${value} does not exist`;
    },
  },
  requires: { kind: 'STOCK', aggregation: 'NONE' },
  perRoot: true,
  monthly: ({ from, to, argument, rootId, units }) => {
    const yearStart = sql`make_date(r.year, 1, 1)`;
    const inYear = sql`s.cadre_id = c.id and s.studied_on between make_date(r.year, 1, 1) and make_date(r.year, 12, 31)`;
    const runningSumReaches = (column: string, quota: SQL) => sql`(
      select min(w.studied_on) from (
        select s.studied_on, sum(s.${sql.raw(column)}) over (order by s.studied_on, s.id) as reached
        from study_records s where ${inYear}
      ) w where w.reached >= ${quota})`;
    const charactersOn = sql`case when r.note_characters_quota <= 0 then ${yearStart}
      else ${runningSumReaches('note_characters', sql`r.note_characters_quota`)} end`;
    const hoursOn = sql`case when coalesce(r.hours_quota, 0) <= 0 then ${yearStart}
      else ${runningSumReaches('hours', sql`r.hours_quota`)} end`;
    const groupsOn = sql`(
      select case when count(*) = 0 then ${yearStart}
                  when bool_and(g.met_on is not null) then greatest(max(g.met_on), ${yearStart}) end
      from (
        select grp.id,
               case when grp.kind = 'ALL'
                    then case when bool_and(f.first_on is not null) then max(f.first_on) end
                    else (array_agg(f.first_on order by f.first_on) filter (where f.first_on is not null))[grp.min_materials]
               end as met_on
        from study_requirement_groups grp
        join study_requirement_group_materials gm on gm.group_id = grp.id
        cross join lateral (
          select min(s.studied_on) as first_on from study_records s where ${inYear} and s.material_id = gm.material_id
        ) f
        where grp.requirement_id = r.id
        group by grp.id, grp.kind, grp.min_materials
      ) g)`;
    return sql`
      select x.organization_id, make_date(x.year, mo.month, 1) as period_start,
             round(100.0 * count(*) filter (
               where x.met_on <= (make_date(x.year, mo.month, 1) + interval '1 month' - interval '1 day')::date
             ) / count(*), 2) as value
      from (
        select ${rootId} as organization_id, r.id as requirement_id, r.year,
               (select case when bool_and(part.day is not null) then max(part.day) end
                from (values (${charactersOn}), (${hoursOn}), (${groupsOn})) part(day)) as met_on
        from study_requirements r
        join cadres c
          on c.status = 'ACTIVE' and (r.audience = 'ALL_CADRES' or c.is_leader)
         and c.organization_id in ${units}
        where r.campaign_code = ${argument}
          and r.year between extract(year from ${from})::int and extract(year from ${to})::int
        -- A fence: each cadre's day is computed once, not once per month after the join below.
        offset 0
      ) x
      cross join generate_series(1, 12) mo(month)
      where make_date(x.year, mo.month, 1) between date_trunc('month', ${from})::date and ${to}
        and make_date(x.year, mo.month, 1) <= date_trunc('month', ${today()}::date)::date
      group by x.organization_id, x.requirement_id, x.year, mo.month`;
  },
});
