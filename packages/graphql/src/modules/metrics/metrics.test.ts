import { createPubSub } from '@graphql-yoga/subscription';
import { activities, expandOccurrences, metricObservations, zoneDay } from '@sixtype/db';
import { count, sql } from 'drizzle-orm';
import { graphql, parse, subscribe } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricUpdateEvent, SYSTEM_ACCESS } from '../../context.ts';
import { schema } from '../../schema.ts';
import {
  apiClientViewer,
  dataOf,
  errorCodes,
  openTestApi,
  rolledBackSuite,
  SYSTEM as SYSTEM_VIEWER,
  type TestApi,
  userViewer,
} from '../../test-support.ts';
import { createMetricDefinition, type ObservationInput, submitObservations } from './metrics.service.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
  // Monthly test metrics, one of each kind, summed/averaged across units.
  for (const [code, kind, aggregation] of [
    ['TEST_FLOW', 'FLOW', 'SUM'],
    ['TEST_STOCK', 'STOCK', 'SUM'],
    ['TEST_RATIO', 'RATIO', 'AVG'],
  ] as const) {
    await createMetricDefinition(api.db, SYSTEM_ACCESS.actor, {
      code,
      name: code,
      unit: '个',
      kind,
      aggregation,
      direction: 'HIGHER_IS_BETTER',
      reportingGranularity: 'MONTH',
    });
  }
});
afterAll(async () => {
  await api.close();
});

interface Point {
  period: { label: string };
  value: string | null;
  target: string | null;
  completionRate: string | null;
  priorYearValue: string | null;
  yoyGrowth: string | null;
  yearToDate: string | null;
  revision: number | null;
  source: string | null;
}
interface Series {
  metric: { code: string };
  organization: { code: string };
  points: Point[];
}

const SERIES = /* GraphQL */ `
  query($input: MetricSeriesInput!) {
    metricSeries(input: $input) {
      metric { code name unit }
      organization { code name }
      points { period { label } value target completionRate priorYearValue yoyGrowth yearToDate revision source }
    }
  }`;

async function series(input: Record<string, unknown>) {
  const executed = await api.execute<{ metricSeries: Series[] }>(SERIES, {
    input: { includeDescendants: false, ...input },
  });
  return { series: dataOf(executed).metricSeries, statements: executed.statements };
}

const month = (n: number) => `2012-${String(n).padStart(2, '0')}-01`;
const rows = (metricCode: string, orgCode: string, values: string[], source = 'test'): ObservationInput[] =>
  values.map((value, index) => ({
    metricCode,
    orgCode,
    periodStart: month(index + 1),
    granularity: 'MONTH',
    value,
    source,
  }));
let keyCounter = 0;
const submit = (observations: ObservationInput[]) => {
  keyCounter += 1;
  return submitObservations(api.db, SYSTEM_ACCESS, { idempotencyKey: `test-${keyCounter}`, observations });
};

describe('the document’s figures', () => {
  it('answer 7430 and 15825 for 2012-Q1 with YoY +43% for local revenue, in one statement', async () => {
    const { series: result, statements } = await series({
      metricCodes: ['LOCAL_FISCAL_REVENUE', 'FISCAL_REVENUE_TOTAL'],
      orgCode: 'ZONE',
      from: '2012-01-01',
      to: '2012-03-31',
      granularity: 'QUARTER',
    });
    expect(statements).toHaveLength(1);
    const byCode = Object.fromEntries(result.map((s) => [s.metric.code, s]));
    expect(byCode.LOCAL_FISCAL_REVENUE?.points[0]).toMatchObject({ period: { label: '2012-Q1' }, value: '7430' });
    expect(byCode.FISCAL_REVENUE_TOTAL?.points[0]).toMatchObject({ value: '15825', yoyGrowth: null });
    expect(Math.abs(Number(byCode.LOCAL_FISCAL_REVENUE?.points[0]?.yoyGrowth) - 0.43)).toBeLessThanOrEqual(0.0005);
    expect(result.every((s) => s.organization.code === 'ZONE')).toBe(true);
  });

  it('lists the catalogue in the document’s order', async () => {
    const executed = await api.execute<{ metricDefinitions: { code: string; unit: string }[] }>(
      `{ metricDefinitions { code unit } }`,
    );
    expect(
      dataOf(executed)
        .metricDefinitions.map((m) => m.code)
        .slice(0, 8),
    ).toEqual([
      'FISCAL_REVENUE_TOTAL',
      'LOCAL_FISCAL_REVENUE',
      'NEW_PROJECT_CONTRACTS',
      'HUNDRED_DAY_PROJECTS_UNDER_CONSTRUCTION',
      'HUNDRED_DAY_PROJECTS_IN_NEGOTIATION',
      'MINIMUM_LIVING_ALLOWANCE_RECIPIENTS',
      'FIVE_GUARANTEES_CENTRAL_SUPPORT_RATE',
      'PETITIONS_TO_CAPITAL_OR_PROVINCE',
    ]);
    expect(executed.statements).toHaveLength(1);
  });
});

describe('rollups', () => {
  // Twelve months for one department; integers keep the expected figures easy to check by hand.
  const flow = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
  const stock = ['10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21'];
  const ratio = ['50', '60', '70', '80', '90', '100', '50', '50', '50', '60', '60', '60'];

  // The rows this block's beforeAll adds are its tests' only, rolled back after its last test.
  rolledBackSuite(() => api.scopes);
  beforeAll(async () => {
    await submit([
      ...rows('TEST_FLOW', 'FINANCE_BUREAU', flow),
      ...rows('TEST_STOCK', 'FINANCE_BUREAU', stock),
      ...rows('TEST_RATIO', 'FINANCE_BUREAU', ratio),
    ]);
  });

  it('sums FLOW, takes the period end of STOCK and averages RATIO, by quarter', async () => {
    const { series: result } = await series({
      metricCodes: ['TEST_FLOW', 'TEST_STOCK', 'TEST_RATIO'],
      orgCode: 'FINANCE_BUREAU',
      from: '2012-01-01',
      to: '2012-12-31',
      granularity: 'QUARTER',
    });
    const values = Object.fromEntries(result.map((s) => [s.metric.code, s.points.map((p) => p.value)]));
    expect(values.TEST_FLOW).toEqual(['6', '15', '24', '33']);
    expect(values.TEST_STOCK).toEqual(['12', '15', '18', '21']);
    expect(values.TEST_RATIO).toEqual(['60', '90', '50', '60']);
    const ytd = Object.fromEntries(result.map((s) => [s.metric.code, s.points.map((p) => p.yearToDate)]));
    expect(ytd.TEST_FLOW).toEqual(['6', '21', '45', '78']);
    expect(ytd.TEST_STOCK).toEqual(['12', '15', '18', '21']);
    expect(ytd.TEST_RATIO).toEqual(['60', '75', '66.6666666666666667', '65']);
  });

  it('rolls up to the year', async () => {
    const { series: result } = await series({
      metricCodes: ['TEST_FLOW', 'TEST_STOCK', 'TEST_RATIO'],
      orgCode: 'FINANCE_BUREAU',
      from: '2012-01-01',
      to: '2012-12-31',
      granularity: 'YEAR',
    });
    expect(result.map((s) => [s.metric.code, s.points[0]?.period.label, s.points[0]?.value])).toEqual([
      ['TEST_FLOW', '2012', '78'],
      ['TEST_STOCK', '2012', '21'],
      ['TEST_RATIO', '2012', '65'],
    ]);
  });

  it('rolls a department’s FLOW up to the zone only with includeDescendants', async () => {
    const zoneOnly = await series({
      metricCodes: ['TEST_FLOW'],
      orgCode: 'ZONE',
      from: '2012-01-01',
      to: '2012-03-31',
      granularity: 'QUARTER',
    });
    expect(zoneOnly.series[0]?.points[0]?.value).toBeNull();
    const rolled = await series({
      metricCodes: ['TEST_FLOW'],
      orgCode: 'ZONE',
      includeDescendants: true,
      from: '2012-01-01',
      to: '2012-03-31',
      granularity: 'QUARTER',
    });
    expect(rolled.series[0]?.points[0]?.value).toBe('6');
  });
});

describe('across units', () => {
  it('adds 0.1 and 0.2 across units to exactly 0.3', async () => {
    await submit([
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'EAST_SUBDISTRICT_OFFICE',
        periodStart: '2012-01-01',
        granularity: 'MONTH',
        value: '0.1',
        source: 'east',
      },
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'WEST_SUBDISTRICT_OFFICE',
        periodStart: '2012-01-01',
        granularity: 'MONTH',
        value: '0.2',
        source: 'west',
      },
    ]);
    const { series: result } = await series({
      metricCodes: ['TEST_FLOW'],
      orgCode: 'ZONE',
      includeDescendants: true,
      from: '2012-01-01',
      to: '2012-01-31',
      granularity: 'MONTH',
    });
    expect(result[0]?.points[0]?.value).toBe('0.3');
    expect(result[0]?.points[0]?.source).toBe('east; west');
  });
});

describe('revisions', () => {
  it('a correction changes the current answer while asOf before it still reads the old figure', async () => {
    const point = {
      metricCode: 'TEST_STOCK',
      orgCode: 'CIVIL_AFFAIRS_BUREAU',
      periodStart: '2012-03-01',
      granularity: 'MONTH' as const,
    };
    await submit([{ ...point, value: '100', source: 'first report' }]);
    const rows = await api.db.execute(sql`select clock_timestamp()::text as now`);
    const between = ((Array.isArray(rows) ? rows : (rows as { rows: { now: string }[] }).rows)[0] as { now: string })
      .now;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await submit([{ ...point, value: '120', source: 'correction' }]);

    const input = {
      metricCodes: ['TEST_STOCK'],
      orgCode: 'CIVIL_AFFAIRS_BUREAU',
      from: '2012-03-01',
      to: '2012-03-31',
      granularity: 'MONTH',
    };
    const current = (await series(input)).series[0]?.points[0];
    expect(current).toMatchObject({ value: '120', revision: 2, source: 'correction' });
    const before = (await series({ ...input, asOf: new Date(between).toISOString() })).series[0]?.points[0];
    expect(before).toMatchObject({ value: '100', revision: 1, source: 'first report' });
    const [{ n } = { n: 0 }] = await api.db
      .select({ n: count() })
      .from(metricObservations)
      .where(
        sql`${metricObservations.periodStart} = '2012-03-01' and ${metricObservations.source} in ('first report', 'correction')`,
      );
    expect(n).toBe(2);
  });
});

describe('batches from other systems', () => {
  it('writes the 997 good rows of 1,000, reports the 3 bad ones by index, and a replay writes nothing', async () => {
    const observations: ObservationInput[] = Array.from({ length: 1000 }, (_, i) => ({
      metricCode: 'TEST_FLOW',
      orgCode: 'PETITION_OFFICE',
      periodStart: `${1900 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`,
      granularity: 'MONTH',
      value: `${i}.5`,
      source: 'batch test',
    }));
    observations[10] = { ...(observations[10] as ObservationInput), metricCode: 'NO_SUCH_METRIC' };
    observations[500] = { ...(observations[500] as ObservationInput), periodStart: '1941-09-15' };
    observations[999] = { ...(observations[999] as ObservationInput), value: 'NaN' };
    const countBatchRows = async () =>
      (
        await api.db
          .select({ n: count() })
          .from(metricObservations)
          .where(sql`${metricObservations.source} = 'batch test'`)
      )[0]?.n;

    const input = { idempotencyKey: 'batch-1000', observations };
    const first = await api.execute<{
      submitMetricObservations: {
        accepted: number;
        rejected: number;
        replayed: boolean;
        errors: { index: number; field: string }[];
      };
    }>(
      `mutation($input: SubmitMetricObservationsInput!) { submitMetricObservations(input: $input) {
        ... on SubmitMetricObservationsPayload { accepted rejected replayed errors { index field code } } } }`,
      { input },
    );
    const result = dataOf(first).submitMetricObservations;
    expect(result).toMatchObject({ accepted: 997, rejected: 3, replayed: false });
    expect(result.errors.map((e) => [e.index, e.field])).toEqual([
      [10, 'metricCode'],
      [500, 'periodStart'],
      [999, 'value'],
    ]);
    expect(await countBatchRows()).toBe(997);
    // Key lock, earlier batch, metrics, units, batch row, the one insert of all rows, result, audit,
    // webhook outbox (PGlite's driver does not log begin and commit; the bench counts 11 with them).
    expect(first.statements.filter((statement) => !/^(begin|commit)$/i.test(String(statement).trim()))).toHaveLength(9);

    const replay = await api.execute<{ submitMetricObservations: { accepted: number; replayed: boolean } }>(
      `mutation($input: SubmitMetricObservationsInput!) { submitMetricObservations(input: $input) {
        ... on SubmitMetricObservationsPayload { accepted replayed } } }`,
      { input },
    );
    expect(dataOf(replay).submitMetricObservations).toEqual({ accepted: 997, replayed: true });
    expect(await countBatchRows()).toBe(997);

    const changed = await api.execute(
      `mutation($input: SubmitMetricObservationsInput!) { submitMetricObservations(input: $input) { __typename ... on ConflictError { field } } }`,
      { input: { ...input, observations: observations.slice(0, 999) } },
    );
    expect(dataOf(changed)).toEqual({
      submitMetricObservations: { __typename: 'ConflictError', field: 'idempotencyKey' },
    });
    expect(await countBatchRows()).toBe(997);
  });

  it('refuses rows outside the writer’s units, periods in the future and granularities other than the reported one', async () => {
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'FINANCE_BUREAU' });
    const executed = await api.execute<{
      submitMetricObservations: { accepted: number; errors: { index: number; code: string }[] };
    }>(
      `mutation($input: SubmitMetricObservationsInput!) { submitMetricObservations(input: $input) {
        ... on SubmitMetricObservationsPayload { accepted errors { index code field } } } }`,
      {
        input: {
          idempotencyKey: 'manager-1',
          observations: [
            {
              metricCode: 'TEST_FLOW',
              orgCode: 'FINANCE_BUREAU',
              periodStart: '2012-01-01',
              granularity: 'MONTH',
              value: '1',
              source: 'own',
            },
            {
              metricCode: 'TEST_FLOW',
              orgCode: 'PETITION_OFFICE',
              periodStart: '2012-01-01',
              granularity: 'MONTH',
              value: '1',
              source: 'other',
            },
            {
              metricCode: 'TEST_FLOW',
              orgCode: 'FINANCE_BUREAU',
              periodStart: '2999-01-01',
              granularity: 'MONTH',
              value: '1',
              source: 'future',
            },
            {
              metricCode: 'TEST_FLOW',
              orgCode: 'FINANCE_BUREAU',
              periodStart: '2012-04-01',
              granularity: 'QUARTER',
              value: '1',
              source: 'grain',
            },
          ],
        },
      },
      manager,
    );
    const result = dataOf(executed).submitMetricObservations;
    expect(result.accepted).toBe(1);
    expect(result.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'FORBIDDEN'],
      [2, 'BAD_USER_INPUT'],
      [3, 'BAD_USER_INPUT'],
    ]);
  });

  it('lets an API client with metrics:read read figures but not submit them', async () => {
    const reader = await apiClientViewer(api.db, ['metrics:read']);
    const read = await api.execute(
      `{ metricSeries(input: { metricCodes: ["LOCAL_FISCAL_REVENUE"], orgCode: "ZONE", from: "2012-01-01", to: "2012-03-31", granularity: QUARTER }) {
          organization { code name cadres(first: 5) { totalCount } } points { value } } }`,
      {},
      reader,
    );
    // The unit is named, but a figures-only client sees none of its cadres.
    expect(dataOf(read)).toEqual({
      metricSeries: [
        { organization: { code: 'ZONE', name: '经济开发区', cadres: { totalCount: 0 } }, points: [{ value: '7430' }] },
      ],
    });
    const write = await api.execute(
      `mutation { submitMetricObservations(input: { idempotencyKey: "x", observations: [] }) { __typename } }`,
      {},
      reader,
    );
    expect(errorCodes(write)).toEqual(['FORBIDDEN']);
  });
});

describe('targets and rankings', () => {
  it('computes completion against a target, and YoY as null when the prior year is 0', async () => {
    await api.execute(
      `mutation { setMetricTarget(input: { metricCode: "LOCAL_FISCAL_REVENUE", orgCode: "ZONE", granularity: QUARTER, periodStart: "2012-01-01", value: "7000" }) { __typename } }`,
    );
    const { series: result } = await series({
      metricCodes: ['LOCAL_FISCAL_REVENUE'],
      orgCode: 'ZONE',
      from: '2012-01-01',
      to: '2012-03-31',
      granularity: 'QUARTER',
    });
    expect(result[0]?.points[0]).toMatchObject({ target: '7000', completionRate: '1.0614' });

    await submit([
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'WEST_SUBDISTRICT_OFFICE',
        periodStart: '2012-01-01',
        granularity: 'MONTH',
        value: '0',
        source: 't',
      },
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'WEST_SUBDISTRICT_OFFICE',
        periodStart: '2013-01-01',
        granularity: 'MONTH',
        value: '5',
        source: 't',
      },
    ]);
    const zeroPrior = await series({
      metricCodes: ['TEST_FLOW'],
      orgCode: 'WEST_SUBDISTRICT_OFFICE',
      from: '2013-01-01',
      to: '2013-01-31',
      granularity: 'MONTH',
    });
    expect(zeroPrior.series[0]?.points[0]).toMatchObject({ value: '5', priorYearValue: '0', yoyGrowth: null });
  });

  it('ranks the zone’s units by direction, ties sharing a rank, in one statement', async () => {
    await submit([
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'FINANCE_BUREAU',
        periodStart: '2012-01-01',
        granularity: 'MONTH',
        value: '3',
        source: 't',
      },
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'CIVIL_AFFAIRS_BUREAU',
        periodStart: '2012-01-01',
        granularity: 'MONTH',
        value: '3',
        source: 't',
      },
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'INVESTMENT_PROMOTION_BUREAU',
        periodStart: '2012-01-01',
        granularity: 'MONTH',
        value: '5',
        source: 't',
      },
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'SIX_TYPE_OFFICE',
        periodStart: '2012-02-01',
        granularity: 'MONTH',
        value: '1',
        source: 't',
      },
    ]);
    const executed = await api.execute<{
      metricRanking: { entries: { rank: number | null; value: string | null; orgCode: string }[] };
    }>(
      `{ metricRanking(input: { metricCode: "TEST_FLOW", granularity: QUARTER, periodStart: "2012-01-01" }) { entries { rank value orgCode } } }`,
    );
    expect(executed.statements).toHaveLength(1);
    const ranked = dataOf(executed).metricRanking.entries.filter((e) => e.rank !== null);
    expect(ranked).toEqual([
      { rank: 1, value: '5', orgCode: 'INVESTMENT_PROMOTION_BUREAU' },
      { rank: 2, value: '3', orgCode: 'FINANCE_BUREAU' },
      { rank: 2, value: '3', orgCode: 'CIVIL_AFFAIRS_BUREAU' },
      { rank: 4, value: '1', orgCode: 'DISCIPLINE_WORKING_COMMITTEE' },
    ]);
  });
});

describe('metricUpdated', () => {
  it('delivers three consecutive accepted figures, filtered by metric and unit subtree', async () => {
    const pubsub = createPubSub<{ metricUpdated: [MetricUpdateEvent] }>();
    const events = {
      publish: (topic: 'metricUpdated', event: MetricUpdateEvent) => pubsub.publish(topic, event),
      subscribe: (topic: 'metricUpdated') => pubsub.subscribe(topic),
    };
    const context = { db: api.db, viewer: SYSTEM_VIEWER, requestId: 'subscription-test', events };
    const stream = await subscribe({
      schema,
      document:
        parse(`subscription { metricUpdated(metricCodes: ["TEST_FLOW"], orgCode: "DISCIPLINE_WORKING_COMMITTEE") {
        metricCode orgCode periodLabel value revision } }`),
      contextValue: context,
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error(`subscription failed: ${JSON.stringify(stream)}`);
    const iterator = stream[Symbol.asyncIterator]();
    // A subscription starts listening when it is first read, as a server reads it at once.
    const first = iterator.next();

    const mutation = `mutation($input: SubmitMetricObservationsInput!) { submitMetricObservations(input: $input) { __typename } }`;
    for (const [index, orgCode] of [
      'SIX_TYPE_OFFICE',
      'PETITION_OFFICE',
      'DISCIPLINE_WORKING_COMMITTEE',
      'SIX_TYPE_OFFICE',
    ].entries()) {
      const executed = await graphql({
        schema,
        source: mutation,
        contextValue: context,
        variableValues: {
          input: {
            idempotencyKey: `sub-${index}`,
            observations: [
              {
                metricCode: 'TEST_FLOW',
                orgCode,
                periodStart: '2012-01-01',
                granularity: 'MONTH',
                value: `${index + 1}`,
                source: 's',
              },
              {
                metricCode: 'TEST_STOCK',
                orgCode,
                periodStart: '2012-01-01',
                granularity: 'MONTH',
                value: '9',
                source: 's',
              },
            ],
          },
        },
      });
      expect(executed.errors).toBeUndefined();
    }
    const received = [];
    received.push((await first).value?.data?.metricUpdated);
    for (let i = 0; i < 2; i += 1) received.push((await iterator.next()).value?.data?.metricUpdated);
    await iterator.return?.();
    // PETITION_OFFICE is outside the subscribed subtree and TEST_STOCK is not subscribed.
    expect(received).toEqual([
      { metricCode: 'TEST_FLOW', orgCode: 'SIX_TYPE_OFFICE', periodLabel: '2012-01', value: '1', revision: 1 },
      {
        metricCode: 'TEST_FLOW',
        orgCode: 'DISCIPLINE_WORKING_COMMITTEE',
        periodLabel: '2012-01',
        value: '3',
        revision: 1,
      },
      { metricCode: 'TEST_FLOW', orgCode: 'SIX_TYPE_OFFICE', periodLabel: '2012-01', value: '4', revision: 2 },
    ]);
  });
});

describe('derived figures', () => {
  it('answer transfers into a unit from the directory’s own data, and take no submissions', async () => {
    const created = await api.execute<{ createMetricDefinition: { __typename: string } }>(
      `mutation { createMetricDefinition(input: { code: "TRANSFERS_IN", name: "调入干部", unit: "人", kind: FLOW,
        aggregation: SUM, direction: HIGHER_IS_BETTER, reportingGranularity: MONTH, derivation: "CADRE_TRANSFERS_IN" }) { __typename } }`,
    );
    expect(dataOf(created).createMetricDefinition.__typename).toBe('CreateMetricDefinitionPayload');
    for (const [employeeNumber, effectiveOn] of [
      ['KFQ-0003', '2012-02-10'],
      ['KFQ-0006', '2012-02-20'],
      ['KFQ-0020', '2012-05-01'],
    ]) {
      const moved = await api.execute<{ transferCadre: { __typename: string } }>(
        `mutation { transferCadre(input: { employeeNumber: "${employeeNumber}", toOrganizationCode: "SIX_TYPE_OFFICE", effectiveOn: "${effectiveOn}" }) { __typename } }`,
      );
      expect(dataOf(moved).transferCadre.__typename).toBe('TransferCadrePayload');
    }
    const { series: result, statements } = await series({
      metricCodes: ['TRANSFERS_IN'],
      orgCode: 'DISCIPLINE_WORKING_COMMITTEE',
      includeDescendants: true,
      from: '2012-01-01',
      to: '2012-06-30',
      granularity: 'QUARTER',
    });
    expect(statements).toHaveLength(1);
    expect(result[0]?.points.map((p) => [p.period.label, p.value, p.source])).toEqual([
      ['2012-Q1', '2', 'derived: CADRE_TRANSFERS_IN'],
      ['2012-Q2', '1', 'derived: CADRE_TRANSFERS_IN'],
    ]);

    const refused = await submit([
      {
        metricCode: 'TRANSFERS_IN',
        orgCode: 'ZONE',
        periodStart: '2012-01-01',
        granularity: 'MONTH',
        value: '9',
        source: 'manual',
      },
    ]);
    expect(refused.errors.map((e) => e.field)).toEqual(['metricCode']);

    const unknown = await api.execute<{ createMetricDefinition: { __typename: string } }>(
      `mutation { createMetricDefinition(input: { code: "NOPE_DERIVED", name: "x", unit: "个", kind: FLOW, aggregation: SUM,
        direction: HIGHER_IS_BETTER, reportingGranularity: MONTH, derivation: "NO_SUCH_DERIVATION" }) { __typename } }`,
    );
    expect(dataOf(unknown).createMetricDefinition.__typename).toBe('ValidationError');
  });
});

describe('campaign figures through the same contract', () => {
  it('counts the activities each unit held, each occurrence of a recurring one in its month', async () => {
    const created = await api.execute<{ createMetricDefinition: { __typename: string } }>(
      `mutation { createMetricDefinition(input: { code: "ACTIVITIES_HELD", name: "开展创建活动", unit: "次", kind: FLOW,
        aggregation: SUM, direction: HIGHER_IS_BETTER, reportingGranularity: MONTH, derivation: "ACTIVITIES_HELD" }) { __typename } }`,
    );
    expect(dataOf(created).createMetricDefinition.__typename).toBe('CreateMetricDefinitionPayload');
    // The reference: every activity's occurrences in 2012 expanded here from its rule (the demo
    // campaign ends on 31 December 2012, so its rules end there too).
    const rows = await api.db
      .select({ startsAt: activities.startsAt, recurrence: activities.recurrence })
      .from(activities);
    const perMonth = new Map<string, number>();
    for (const row of rows) {
      for (const start of expandOccurrences(row.startsAt, row.recurrence, '2012-01-01', '2012-12-31')) {
        const month = zoneDay(start).slice(0, 7);
        perMonth.set(month, (perMonth.get(month) ?? 0) + 1);
      }
    }
    expect(rows.some((row) => row.recurrence !== null)).toBe(true);
    const { series: result, statements } = await series({
      metricCodes: ['ACTIVITIES_HELD'],
      orgCode: 'ZONE',
      includeDescendants: true,
      from: '2012-01-01',
      to: '2012-12-31',
      granularity: 'MONTH',
    });
    expect(statements).toHaveLength(1);
    const months = Array.from({ length: 12 }, (_, i) => `2012-${String(i + 1).padStart(2, '0')}`);
    expect(result[0]?.points.map((point) => point.value)).toEqual(
      months.map((month) => (perMonth.has(month) ? String(perMonth.get(month)) : null)),
    );
    // The weekly language day alone is held four or five times a month.
    expect(Math.min(...months.map((month) => perMonth.get(month) ?? 0))).toBeGreaterThanOrEqual(4);
  });
});
