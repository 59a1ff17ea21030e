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

interface ScenarioBase {
  id: string;
  title: string;
  /** Whether the naive comparator implements it. */
  naive: boolean;
  /**
   * Whether the raw-SQL floor serves it: a read by replaying the API's statements, a write (which
   * cannot be replayed: other rows, a new key) by its hand-written equivalent (servers/floor-writes.ts).
   */
  floor: boolean;
  /** Writes: rows written per request (S5, S5B), for rows/s. */
  rowsPerRequest?: (targets: Targets) => number;
  /** How many distinct bodies the load rotates through (default VARIANTS). */
  variants?: number;
}

/** A GraphQL request to /graphql. */
export interface GraphQLScenario extends ScenarioBase {
  upload?: undefined;
  /**
   * The body of request number `i` (variables rotate through the targets); `run` makes write
   * scenarios' idempotency keys unique to one run.
   */
  body(targets: Targets, i: number, run?: string): GraphQLRequestBody;
}

/** A streamed upload (S5B): its own path and content type, the idempotency key in a header. */
export interface UploadScenario extends ScenarioBase {
  upload: {
    path: string;
    contentType: string;
    /** The body of request number `i`. */
    body(targets: Targets, i: number): string;
  };
}

export type Scenario = GraphQLScenario | UploadScenario;

/** One request of a scenario as it goes over HTTP (the API's path; the floor takes the same body). */
export interface ScenarioRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Request number `i` of a scenario; `run` makes a write's idempotency key unique to one run. */
export function requestOf(scenario: Scenario, targets: Targets, i: number, run = 'fixed'): ScenarioRequest {
  if (scenario.upload) {
    return {
      path: scenario.upload.path,
      // The keys of uploads and of submitMetricObservations are one set: the scenario's id keeps them apart.
      headers: { 'content-type': scenario.upload.contentType, 'idempotency-key': `bench-${run}-${scenario.id}-${i}` },
      body: scenario.upload.body(targets, i),
    };
  }
  return {
    path: '/graphql',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(scenario.body(targets, i, run)),
  };
}

/** Whether an answer is a success: an accepted upload (HTTP 200, not a replay), or GraphQL without errors. */
export const answered = (scenario: Scenario, status: number, text: string) =>
  status === 200 && (scenario.upload ? text.includes('"replayed":false') : !text.includes('"errors"'));

/** The part of an answer that must be the same on every run: an upload's batch id is left out. */
export const comparableAnswer = (scenario: Scenario, text: string) =>
  scenario.upload ? text.replace(/"batchId":"\d+"/, '"batchId":null') : text;

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

/**
 * S5B uploads two months of every metric with targets from every reporting unit (20,000 rows at L,
 * 2,000 at S): request `i` reports months 2(i mod S5B_VARIANTS) and the one before, counted back
 * from S5_LAST_MONTH, so no figure repeats within an upload, each upload writes new revisions, and
 * uploads in flight together (16 connections) never write the same figures.
 */
export const S5B_MONTHS_PER_UPLOAD = 2;
export const S5B_VARIANTS = 32;
const s5bRows = (t: Targets) => S5B_MONTHS_PER_UPLOAD * t.metricCodes.length * t.reportingUnits.length;
const S5B_SOURCE = JSON.stringify('bench（演示）');

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
    rowsPerRequest: () => S5_ROWS,
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
    id: 'S5B',
    title: `bulk upload (NDJSON) of ${S5B_MONTHS_PER_UPLOAD} months × metrics × reporting units`,
    naive: false,
    floor: true,
    rowsPerRequest: s5bRows,
    variants: S5B_VARIANTS,
    upload: {
      path: '/metrics/observations/bulk',
      contentType: 'application/x-ndjson',
      body: (t, i) => {
        const perMonth = t.metricCodes.length * t.reportingUnits.length;
        if (perMonth === 0) throw new Error('the dataset has no targets for this scenario');
        const lines: string[] = [];
        for (let m = 0; m < S5B_MONTHS_PER_UPLOAD; m++) {
          const periodStart = monthsBefore(S5_LAST_MONTH, (i % S5B_VARIANTS) * S5B_MONTHS_PER_UPLOAD + m);
          for (let k = 0; k < perMonth; k++) {
            const metricCode = at(t.metricCodes, k);
            const orgCode = at(t.reportingUnits, Math.floor(k / t.metricCodes.length));
            const value = `${100 + ((i * 7 + m * perMonth + k) % 900)}.5`;
            lines.push(
              `{"metricCode":${JSON.stringify(metricCode)},"orgCode":${JSON.stringify(orgCode)},"periodStart":"${periodStart}","granularity":"MONTH","value":"${value}","source":${S5B_SOURCE}}`,
            );
          }
        }
        return `${lines.join('\n')}\n`;
      },
    },
  },
  {
    id: 'S6',
    title: 'study compliance for a ~500-cadre subtree (first 100, totalCount)',
    naive: true,
    floor: true,
    body: (t, i) => ({ query: S6, variables: { orgCode: at(t.unitsOf500Cadres, i) } }),
  },
];
