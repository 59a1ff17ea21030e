import postgres from 'postgres';
import { CAMPAIGN_CODE, LAST_MONTH, STUDY_YEAR } from './sizes.ts';

/** Ids and codes the scenarios rotate through, read from the loaded dataset in a fixed order. */
export interface Targets {
  /** Level-3 units: subtrees of about 50 units (S1, S2). */
  unitsOf50: string[];
  /** Level-2 units: wider subtrees for the study-record page (S3). */
  wideUnits: string[];
  /** Level-4 units: subtrees of about 500 cadres at size L (S6). */
  unitsOf500Cadres: string[];
  /** Cadres that have study records (S4). */
  cadreIds: number[];
  /** Metrics with targets, and the units reporting them (S1, S5). */
  metricCodes: string[];
  reportingUnits: string[];
}

export const VARIANTS = 16;

export async function readTargets(databaseUrl: string): Promise<Targets> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const codes = async (pattern: string) =>
      (
        await sql<
          { code: string }[]
        >`select code from organizations where code like ${pattern} order by id limit ${VARIANTS}`
      ).map((r) => r.code);
    const cadreIds = (
      await sql<{ id: number }[]>`
        select c.id from cadres c
        where c.employee_number like 'B%' and exists (select 1 from study_records r where r.cadre_id = c.id)
        order by c.id limit ${VARIANTS}`
    ).map((r) => r.id);
    const metricCodes = (
      await sql<{ code: string }[]>`
        select d.code from metric_definitions d
        where d.code like 'BENCH_M%' and exists (select 1 from metric_targets t where t.metric_id = d.id)
        order by d.id`
    ).map((r) => r.code);
    const reportingUnits = (
      await sql<{ code: string }[]>`
        select o.code from organizations o
        where o.id in (select organization_id from metric_observations where metric_id =
          (select id from metric_definitions where code = 'BENCH_M001'))
        order by o.id`
    ).map((r) => r.code);
    return {
      unitsOf50: await codes('D3\\_%'),
      wideUnits: await codes('D2\\_%'),
      unitsOf500Cadres: await codes('D4\\_%'),
      cadreIds,
      metricCodes,
      reportingUnits,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export interface GraphQLRequestBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** Whether the naive comparator implements it. */
  naive: boolean;
  /**
   * Whether the raw-SQL floor serves it: a read by replaying the API's statements, a write (which
   * cannot be replayed: other rows, a new key) by its hand-written equivalent (servers/floor-writes.ts).
   */
  floor: boolean;
  /** Rows written per request (S5), for rows/s. */
  rowsPerRequest?: number;
  /** How many distinct bodies the load rotates through (default VARIANTS). */
  variants?: number;
  /**
   * The body of request number `i` (variables rotate through the targets); `run` makes write
   * scenarios' idempotency keys unique to one run.
   */
  body(targets: Targets, i: number, run?: string): GraphQLRequestBody;
}

const at = <T>(items: readonly T[], i: number): T => {
  if (items.length === 0) throw new Error('the dataset has no targets for this scenario');
  return items[i % items.length] as T;
};

export const cadreGlobalId = (id: number) => Buffer.from(`Cadre:${id}`).toString('base64');

const S1 = /* GraphQL */ `
  query BenchMetricSeries($input: MetricSeriesInput!) {
    metricSeries(input: $input) {
      metric { code unit }
      organization { code name }
      points { period { label } value target completionRate priorYearValue yoyGrowth yearToDate revision }
    }
  }
`;

const S2 = /* GraphQL */ `
  query BenchSubtreeCadres($orgCode: String!) {
    organizations(orgCode: $orgCode, includeDescendants: true, first: 60) {
      totalCount
      nodes {
        code
        name
        cadres {
          totalCount
          nodes { employeeNumber name studyTotals(year: ${STUDY_YEAR}) { noteCharacters } }
        }
      }
    }
  }
`;

const S3 = /* GraphQL */ `
  query BenchStudyRecordPage($orgCode: String!, $method: StudyMethod, $from: Date, $to: Date) {
    studyRecords(orgCode: $orgCode, includeDescendants: true, method: $method, from: $from, to: $to, first: 50) {
      totalCount
      nodes {
        id
        studiedOn
        method
        hours
        noteCharacters
        cadre { employeeNumber name organization { code name } }
      }
    }
  }
`;

const S4 = /* GraphQL */ `
  query BenchCadre($id: ID!) {
    node(id: $id) {
      ... on Cadre {
        employeeNumber
        name
        position
        organization { code name ancestors { code name } }
        studyRecords(first: 10) { nodes { studiedOn method hours noteCharacters } }
      }
    }
  }
`;

const S5 = /* GraphQL */ `
  mutation BenchSubmitObservations($input: SubmitMetricObservationsInput!) {
    submitMetricObservations(input: $input) {
      __typename
      ... on SubmitMetricObservationsPayload { accepted rejected replayed }
    }
  }
`;

const S6 = /* GraphQL */ `
  query BenchCompliance($orgCode: String!) {
    studyCompliance(campaignCode: "${CAMPAIGN_CODE}", year: ${STUDY_YEAR}, orgCode: $orgCode, includeDescendants: true, first: 100) {
      totalCount
      nodes {
        cadre { employeeNumber name }
        noteCharacters
        hours
        quotaMet
        mandatoryMaterialsCovered
        chosenMaterials { code }
        compliant
      }
    }
  }
`;

const METHODS = ['CONCENTRATED', 'TOPIC_TUTORING', 'SELF_STUDY', 'HEART_TO_HEART', 'EXPERIENCE_EXCHANGE'];

export const S5_ROWS = 1_000;
/**
 * S5 request `i` reports month `i mod S5_MONTHS` counted back from S5_LAST_MONTH. Two batches that
 * write the next revision of the same rows at the same time conflict (the second is rolled back),
 * so the load rotates through more months than it keeps requests in flight (16).
 */
export const S5_MONTHS = 48;

const monthsBefore = (last: string, back: number) => {
  const index = Number(last.slice(0, 4)) * 12 + Number(last.slice(5, 7)) - 1 - back;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
};
/**
 * Two years before LAST_MONTH: S1 reads STUDY_YEAR and the year before it, so the revisions a run
 * writes (hundreds of batches) leave the next run's reads as they were.
 */
const S5_LAST_MONTH = monthsBefore(LAST_MONTH, 24);

export const scenarios: Scenario[] = [
  {
    id: 'S0',
    title: 'trivial query (HTTP + yoga floor)',
    naive: true,
    floor: true,
    body: () => ({ query: '{ __typename }' }),
  },
  {
    id: 'S1',
    title: 'metricSeries: 5 metrics × ~50-unit subtree × 12 months, YoY and targets',
    naive: true,
    floor: true,
    body: (t, i) => ({
      query: S1,
      variables: {
        input: {
          metricCodes: Array.from({ length: 5 }, (_, k) => at(t.metricCodes, i + k)),
          orgCode: at(t.unitsOf50, i),
          includeDescendants: true,
          from: `${STUDY_YEAR}-01-01`,
          to: `${STUDY_YEAR}-12-31`,
          granularity: 'MONTH',
        },
      },
    }),
  },
  {
    id: 'S2',
    title: '~50-unit subtree with cadres (20 per unit) and each cadre’s study characters of the year',
    naive: true,
    floor: true,
    body: (t, i) => ({ query: S2, variables: { orgCode: at(t.unitsOf50, i) } }),
  },
  {
    id: 'S3',
    title: 'page of 50 study records with filters, cadre and unit, totalCount',
    naive: true,
    floor: true,
    body: (t, i) => ({
      query: S3,
      variables: {
        orgCode: at(t.wideUnits, i),
        method: at(METHODS, i),
        from: `${STUDY_YEAR}-0${1 + (i % 6)}-01`,
        to: `${STUDY_YEAR}-12-31`,
      },
    }),
  },
  {
    id: 'S4',
    title: 'one cadre by node(id) with unit path and last 10 records',
    naive: true,
    floor: true,
    body: (t, i) => ({ query: S4, variables: { id: cadreGlobalId(at(t.cadreIds, i)) } }),
  },
  {
    id: 'S5',
    title: `submitMetricObservations with ${S5_ROWS} rows`,
    naive: true,
    floor: true,
    rowsPerRequest: S5_ROWS,
    variants: S5_MONTHS,
    body: (t, i, run = 'fixed') => ({
      query: S5,
      variables: {
        input: {
          idempotencyKey: `bench-${run}-${i}`,
          observations: Array.from({ length: S5_ROWS }, (_, k) => ({
            metricCode: at(t.metricCodes, k),
            orgCode: at(t.reportingUnits, Math.floor(k / t.metricCodes.length)),
            periodStart: monthsBefore(S5_LAST_MONTH, i % S5_MONTHS),
            granularity: 'MONTH',
            value: `${100 + ((i * 7 + k) % 900)}.5`,
            source: 'bench（演示）',
          })),
        },
      },
    }),
  },
  {
    id: 'S6',
    title: 'study compliance for a ~500-cadre subtree (first 100, totalCount)',
    naive: true,
    floor: true,
    body: (t, i) => ({ query: S6, variables: { orgCode: at(t.unitsOf500Cadres, i) } }),
  },
];
