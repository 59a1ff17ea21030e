import type { StudyMaterialKind } from '@sixtype/db';
import { type SQL, sql } from 'drizzle-orm';
import { unitScopeSql } from '../common/scope.ts';

export interface ComplianceQuery {
  campaignCode: string;
  year: number;
  /**
   * Count records studied up to this day (and pro-rate the quota to it); null for the whole year.
   * A day after the year counts as its last day.
   */
  asOfDate: string | null;
}

/** One cadre's compliance, as the SQL below returns it (camelCase column names). */
export interface ComplianceRow {
  cadreId: number;
  organizationId: number;
  noteCharacters: number;
  /** Decimal as text. */
  hours: string;
  noteCharactersQuota: number;
  hoursQuota: string | null;
  quotaMet: boolean;
  hoursQuotaMet: boolean;
  mandatoryMaterialsCovered: boolean;
  choiceGroupsMet: boolean;
  chosenMaterials: { id: number; code: string; title: string; kind: StudyMaterialKind; sortOrder: number }[];
  compliant: boolean;
  /** The quota pro-rated to the as-of day (ceil of quota × elapsed days / days in the year). */
  expectedCharacters: number;
  charactersBehind: number;
  expectedHours: string | null;
  hoursBehind: string | null;
}

/**
 * Per-cadre compliance with a campaign's study requirement for one year, as one SELECT. The
 * cadres considered are the ACTIVE ones the requirement applies to (all cadres, or leaders only)
 * that also satisfy `cadreCondition`, a predicate on the cadres row aliased `c`.
 *
 * - characters and hours: sums of the records studied between 1 January and the as-of day; the
 *   characters are the database-computed `note_characters` (code points of the note);
 * - a group of kind ALL is satisfied when every one of its materials has a record, a CHOICE group
 *   when at least `min_materials` of them have;
 * - compliant = characters ≥ quota, hours ≥ hours quota (when there is one), every ALL group and
 *   every CHOICE group satisfied.
 *
 * Each cadre's figures are one lateral subquery on the (cadre_id, studied_on, …, material_id)
 * index rather than joins of aggregated CTEs: PostgreSQL cannot estimate the size of a CTE
 * aggregate and chose nested loops over them that grew with the square of the cadres (14 s for
 * 1,000 on PGlite). The one index-only pass per cadre gathers its totals and the materials it
 * covered; the groups are then checked against that array, not by a probe per material (the
 * zone's ranking at L: 1.7 s with a probe per material, 0.45 s so).
 *
 * No requirement for the campaign and year: no rows.
 */
export function complianceRowsSql(q: ComplianceQuery, cadreCondition: SQL): SQL {
  return sql`
with req as (
  select r.id, r.note_characters_quota as quota, r.hours_quota, r.audience,
         make_date(r.year, 1, 1) as year_start,
         make_date(r.year, 12, 31) as year_end,
         greatest(least(coalesce(${q.asOfDate}::date, make_date(r.year, 12, 31)), make_date(r.year, 12, 31)),
                  make_date(r.year, 1, 1) - 1) as as_of
  from study_requirements r
  where r.campaign_code = ${q.campaignCode} and r.year = ${q.year}::int
),
group_materials as (
  select g.id as group_id, g.kind, g.min_materials, g.sort_order as group_order, gm.sort_order as material_order,
         m.id as material_id,
         json_build_object('id', m.id, 'code', m.code, 'title', m.title, 'kind', m.kind, 'sortOrder', m.sort_order) as material
  from req
  join study_requirement_groups g on g.requirement_id = req.id
  join study_requirement_group_materials gm on gm.group_id = g.id
  join study_materials m on m.id = gm.material_id
),
per_cadre as (
  select c.id as cadre_id, c.organization_id, tot.note_characters, tot.hours,
         req.quota, req.hours_quota,
         tot.note_characters >= req.quota as quota_met,
         (req.hours_quota is null or tot.hours >= req.hours_quota) as hours_quota_met,
         mat.mandatory_covered, mat.choices_met, mat.chosen_materials,
         (req.as_of - req.year_start + 1)::numeric / (req.year_end - req.year_start + 1) as elapsed
  from cadres c
  cross join req
  cross join lateral (
    select coalesce(sum(s.note_characters), 0)::int as note_characters, coalesce(sum(s.hours), 0) as hours,
           array_agg(distinct s.material_id) filter (where s.material_id is not null) as materials
    from study_records s
    where s.cadre_id = c.id and s.studied_on between req.year_start and req.as_of
  ) tot
  cross join lateral (
    select coalesce(bool_and(g.satisfied) filter (where g.kind = 'ALL'), true) as mandatory_covered,
           coalesce(bool_and(g.satisfied) filter (where g.kind = 'CHOICE'), true) as choices_met,
           coalesce((select json_agg(gm.material order by gm.group_order, gm.material_order)
                     from group_materials gm
                     where gm.kind = 'CHOICE' and gm.material_id = any(tot.materials)),
                    '[]'::json) as chosen_materials
    from (
      select gm.group_id, gm.kind,
             count(*) filter (where gm.material_id = any(tot.materials)) >= coalesce(gm.min_materials, count(*)) as satisfied
      from group_materials gm
      group by gm.group_id, gm.kind, gm.min_materials
    ) g
  ) mat
  where c.status = 'ACTIVE' and (req.audience = 'ALL_CADRES' or c.is_leader) and (${cadreCondition})
)
select p.cadre_id as "cadreId",
       p.organization_id as "organizationId",
       p.note_characters as "noteCharacters",
       trim_scale(p.hours)::text as "hours",
       p.quota as "noteCharactersQuota",
       trim_scale(p.hours_quota)::text as "hoursQuota",
       p.quota_met as "quotaMet",
       p.hours_quota_met as "hoursQuotaMet",
       p.mandatory_covered as "mandatoryMaterialsCovered",
       p.choices_met as "choiceGroupsMet",
       p.chosen_materials as "chosenMaterials",
       (p.quota_met and p.hours_quota_met and p.mandatory_covered and p.choices_met) as "compliant",
       ceil(p.quota * p.elapsed)::int as "expectedCharacters",
       greatest(ceil(p.quota * p.elapsed)::int - p.note_characters, 0) as "charactersBehind",
       trim_scale(round(p.hours_quota * p.elapsed, 1))::text as "expectedHours",
       trim_scale(greatest(round(p.hours_quota * p.elapsed, 1) - p.hours, 0))::text as "hoursBehind"
from per_cadre p`;
}

/** Cadres of the unit `orgCode` (with `includeDescendants`, of its whole subtree), as a predicate on `c`. */
export function cadreInUnitSql(orgCode: string, includeDescendants: boolean): SQL {
  return unitScopeSql(sql`c.organization_id`, { orgCode, includeDescendants }) as SQL;
}

export interface OrganizationComplianceQuery extends ComplianceQuery {
  /** The units reported: every unit (`null`), or this one and the units directly below it. */
  parentOrgCode: string | null;
}

/** One unit's figures: its whole subtree rolled up. */
export interface OrganizationComplianceRow {
  organizationId: number;
  orgCode: string;
  orgName: string;
  /** Whether this row is the parent itself rather than a unit below it. */
  isParent: boolean;
  cadres: number;
  compliant: number;
  /** compliant / cadres as a decimal string rounded to 4 places; null for a unit without cadres. */
  complianceRate: string | null;
  /** Among the units below the parent, by rate (ties share a rank); null for the parent and units without cadres. */
  rank: number | null;
}

/**
 * Compliant cadres per unit, each unit's subtree rolled up, with a rank of the units below the
 * parent by compliance rate (`rank()`, so ties share a place and the next place is skipped):
 * one statement over the per-cadre rows above.
 */
export function organizationComplianceSql(q: OrganizationComplianceQuery): SQL {
  const units =
    q.parentOrgCode === null
      ? sql`select o.id, o.code, o.name, o.path, o.sort_order, false as is_parent from organizations o`
      : sql`select o.id, o.code, o.name, o.path, o.sort_order, o.code = ${q.parentOrgCode} as is_parent
            from organizations o
            where o.code = ${q.parentOrgCode}
               or o.parent_id = (select parent.id from organizations parent where parent.code = ${q.parentOrgCode})`;
  const cadreCondition = q.parentOrgCode === null ? sql`true` : cadreInUnitSql(q.parentOrgCode, true);
  return sql`
with units as (${units}),
cadre_rows as (${complianceRowsSql(q, cadreCondition)}),
per_unit as (
  select u.id, u.code, u.name, u.sort_order, u.is_parent,
         count(cr."cadreId")::int as cadres,
         (count(cr."cadreId") filter (where cr."compliant"))::int as compliant
  from units u
  join organizations sub on sub.path <@ u.path
  left join cadre_rows cr on cr."organizationId" = sub.id
  group by u.id, u.code, u.name, u.sort_order, u.is_parent
),
rated as (
  select pu.*, case when pu.cadres = 0 then null else round(pu.compliant::numeric / pu.cadres, 4) end as rate
  from per_unit pu
)
select r.id as "organizationId", r.code as "orgCode", r.name as "orgName", r.is_parent as "isParent",
       r.cadres, r.compliant, r.rate::text as "complianceRate",
       case when r.rate is null or r.is_parent then null
            else rank() over (partition by r.rate is null or r.is_parent order by r.rate desc) end::int as rank
from rated r
order by r.is_parent desc, r.rate desc nulls last, r.sort_order, r.id`;
}
