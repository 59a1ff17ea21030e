import {
  CADRE_COLUMNS,
  type Cadre,
  memoized,
  type NaiveModule,
  notFound,
  page,
  type Sql,
  unitByCode,
  unitIdsSql,
} from './common.ts';

type Requirement = {
  id: number;
  quota: number;
  hours_quota: string | null;
  audience: string;
  year_start: string;
  year_end: string;
};
type Material = { id: number; code: string; title: string; kind: string };
type Group = { id: number; kind: 'ALL' | 'CHOICE'; min_materials: number | null; materials: Material[] };

interface Entry {
  cadre: Cadre;
  requirement: Requirement;
  groups: Group[];
}

interface ComplianceArgs {
  campaignCode: string;
  year: number;
  orgCode?: string | null;
  includeDescendants?: boolean | null;
  first?: number | null;
}

/**
 * Study compliance (S6) the resolver-per-field way: the requirement and its groups once per
 * request (each group's materials by a query of its own), then per cadre on the page a query for
 * the characters, one for the hours, and one per material of the requirement for whether the
 * cadre studied it, all over the requirement's year (the API's rules: compliance.sql.ts).
 */
export function complianceModule(sql: Sql): NaiveModule {
  const characters = memoized(async (entry: Entry) => {
    const [row] = await sql<{ n: number }[]>`
      select coalesce(sum(note_characters), 0)::int as n from study_records
      where cadre_id = ${entry.cadre.id}
        and studied_on between ${entry.requirement.year_start}::date and ${entry.requirement.year_end}::date`;
    return row?.n ?? 0;
  });
  const hours = memoized(async (entry: Entry) => {
    const [row] = await sql<{ hours: string }[]>`
      select trim_scale(coalesce(sum(hours), 0))::text as hours from study_records
      where cadre_id = ${entry.cadre.id}
        and studied_on between ${entry.requirement.year_start}::date and ${entry.requirement.year_end}::date`;
    return row?.hours ?? '0';
  });
  /** Material id → whether the cadre has a record of it in the year. */
  const studied = memoized(async (entry: Entry) => {
    const seen = new Map<number, boolean>();
    for (const material of entry.groups.flatMap((group) => group.materials)) {
      if (seen.has(material.id)) continue;
      const [row] = await sql<{ studied: boolean }[]>`
        select exists (
          select 1 from study_records
          where cadre_id = ${entry.cadre.id} and material_id = ${material.id}
            and studied_on between ${entry.requirement.year_start}::date and ${entry.requirement.year_end}::date
        ) as studied`;
      seen.set(material.id, row?.studied ?? false);
    }
    return seen;
  });
  const groupsMet = async (entry: Entry, kind: Group['kind']) => {
    const done = await studied(entry);
    return entry.groups
      .filter((group) => group.kind === kind)
      .every((group) => {
        const count = group.materials.filter((material) => done.get(material.id)).length;
        return count >= (group.min_materials ?? group.materials.length);
      });
  };
  const quotaMet = async (entry: Entry) => (await characters(entry)) >= entry.requirement.quota;
  const hoursQuotaMet = async (entry: Entry) =>
    entry.requirement.hours_quota === null || Number(await hours(entry)) >= Number(entry.requirement.hours_quota);

  const studyCompliance = async (_: unknown, args: ComplianceArgs) => {
    const [requirement] = await sql<Requirement[]>`
      select id, note_characters_quota as quota, trim_scale(hours_quota)::text as hours_quota, audience::text,
             make_date(year, 1, 1)::text as year_start, make_date(year, 12, 31)::text as year_end
      from study_requirements where campaign_code = ${args.campaignCode} and year = ${args.year}`;
    if (!requirement) throw notFound(`No study requirement for campaign ${args.campaignCode} in ${args.year}`);
    const unit = args.orgCode ? await unitByCode(sql, args.orgCode) : null;
    const groups = await sql<Omit<Group, 'materials'>[]>`
      select id, kind::text, min_materials from study_requirement_groups
      where requirement_id = ${requirement.id} order by sort_order, id`;
    const withMaterials: Group[] = [];
    for (const group of groups) {
      const materials = await sql<Material[]>`
        select m.id, m.code, m.title, m.kind::text from study_requirement_group_materials gm
        join study_materials m on m.id = gm.material_id
        where gm.group_id = ${group.id} order by gm.sort_order, m.id`;
      withMaterials.push({ ...group, materials });
    }
    const where = sql`status = 'ACTIVE'
      and (${requirement.audience}::text = 'ALL_CADRES' or is_leader)
      ${unit ? sql`and organization_id in (${unitIdsSql(sql, unit, args.includeDescendants)})` : sql``}`;
    const cadres = await sql<Cadre[]>`
      select ${CADRE_COLUMNS(sql)} from cadres where ${where} order by employee_number limit ${page(args.first)}`;
    const [count] = await sql<{ n: number }[]>`select count(*)::int as n from cadres where ${where}`;
    return {
      totalCount: count?.n ?? 0,
      nodes: cadres.map((cadre): Entry => ({ cadre, requirement, groups: withMaterials })),
    };
  };

  return {
    typeDefs: /* GraphQL */ `
      type StudyMaterialSummary { code: String! title: String! kind: String! }
      type StudyComplianceEntry {
        cadre: Cadre!
        noteCharacters: Int!
        hours: Decimal!
        noteCharactersQuota: Int!
        hoursQuota: Decimal
        quotaMet: Boolean!
        hoursQuotaMet: Boolean!
        mandatoryMaterialsCovered: Boolean!
        choiceGroupsMet: Boolean!
        chosenMaterials: [StudyMaterialSummary!]!
        compliant: Boolean!
      }
      type StudyComplianceConnection { totalCount: Int! nodes: [StudyComplianceEntry!]! }
      extend type Query {
        studyCompliance(campaignCode: String!, year: Int!, orgCode: String, includeDescendants: Boolean = false, first: Int): StudyComplianceConnection!
      }
    `,
    resolvers: {
      Query: { studyCompliance },
      StudyComplianceEntry: {
        cadre: (entry: Entry) => entry.cadre,
        noteCharacters: characters,
        hours,
        noteCharactersQuota: (entry: Entry) => entry.requirement.quota,
        hoursQuota: (entry: Entry) => entry.requirement.hours_quota,
        quotaMet,
        hoursQuotaMet,
        mandatoryMaterialsCovered: (entry: Entry) => groupsMet(entry, 'ALL'),
        choiceGroupsMet: (entry: Entry) => groupsMet(entry, 'CHOICE'),
        chosenMaterials: async (entry: Entry) => {
          const done = await studied(entry);
          return entry.groups
            .filter((group) => group.kind === 'CHOICE')
            .flatMap((group) => group.materials.filter((material) => done.get(material.id)));
        },
        compliant: async (entry: Entry) =>
          (await quotaMet(entry)) &&
          (await hoursQuotaMet(entry)) &&
          (await groupsMet(entry, 'ALL')) &&
          (await groupsMet(entry, 'CHOICE')),
      },
    },
  };
}
