import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import postgres from 'postgres';
import { announce, createStats } from './stats.ts';

/**
 * The naive comparator: the same GraphQL shapes (S0, S2, S3, S4) served the way a resolver-per-
 * field server usually is, one query per parent row and per connection count, without a planner
 * or a DataLoader. It checks no credentials, which only flatters it.
 */
const databaseUrl = process.argv[2] as string;
const stats = createStats();
const sql = postgres(databaseUrl, {
  max: Number(process.argv[3] ?? 10),
  onnotice: () => {},
  debug: () => stats.statement(),
});

type Org = { id: number; code: string; name: string; path: string };
type Cadre = { id: number; employee_number: string; name: string; position: string | null; organization_id: number };
type StudyRecord = {
  id: number;
  cadre_id: number;
  studied_on: string;
  method: string;
  hours: string;
  note_characters: number;
};

const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const page = (first: number | null | undefined, fallback = 20) => Math.min(first ?? fallback, 100);
const RECORD_COLUMNS = sql`id, cadre_id, studied_on::text, method::text, hours::text, note_characters`;

const schema = createSchema({
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
    }
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
        const [root] = await sql<
          Org[]
        >`select id, code, name, path::text from organizations where code = ${args.orgCode}`;
        if (!root) return { totalCount: 0, nodes: [] };
        const where = args.includeDescendants ? sql`path <@ ${root.path}::ltree` : sql`id = ${root.id}`;
        const nodes = await sql<Org[]>`
          select id, code, name, path::text from organizations where ${where}
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
        const [root] = await sql<
          Org[]
        >`select id, code, name, path::text from organizations where code = ${args.orgCode}`;
        if (!root) return { totalCount: 0, nodes: [] };
        const units = args.includeDescendants
          ? sql`select id from organizations where path <@ ${root.path}::ltree`
          : sql`select ${root.id}`;
        const where = sql`cadre_id in (select id from cadres where organization_id in (${units}))
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
        const [cadre] = await sql<Cadre[]>`
          select id, employee_number, name, position, organization_id from cadres where id = ${Number(raw)}`;
        return cadre ? { ...cadre, __type: 'Cadre' } : null;
      },
    },
    Organization: {
      id: (org: Org) => globalId('Organization', org.id),
      ancestors: (org: Org) =>
        sql<Org[]>`select id, code, name, path::text from organizations
                   where path @> ${org.path}::ltree and id <> ${org.id} order by path`,
      cadres: async (org: Org, args: { first?: number }) => {
        const nodes = await sql<Cadre[]>`
          select id, employee_number, name, position, organization_id from cadres
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
        (await sql<Org[]>`select id, code, name, path::text from organizations where id = ${cadre.organization_id}`)[0],
      studyRecords: async (cadre: Cadre, args: { first?: number }) => {
        const nodes = await sql<StudyRecord[]>`
          select ${RECORD_COLUMNS} from study_records where cadre_id = ${cadre.id}
          order by studied_on desc, id desc limit ${page(args.first)}`;
        const [count] = await sql<
          { n: number }[]
        >`select count(*)::int as n from study_records where cadre_id = ${cadre.id}`;
        return { totalCount: count?.n ?? 0, nodes };
      },
    },
    StudyRecord: {
      id: (record: StudyRecord) => globalId('StudyRecord', record.id),
      studiedOn: (record: StudyRecord) => record.studied_on,
      noteCharacters: (record: StudyRecord) => record.note_characters,
      cadre: async (record: StudyRecord) =>
        (
          await sql<Cadre[]>`
            select id, employee_number, name, position, organization_id from cadres where id = ${record.cadre_id}`
        )[0],
    },
  },
});

const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', landingPage: false, graphiql: false, logging: false });
const server = createServer((request, response) => {
  if (stats.handle(request, response)) return;
  stats.request();
  yoga(request, response);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  announce(typeof address === 'object' && address ? address.port : 0);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void sql.end({ timeout: 2 }).finally(() => process.exit(0));
});
