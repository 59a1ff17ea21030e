import {
  CADRE_COLUMNS,
  type Cadre,
  globalId,
  type NaiveModule,
  ORG_COLUMNS,
  type Org,
  page,
  type Sql,
  unitIdsSql,
} from './common.ts';

type StudyRecord = {
  id: number;
  cadre_id: number;
  studied_on: string;
  method: string;
  hours: string;
  note_characters: number;
};

/** Units, cadres, study records and yearly totals (S2, S3, S4): each relation a query per parent row. */
export function directoryModule(sql: Sql): NaiveModule {
  const RECORD_COLUMNS = sql`id, cadre_id, studied_on::text, method::text, hours::text, note_characters`;
  return {
    typeDefs: /* GraphQL */ `
      scalar Date
      scalar Decimal
      enum StudyMethod { CONCENTRATED TOPIC_TUTORING SELF_STUDY HEART_TO_HEART EXPERIENCE_EXCHANGE }
      interface Node { id: ID! }
      type Query {
        organizations(orgCode: String!, includeDescendants: Boolean = false, first: Int): OrganizationConnection!
        studyRecords(orgCode: String!, includeDescendants: Boolean = false, method: StudyMethod, from: Date, to: Date, first: Int): StudyRecordConnection!
        node(id: ID!): Node
      }
      type Organization implements Node {
        id: ID!
        code: String!
        name: String!
        ancestors: [Organization!]!
        cadres(first: Int): CadreConnection!
      }
      type OrganizationConnection { totalCount: Int! nodes: [Organization!]! }
      type Cadre implements Node {
        id: ID!
        employeeNumber: String!
        name: String!
        position: String
        organization: Organization!
        studyRecords(first: Int): StudyRecordConnection!
        studyTotals(year: Int!): CadreStudyTotals
      }
      type CadreStudyTotals { year: Int! noteCharacters: Int! hours: Decimal! records: Int! }
      type CadreConnection { totalCount: Int! nodes: [Cadre!]! }
      type StudyRecord implements Node {
        id: ID!
        studiedOn: Date!
        method: StudyMethod!
        hours: Decimal!
        noteCharacters: Int!
        cadre: Cadre!
      }
      type StudyRecordConnection { totalCount: Int! nodes: [StudyRecord!]! }
    `,
    resolvers: {
      Node: {
        __resolveType: (row: { __type: string }) => row.__type,
      },
      Query: {
        organizations: async (_: unknown, args: { orgCode: string; includeDescendants: boolean; first?: number }) => {
          const [root] = await sql<Org[]>`select ${ORG_COLUMNS(sql)} from organizations where code = ${args.orgCode}`;
          if (!root) return { totalCount: 0, nodes: [] };
          const where = args.includeDescendants ? sql`path <@ ${root.path}::ltree` : sql`id = ${root.id}`;
          const nodes = await sql<Org[]>`
            select ${ORG_COLUMNS(sql)} from organizations where ${where}
            order by sort_order, id limit ${page(args.first)}`;
          const [count] = await sql<{ n: number }[]>`select count(*)::int as n from organizations where ${where}`;
          return { totalCount: count?.n ?? 0, nodes };
        },
        studyRecords: async (
          _: unknown,
          args: {
            orgCode: string;
            includeDescendants: boolean;
            method?: string;
            from?: string;
            to?: string;
            first?: number;
          },
        ) => {
          const [root] = await sql<Org[]>`select ${ORG_COLUMNS(sql)} from organizations where code = ${args.orgCode}`;
          if (!root) return { totalCount: 0, nodes: [] };
          const where = sql`cadre_id in (select id from cadres where organization_id in (${unitIdsSql(sql, root, args.includeDescendants)}))
            ${args.method ? sql`and method = ${args.method}` : sql``}
            ${args.from ? sql`and studied_on >= ${args.from}` : sql``}
            ${args.to ? sql`and studied_on <= ${args.to}` : sql``}`;
          const nodes = await sql<StudyRecord[]>`
            select ${RECORD_COLUMNS} from study_records where ${where}
            order by studied_on desc, id desc limit ${page(args.first)}`;
          const [count] = await sql<{ n: number }[]>`select count(*)::int as n from study_records where ${where}`;
          return { totalCount: count?.n ?? 0, nodes };
        },
        node: async (_: unknown, args: { id: string }) => {
          const [type, raw] = Buffer.from(args.id, 'base64').toString('utf8').split(':');
          if (type !== 'Cadre') return null;
          const [cadre] = await sql<Cadre[]>`select ${CADRE_COLUMNS(sql)} from cadres where id = ${Number(raw)}`;
          return cadre ? { ...cadre, __type: 'Cadre' } : null;
        },
      },
      Organization: {
        id: (org: Org) => globalId('Organization', org.id),
        ancestors: (org: Org) =>
          sql<Org[]>`select ${ORG_COLUMNS(sql)} from organizations
                     where path @> ${org.path}::ltree and id <> ${org.id} order by path`,
        cadres: async (org: Org, args: { first?: number }) => {
          const nodes = await sql<Cadre[]>`
            select ${CADRE_COLUMNS(sql)} from cadres
            where organization_id = ${org.id} order by name, id limit ${page(args.first)}`;
          const [count] = await sql<
            { n: number }[]
          >`select count(*)::int as n from cadres where organization_id = ${org.id}`;
          return { totalCount: count?.n ?? 0, nodes };
        },
      },
      Cadre: {
        id: (cadre: Cadre) => globalId('Cadre', cadre.id),
        employeeNumber: (cadre: Cadre) => cadre.employee_number,
        organization: async (cadre: Cadre) =>
          (await sql<Org[]>`select ${ORG_COLUMNS(sql)} from organizations where id = ${cadre.organization_id}`)[0],
        studyRecords: async (cadre: Cadre, args: { first?: number }) => {
          const nodes = await sql<StudyRecord[]>`
            select ${RECORD_COLUMNS} from study_records where cadre_id = ${cadre.id}
            order by studied_on desc, id desc limit ${page(args.first)}`;
          const [count] = await sql<
            { n: number }[]
          >`select count(*)::int as n from study_records where cadre_id = ${cadre.id}`;
          return { totalCount: count?.n ?? 0, nodes };
        },
        // Hours as the API prints them: summed numeric(4,1) with trailing zeros trimmed ("0" for none).
        studyTotals: async (cadre: Cadre, args: { year: number }) => {
          const [totals] = await sql<{ noteCharacters: number; hours: string; records: number }[]>`
            select coalesce(sum(note_characters), 0)::int as "noteCharacters",
                   trim_scale(coalesce(sum(hours), 0))::text as hours, count(*)::int as records
            from study_records
            where cadre_id = ${cadre.id}
              and studied_on >= make_date(${args.year}::int, 1, 1) and studied_on < make_date(${args.year}::int + 1, 1, 1)`;
          return { year: args.year, ...totals };
        },
      },
      StudyRecord: {
        id: (record: StudyRecord) => globalId('StudyRecord', record.id),
        studiedOn: (record: StudyRecord) => record.studied_on,
        noteCharacters: (record: StudyRecord) => record.note_characters,
        cadre: async (record: StudyRecord) =>
          (await sql<Cadre[]>`select ${CADRE_COLUMNS(sql)} from cadres where id = ${record.cadre_id}`)[0],
      },
    },
  };
}
