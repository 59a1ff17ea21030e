import type postgres from 'postgres';
import type { GraphQLRequestBody } from '../scenarios.ts';
import { CAMPAIGN_CODE, STUDY_YEAR } from '../sizes.ts';

type Sql = postgres.Sql;
type Variables = Record<string, unknown>;

/**
 * The hand-tuned floor: for each read scenario, the one statement a person would write for the
 * question, building the answer's JSON in the database. run.ts checks that each answers exactly
 * what the API answers (same SHA-256 of the response) on every variant, so a faster floor here is
 * a statement the API could have sent, not a different question. A subtree is the root joined to
 * its units on the path (`unitScopeSql` in the API says why).
 */
export type TunedQuery = (sql: Sql, variables: Variables) => Promise<unknown>;

const answer = async (rows: Promise<{ data: unknown }[]>) => ({ data: (await rows)[0]?.data ?? null });

const STUDY_YEAR_RANGE = (year: number) => [`${year}-01-01`, `${year + 1}-01-01`] as const;

export const tunedQueries: Record<string, TunedQuery> = {
  S0: async () => ({ data: { __typename: 'Query' } }),

  // Units of the subtree (first 60 by sort order), each with its first 20 cadres by name and each
  // cadre's note characters of the year: an index-only sum per cadre.
  S2: (sql, v) => {
    const [from, until] = STUDY_YEAR_RANGE(STUDY_YEAR);
    return answer(sql`
      with units as (
        select u.id, u.code, u.name, u.sort_order from organizations r
        join organizations u on u.path <@ r.path
        where r.code = ${v.orgCode as string}
      )
      select json_build_object('organizations', json_build_object(
        'totalCount', (select count(*) from units),
        'nodes', coalesce((
          select json_agg(json_build_object(
            'code', p.code, 'name', p.name,
            'cadres', json_build_object(
              'totalCount', (select count(*) from cadres c where c.organization_id = p.id),
              'nodes', coalesce((
                select json_agg(json_build_object(
                  'employeeNumber', c.employee_number, 'name', c.name,
                  'studyTotals', json_build_object('noteCharacters', (
                    select coalesce(sum(r.note_characters), 0) from study_records r
                    where r.cadre_id = c.id and r.studied_on >= ${from}::date and r.studied_on < ${until}::date))
                ) order by c.name, c.id)
                from (select * from cadres c where c.organization_id = p.id order by c.name, c.id limit 20) c
              ), '[]'::json))
          ) order by p.sort_order, p.id)
          from (select * from units order by sort_order, id limit 60) p
        ), '[]'::json))) as data`);
  },

  // The matching records' keys once (materialized), counted, and the page of 51 joined to its
  // cadre and unit only.
  S3: (sql, v) =>
    answer(sql`
      with matching as materialized (
        select r.id, r.studied_on from study_records r
        where r.cadre_id in (
            select c.id from organizations o
            join organizations u on u.path <@ o.path
            join cadres c on c.organization_id = u.id
            where o.code = ${v.orgCode as string})
          and r.method = ${v.method as string}::study_method
          and r.studied_on >= ${v.from as string}::date and r.studied_on <= ${v.to as string}::date
      ),
      page as (select id from matching order by studied_on desc, id desc limit 50)
      select json_build_object('studyRecords', json_build_object(
        'totalCount', (select count(*) from matching),
        'nodes', coalesce((
          select json_agg(json_build_object(
            'id', encode(convert_to('StudyRecord:' || r.id, 'UTF8'), 'base64'),
            'studiedOn', r.studied_on::text, 'method', r.method, 'hours', r.hours::text,
            'noteCharacters', r.note_characters,
            'cadre', json_build_object('employeeNumber', c.employee_number, 'name', c.name,
              'organization', json_build_object('code', u.code, 'name', u.name))
          ) order by r.studied_on desc, r.id desc)
          from page join study_records r on r.id = page.id
          join cadres c on c.id = r.cadre_id join organizations u on u.id = c.organization_id
        ), '[]'::json))) as data`),

  // One cadre by key, its unit's ancestors (root first) and its last 10 records.
  S4: (sql, v) => {
    const id = Number(
      Buffer.from(v.id as string, 'base64')
        .toString('utf8')
        .split(':')[1],
    );
    return answer(sql`
      select json_build_object('node', (
        select json_build_object(
          'employeeNumber', c.employee_number, 'name', c.name, 'position', c.position,
          'organization', json_build_object('code', u.code, 'name', u.name, 'ancestors', coalesce((
            select json_agg(json_build_object('code', a.code, 'name', a.name) order by a.path)
            from organizations a where a.path @> u.path and a.id <> u.id), '[]'::json)),
          'studyRecords', json_build_object('nodes', coalesce((
            select json_agg(json_build_object('studiedOn', r.studied_on::text, 'method', r.method,
              'hours', r.hours::text, 'noteCharacters', r.note_characters) order by r.studied_on desc, r.id desc)
            from (select * from study_records r where r.cadre_id = c.id order by r.studied_on desc, r.id desc limit 10) r
          ), '[]'::json)))
        from cadres c join organizations u on u.id = c.organization_id where c.id = ${id})) as data`);
  },

  // Compliance of the subtree's first 100 cadres: each cadre's year of records read once
  // (characters, hours and the requirement's materials studied), then the requirement's rules.
  S6: (sql, v) =>
    answer(sql`
      with req as (
        select id, note_characters_quota as quota, hours_quota, audience::text as audience,
               make_date(year, 1, 1) as first_day, make_date(year, 12, 31) as last_day
        from study_requirements where campaign_code = ${CAMPAIGN_CODE} and year = ${STUDY_YEAR}
      ),
      grp as (
        select g.id, g.kind::text as kind, g.min_materials, g.sort_order
        from study_requirement_groups g join req on g.requirement_id = req.id
      ),
      gm as (
        select gm.group_id, gm.material_id, gm.sort_order, m.code
        from study_requirement_group_materials gm join study_materials m on m.id = gm.material_id
        where gm.group_id in (select id from grp)
      ),
      scope as (
        select c.id, c.employee_number, c.name from cadres c, req
        where c.status = 'ACTIVE' and (req.audience = 'ALL_CADRES' or c.is_leader)
          and c.organization_id in (
            select o.id from organizations r
            join organizations o on o.path <@ r.path
            where r.code = ${v.orgCode as string})
      ),
      per as (
        select p.id, p.employee_number, p.name, y.characters, y.hours, y.studied
        from (select * from scope order by employee_number limit 100) p
        cross join req
        cross join lateral (
          select coalesce(sum(r.note_characters), 0)::int as characters, coalesce(sum(r.hours), 0) as hours,
                 coalesce(array_agg(distinct r.material_id) filter (where r.material_id is not null), '{}') as studied
          from study_records r
          where r.cadre_id = p.id and r.studied_on between req.first_day and req.last_day
        ) y
      ),
      judged as (
        select per.*,
               per.characters >= req.quota as quota_met,
               (req.hours_quota is null or per.hours >= req.hours_quota) as hours_met,
               coalesce((
                 select bool_and(x.done >= x.needed) from (
                   select count(gm.material_id) filter (where gm.material_id = any(per.studied)) as done,
                          coalesce(g.min_materials, count(gm.material_id)) as needed
                   from grp g left join gm on gm.group_id = g.id where g.kind = 'ALL'
                   group by g.id, g.min_materials) x), true) as all_met,
               coalesce((
                 select bool_and(x.done >= x.needed) from (
                   select count(gm.material_id) filter (where gm.material_id = any(per.studied)) as done,
                          coalesce(g.min_materials, count(gm.material_id)) as needed
                   from grp g left join gm on gm.group_id = g.id where g.kind = 'CHOICE'
                   group by g.id, g.min_materials) x), true) as choice_met
        from per cross join req
      )
      select json_build_object('studyCompliance', json_build_object(
        'totalCount', (select count(*) from scope),
        'nodes', coalesce((
          select json_agg(json_build_object(
            'cadre', json_build_object('employeeNumber', j.employee_number, 'name', j.name),
            'noteCharacters', j.characters,
            'hours', trim_scale(j.hours)::text,
            'quotaMet', j.quota_met,
            'mandatoryMaterialsCovered', j.all_met,
            'chosenMaterials', coalesce((
              select json_agg(json_build_object('code', gm.code) order by g.sort_order, g.id, gm.sort_order, gm.material_id)
              from grp g join gm on gm.group_id = g.id
              where g.kind = 'CHOICE' and gm.material_id = any(j.studied)), '[]'::json),
            'compliant', j.quota_met and j.hours_met and j.all_met and j.choice_met
          ) order by j.employee_number)
          from judged j
        ), '[]'::json))) as data`),

  // Metric series of monthly figures: the current revision of each unit's figure; each unit's
  // year to date by the metric's kind (a window over the unit's months: FLOW sums, STOCK its last,
  // RATIO its average); then per month the units rolled up by the metric's aggregation, the same
  // month a year before from the units that reported this month (all units when none did), the
  // target, and the rates from them. Metrics come in the order the caller listed them.
  S1: (sql, v) => {
    const input = v.input as { metricCodes: string[]; orgCode: string; from: string; to: string };
    return answer(
      sql`
      with m as (
        select id, code, unit, kind::text, aggregation::text, direction::text,
               array_position(${input.metricCodes}::text[], code::text) as position
        from metric_definitions where code = any(${input.metricCodes}::text[])
      ),
      root as (select id, code, name, path from organizations where code = ${input.orgCode}),
      current_figures as (
        select distinct on (ob.metric_id, ob.organization_id, ob.period_start)
               ob.metric_id, ob.organization_id, ob.period_start, ob.value, ob.revision
        from metric_observations ob
        where ob.metric_id = any(array(select id from m)) and ob.granularity = 'MONTH'
          and ob.organization_id in (select o.id from organizations o, root where o.path <@ root.path)
          and ob.period_start >= (date_trunc('year', ${input.from}::date) - interval '1 year')::date
          and ob.period_start <= ${input.to}::date
        order by ob.metric_id, ob.organization_id, ob.period_start, ob.revision desc
      ),
      unit_months as (
        select f.*, m.kind, m.aggregation,
               case m.kind
                 when 'FLOW' then sum(f.value) over ytd
                 when 'STOCK' then f.value
                 else avg(f.value) over ytd
               end as unit_ytd,
               count(*) over next_year > 0 as next_year_reported
        from current_figures f join m on m.id = f.metric_id
        window ytd as (partition by f.metric_id, f.organization_id, date_trunc('year', f.period_start)
                       order by f.period_start),
               next_year as (partition by f.metric_id, f.organization_id order by f.period_start
                             range between interval '1 year' following and interval '1 year' following)
      ),
      monthly as (
        select u.metric_id, u.period_start, max(u.revision) as revision,
               case u.aggregation
                 when 'SUM' then sum(u.value) when 'AVG' then avg(u.value)
                 when 'MAX' then max(u.value) when 'MIN' then min(u.value)
                 else max(u.value) filter (where u.organization_id = (select id from root))
               end as value,
               case u.aggregation
                 when 'SUM' then sum(u.value) filter (where u.next_year_reported)
                 when 'AVG' then avg(u.value) filter (where u.next_year_reported)
                 when 'MAX' then max(u.value) filter (where u.next_year_reported)
                 when 'MIN' then min(u.value) filter (where u.next_year_reported)
                 else max(u.value) filter (where u.next_year_reported and u.organization_id = (select id from root))
               end as value_as_prior,
               case u.aggregation
                 when 'SUM' then sum(u.unit_ytd) when 'AVG' then avg(u.unit_ytd)
                 when 'MAX' then max(u.unit_ytd) when 'MIN' then min(u.unit_ytd)
                 else max(u.unit_ytd) filter (where u.organization_id = (select id from root))
               end as year_to_date
        from unit_months u
        group by u.metric_id, u.period_start, u.aggregation
      ),
      points as (
        select m.id as metric_id, mo.start, cur.value, cur.revision, cur.year_to_date, t.value as target,
               case when cur.metric_id is null then prior.value else prior.value_as_prior end as prior,
               m.direction
        from m cross join lateral (
          select g::date as start from generate_series(${input.from}::date, ${input.to}::date, interval '1 month') g
        ) mo(start)
        left join monthly cur on cur.metric_id = m.id and cur.period_start = mo.start
        left join monthly prior on prior.metric_id = m.id
          and prior.period_start = (mo.start - interval '1 year')::date
        left join metric_targets t on t.metric_id = m.id and t.organization_id = (select id from root)
          and t.granularity = 'MONTH' and t.period_start = mo.start
      )
      select coalesce(json_agg(json_build_object(
        'metric', json_build_object('code', m.code, 'unit', m.unit),
        'organization', (select json_build_object('code', code, 'name', name) from root),
        'points', (
          select json_agg(json_build_object(
            'period', json_build_object('label', to_char(p.start, 'YYYY-MM')),
            'value', trim_scale(p.value)::text,
            'target', trim_scale(p.target)::text,
            'completionRate', trim_scale(round(case
                when p.value is null or p.target is null then null
                when p.direction = 'HIGHER_IS_BETTER' then p.value / nullif(p.target, 0)
                when p.value = 0 then case when p.target >= 0 then 1 end
                else p.target / p.value
              end, 4))::text,
            'priorYearValue', trim_scale(p.prior)::text,
            'yoyGrowth', trim_scale(round((p.value - p.prior) / nullif(abs(p.prior), 0), 4))::text,
            'yearToDate', trim_scale(p.year_to_date)::text,
            'revision', p.revision
          ) order by p.start)
          from points p where p.metric_id = m.id)
      ) order by m.position), '[]'::json) as data
      from m`.then((rows) => rows.map((row) => ({ data: { metricSeries: row.data } }))),
    );
  },
};

/** The variables of a scenario's GraphQL body, which the hand-tuned floor receives unchanged. */
export const variablesOf = (body: GraphQLRequestBody): Variables => body.variables ?? {};
