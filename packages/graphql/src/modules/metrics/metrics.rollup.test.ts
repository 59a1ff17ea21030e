import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACCESS } from '../../context.ts';
import { dataOf, errorCodes, openTestApi, type TestApi } from '../../test-support.ts';
import { rowsOf } from '../common/rows.ts';
import { createMetricDefinition, type ObservationInput, submitObservations } from './metrics.service.ts';
import { learnMetrics } from './series.ts';

// The rules of README's "Rollup rules" table, one test each. Every figure here is checked by hand.

let api: TestApi;

type Kind = 'FLOW' | 'STOCK' | 'RATIO';
type Aggregation = 'SUM' | 'AVG' | 'MAX' | 'MIN' | 'NONE';

async function define(code: string, kind: Kind, aggregation: Aggregation, extra: Record<string, unknown> = {}) {
  await createMetricDefinition(api.db, SYSTEM_ACCESS.actor, {
    code,
    name: code,
    unit: '个',
    kind,
    aggregation,
    direction: 'HIGHER_IS_BETTER',
    reportingGranularity: 'MONTH',
    ...extra,
  });
}

let keyCounter = 0;
async function report(metricCode: string, orgCode: string, figures: Record<string, string>) {
  keyCounter += 1;
  const observations: ObservationInput[] = Object.entries(figures).map(([month, value]) => ({
    metricCode,
    orgCode,
    periodStart: `${month}-01`,
    granularity: 'MONTH',
    value,
    source: orgCode.toLowerCase(),
  }));
  const result = await submitObservations(api.db, SYSTEM_ACCESS, {
    idempotencyKey: `rollup-${keyCounter}`,
    observations,
  });
  expect(result.errors).toEqual([]);
}

interface Point {
  period: { label: string };
  value: string | null;
  target: string | null;
  priorYearValue: string | null;
  yoyGrowth: string | null;
  yearToDate: string | null;
  periodsReported: number;
  periodsExpected: number;
}

const SERIES = /* GraphQL */ `
  query($input: MetricSeriesInput!) {
    metricSeries(input: $input) {
      metric { code }
      points { period { label } value target priorYearValue yoyGrowth yearToDate periodsReported periodsExpected }
    }
  }`;

async function seriesOf(input: Record<string, unknown>) {
  const executed = await api.execute<{ metricSeries: { metric: { code: string }; points: Point[] }[] }>(SERIES, {
    input: { includeDescendants: false, granularity: 'QUARTER', ...input },
  });
  expect(executed.statements).toHaveLength(1);
  return dataOf(executed).metricSeries;
}

const quarterValue = async (metricCode: string, orgCode: string, includeDescendants: boolean, quarter = '2025-01-01') =>
  (await seriesOf({ metricCodes: [metricCode], orgCode, includeDescendants, from: quarter, to: quarter }))[0]?.points[0]
    ?.value;

beforeAll(async () => {
  api = await openTestApi();
});
afterAll(async () => {
  await api.close();
});

/** A STOCK summed across units: finance reports January to March, civil affairs January and February. */
async function stockOfTwoUnits() {
  await define('R_STOCK', 'STOCK', 'SUM');
  await report('R_STOCK', 'FINANCE_BUREAU', { '2025-01': '10', '2025-02': '11', '2025-03': '12' });
  await report('R_STOCK', 'CIVIL_AFFAIRS_BUREAU', { '2025-01': '5', '2025-02': '6' });
}

describe('across time', () => {
  it('STOCK takes each unit’s last reported month, then adds the units: a unit that reports late still counts', async () => {
    await stockOfTwoUnits();
    // 12 (finance, March) + 6 (civil affairs, February); the month-by-month rollup answered 12.
    expect(await quarterValue('R_STOCK', 'ZONE', true)).toBe('18');
  });

  it('year to date keeps a unit that skipped a month, by kind, from the year’s first month even when asked from later', async () => {
    await define('R_YTD_FLOW', 'FLOW', 'SUM');
    await define('R_YTD_STOCK', 'STOCK', 'SUM');
    await define('R_YTD_RATE', 'RATIO', 'AVG');
    for (const code of ['R_YTD_FLOW', 'R_YTD_STOCK', 'R_YTD_RATE']) {
      await report(code, 'FINANCE_BUREAU', { '2025-01': '10', '2025-03': '30' });
      await report(code, 'CIVIL_AFFAIRS_BUREAU', { '2025-01': '1', '2025-02': '2', '2025-03': '3' });
    }
    const series = await seriesOf({
      metricCodes: ['R_YTD_FLOW', 'R_YTD_STOCK', 'R_YTD_RATE'],
      orgCode: 'ZONE',
      includeDescendants: true,
      granularity: 'MONTH',
      from: '2025-02-01',
      to: '2025-03-31',
    });
    const ytd = Object.fromEntries(series.map((s) => [s.metric.code, s.points.map((p) => p.yearToDate)]));
    expect(ytd).toEqual({
      // February: finance's January 10 still counts (10 + 1 + 2); March adds 30 and 3.
      R_YTD_FLOW: ['13', '46'],
      // February: finance's last figure is January's 10, civil affairs' is 2.
      R_YTD_STOCK: ['12', '33'],
      // Each unit's average so far (10, then 20; 1.5, then 2), averaged across the two units.
      R_YTD_RATE: ['5.75', '11'],
    });
  });

  it('names each source once per point, however many units report under it', async () => {
    await define('R_SOURCES', 'FLOW', 'SUM');
    await report('R_SOURCES', 'FINANCE_BUREAU', { '2025-01': '1' });
    await report('R_SOURCES', 'CIVIL_AFFAIRS_BUREAU', { '2025-01': '2' });
    const keyed = await submitObservations(api.db, SYSTEM_ACCESS, {
      idempotencyKey: 'rollup-sources',
      observations: ['FINANCE_BUREAU', 'CIVIL_AFFAIRS_BUREAU'].map((orgCode) => ({
        metricCode: 'R_SOURCES',
        orgCode,
        periodStart: '2025-02-01',
        granularity: 'MONTH' as const,
        value: '1',
        source: '统计局（演示）',
      })),
    });
    expect(keyed.errors).toEqual([]);
    const executed = await api.execute<{ metricSeries: { points: { source: string | null }[] }[] }>(
      `query($input: MetricSeriesInput!) { metricSeries(input: $input) { points { source } } }`,
      {
        input: {
          metricCodes: ['R_SOURCES'],
          orgCode: 'ZONE',
          includeDescendants: true,
          granularity: 'MONTH',
          from: '2025-01-01',
          to: '2025-02-28',
        },
      },
    );
    expect(dataOf(executed).metricSeries[0]?.points.map((p) => p.source)).toEqual([
      'civil_affairs_bureau; finance_bureau',
      '统计局（演示）',
    ]);
  });

  it('RATIO naming a numerator and a denominator is recomputed from their rollups, not averaged', async () => {
    await define('R_SUPPORTED', 'STOCK', 'SUM');
    await define('R_ELIGIBLE', 'STOCK', 'SUM');
    await define('R_SUPPORT_RATE', 'RATIO', 'AVG', {
      numeratorMetricCode: 'R_SUPPORTED',
      denominatorMetricCode: 'R_ELIGIBLE',
      ratioMultiplier: '100',
    });
    await report('R_SUPPORTED', 'EAST_SUBDISTRICT_OFFICE', { '2025-03': '1' });
    await report('R_ELIGIBLE', 'EAST_SUBDISTRICT_OFFICE', { '2025-03': '4' });
    await report('R_SUPPORTED', 'WEST_SUBDISTRICT_OFFICE', { '2025-03': '9' });
    await report('R_ELIGIBLE', 'WEST_SUBDISTRICT_OFFICE', { '2025-03': '12' });
    // (1 + 9) ÷ (4 + 12) × 100; the average of the two units' rates (25% and 75%) would be 50.
    expect(await quarterValue('R_SUPPORT_RATE', 'ZONE', true)).toBe('62.5');
    expect(await quarterValue('R_SUPPORT_RATE', 'EAST_SUBDISTRICT_OFFICE', false)).toBe('25');
    const definition = await api.execute<{
      metricDefinition: { numeratorMetricCode: string; denominatorMetricCode: string; ratioMultiplier: string };
    }>(`{ metricDefinition(code: "R_SUPPORT_RATE") { numeratorMetricCode denominatorMetricCode ratioMultiplier } }`);
    expect(dataOf(definition).metricDefinition).toEqual({
      numeratorMetricCode: 'R_SUPPORTED',
      denominatorMetricCode: 'R_ELIGIBLE',
      ratioMultiplier: '100',
    });
  });

  it('RATIO without parts averages the reported values; a RATIO summed across units is refused when defined', async () => {
    await define('R_RATE', 'RATIO', 'AVG');
    await report('R_RATE', 'FINANCE_BUREAU', { '2025-01': '50', '2025-02': '70' });
    expect(await quarterValue('R_RATE', 'FINANCE_BUREAU', false)).toBe('60');
    const refused = await api.execute<{
      createMetricDefinition: { __typename: string; fieldErrors?: { path: string[] }[] };
    }>(
      `mutation { createMetricDefinition(input: { code: "R_SUMMED_RATE", name: "x", unit: "%", kind: RATIO, aggregation: SUM,
        direction: HIGHER_IS_BETTER, reportingGranularity: MONTH }) { __typename ... on ValidationError { fieldErrors { path } } } }`,
    );
    expect(dataOf(refused).createMetricDefinition).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['input', 'aggregation'] }],
    });
    const updated = await api.execute<{ updateMetricDefinition: { __typename: string } }>(
      `mutation { updateMetricDefinition(input: { code: "R_RATE", aggregation: SUM }) { __typename } }`,
    );
    expect(dataOf(updated).updateMetricDefinition.__typename).toBe('ValidationError');
  });
});

describe('across the subtree', () => {
  // Finance reports 2, 1, 3 (6 in the quarter); civil affairs 1 and 5 and nothing in March (6).
  // Investment promotion reports 10 in January. Taking the aggregate month by month and then over
  // the quarter gave AVG 10.33, MAX 18, MIN 5.
  const figures = async (code: string) => {
    await report(code, 'FINANCE_BUREAU', { '2025-01': '2', '2025-02': '1', '2025-03': '3' });
    await report(code, 'CIVIL_AFFAIRS_BUREAU', { '2025-01': '1', '2025-02': '5' });
    await report(code, 'INVESTMENT_PROMOTION_BUREAU', { '2025-01': '10' });
  };

  it.each([
    ['AVG', '7.3333333333333333'],
    ['MAX', '10'],
    ['MIN', '6'],
    ['SUM', '22'],
  ] as const)('FLOW with %s: each unit’s quarter first, then across units', async (aggregation, expected) => {
    const code = `R_FLOW_${aggregation}`;
    await define(code, 'FLOW', aggregation);
    await figures(code);
    expect(await quarterValue(code, 'ZONE', true)).toBe(expected);
  });

  it('NONE takes the unit’s own figure and ignores the units below it', async () => {
    await define('R_FLOW_NONE', 'FLOW', 'NONE');
    await figures('R_FLOW_NONE');
    expect(await quarterValue('R_FLOW_NONE', 'ZONE', true)).toBeNull();
    await report('R_FLOW_NONE', 'ZONE', { '2025-01': '100', '2025-02': '1' });
    expect(await quarterValue('R_FLOW_NONE', 'ZONE', true)).toBe('101');
  });

  it('reportedAs OWN adds a unit and the units below it; TOTAL counts a unit’s figure once, never again below', async () => {
    await define('R_OWN', 'FLOW', 'SUM');
    await define('R_TOTAL', 'FLOW', 'SUM', { reportedAs: 'TOTAL' });
    for (const code of ['R_OWN', 'R_TOTAL']) {
      await report(code, 'DISCIPLINE_WORKING_COMMITTEE', { '2025-01': '10' });
      await report(code, 'SIX_TYPE_OFFICE', { '2025-01': '4' });
      await report(code, 'FINANCE_BUREAU', { '2025-01': '3' });
    }
    expect(await quarterValue('R_OWN', 'ZONE', true)).toBe('17');
    expect(await quarterValue('R_OWN', 'DISCIPLINE_WORKING_COMMITTEE', true)).toBe('14');
    // The committee's 10 already holds the office's 4.
    expect(await quarterValue('R_TOTAL', 'ZONE', true)).toBe('13');
    expect(await quarterValue('R_TOTAL', 'DISCIPLINE_WORKING_COMMITTEE', true)).toBe('10');
    expect(await quarterValue('R_TOTAL', 'SIX_TYPE_OFFICE', true)).toBe('4');
    // Where the committee has not reported, the office's own total stands in for that branch.
    await define('R_TOTAL_LEAF', 'FLOW', 'SUM', { reportedAs: 'TOTAL' });
    await report('R_TOTAL_LEAF', 'SIX_TYPE_OFFICE', { '2025-01': '4' });
    await report('R_TOTAL_LEAF', 'FINANCE_BUREAU', { '2025-01': '3' });
    expect(await quarterValue('R_TOTAL_LEAF', 'ZONE', true)).toBe('7');
  });

  it('a ranking ranks each unit by the same rules as that unit’s series', async () => {
    await stockOfTwoUnits();
    const ranking = await api.execute<{
      metricRanking: { entries: { orgCode: string; value: string | null; rank: number | null }[] };
    }>(
      `{ metricRanking(input: { metricCode: "R_STOCK", granularity: QUARTER, periodStart: "2025-01-01" }) { entries { orgCode value rank } } }`,
    );
    expect(ranking.statements).toHaveLength(1);
    const ranked = dataOf(ranking).metricRanking.entries.filter((entry) => entry.value !== null);
    expect(ranked).toEqual([
      { orgCode: 'FINANCE_BUREAU', value: '12', rank: 1 },
      { orgCode: 'CIVIL_AFFAIRS_BUREAU', value: '6', rank: 2 },
    ]);
    for (const entry of ranked) expect(await quarterValue('R_STOCK', entry.orgCode, true)).toBe(entry.value);
  });
});

describe('the steps a statement carries', () => {
  // The zone's first quarter of 2025 with its subtree, by SERIES or another document.
  const zoneQuarter = <T = { metricSeries: { points: Point[] }[] }>(metricCode: string, document = SERIES) =>
    api.execute<T>(document, {
      input: {
        metricCodes: [metricCode],
        orgCode: 'ZONE',
        includeDescendants: true,
        granularity: 'QUARTER',
        from: '2025-01-01',
        to: '2025-01-01',
      },
    });
  const totalWindow = /array_agg\(r\.path\)/;
  /** The committee reports 10, which (reported as TOTAL) holds the office's 4 below it. */
  const committeeOverOffice = async (code: string) => {
    await report(code, 'DISCIPLINE_WORKING_COMMITTEE', { '2025-01': '10' });
    await report(code, 'SIX_TYPE_OFFICE', { '2025-01': '4' });
  };

  it('leaves the TOTAL window out once a metric is known to be reported as OWN, and keeps it for TOTAL', async () => {
    await define('R_STEPS_OWN', 'FLOW', 'SUM');
    await define('R_STEPS_TOTAL', 'FLOW', 'SUM', { reportedAs: 'TOTAL' });
    for (const code of ['R_STEPS_OWN', 'R_STEPS_TOTAL']) await committeeOverOffice(code);
    for (const [code, value] of [
      ['R_STEPS_OWN', '14'],
      ['R_STEPS_TOTAL', '10'],
    ] as const) {
      // Not known yet: every step; then only what the metric needs.
      const first = await zoneQuarter(code);
      const second = await zoneQuarter(code);
      for (const executed of [first, second]) {
        expect(executed.statements).toHaveLength(1);
        expect(dataOf(executed).metricSeries[0]?.points[0]?.value).toBe(value);
      }
      expect(first.statements[0]).toMatch(totalWindow);
      if (code === 'R_STEPS_OWN') expect(second.statements[0]).not.toMatch(totalWindow);
      else expect(second.statements[0]).toMatch(totalWindow);
    }
  });

  it('runs the statement again with every step when a metric was learned as something else', async () => {
    // As if another database had a metric of this code reported as OWN (tests open many).
    learnMetrics([
      {
        code: 'R_STEPS_STALE',
        derivation: null,
        reportedAs: 'OWN',
        numeratorMetricCode: null,
        denominatorMetricCode: null,
      },
    ]);
    await define('R_STEPS_STALE', 'FLOW', 'SUM', { reportedAs: 'TOTAL' });
    await committeeOverOffice('R_STEPS_STALE');
    // With the unit selected too: the second statement plans it again.
    const stale = await zoneQuarter<{ metricSeries: { organization: { code: string }; points: Point[] }[] }>(
      'R_STEPS_STALE',
      `query($input: MetricSeriesInput!) { metricSeries(input: $input) { organization { code } points { value } } }`,
    );
    expect(stale.statements).toHaveLength(2);
    expect(stale.statements[0]).not.toMatch(totalWindow);
    expect(stale.statements[1]).toMatch(totalWindow);
    expect(dataOf(stale).metricSeries).toEqual([{ organization: { code: 'ZONE' }, points: [{ value: '10' }] }]);
    const relearned = await zoneQuarter('R_STEPS_STALE');
    expect(relearned.statements).toHaveLength(1);
    expect(dataOf(relearned).metricSeries[0]?.points[0]?.value).toBe('10');
  });
});

describe('partial periods and YoY', () => {
  it('says how complete a point is and compares an unfinished quarter with the same months a year earlier', async () => {
    await define('R_PARTIAL', 'FLOW', 'SUM');
    await report('R_PARTIAL', 'FINANCE_BUREAU', { '2024-01': '10', '2024-02': '10', '2024-03': '30' });
    await report('R_PARTIAL', 'FINANCE_BUREAU', { '2025-01': '12', '2025-02': '13' });
    const [series] = await seriesOf({
      metricCodes: ['R_PARTIAL'],
      orgCode: 'FINANCE_BUREAU',
      from: '2024-01-01',
      to: '2025-03-31',
    });
    const q1 = series?.points.filter((point) => point.period.label.endsWith('Q1'));
    expect(q1?.map((point) => [point.period.label, point.value, point.periodsReported, point.periodsExpected])).toEqual(
      [
        ['2024-Q1', '50', 3, 3],
        ['2025-Q1', '25', 2, 3],
      ],
    );
    // 25 against January and February 2024 (20), not against the whole quarter (50).
    expect(q1?.[1]).toMatchObject({ priorYearValue: '20', yoyGrowth: '0.25' });
  });

  it('divides by the prior value’s magnitude, so growth from a loss is positive', async () => {
    await define('R_SIGNED', 'FLOW', 'SUM');
    await report('R_SIGNED', 'FINANCE_BUREAU', { '2024-01': '-10', '2025-01': '5' });
    const [series] = await seriesOf({
      metricCodes: ['R_SIGNED'],
      orgCode: 'FINANCE_BUREAU',
      from: '2025-01-01',
      to: '2025-01-31',
      granularity: 'MONTH',
    });
    expect(series?.points[0]).toMatchObject({ value: '5', priorYearValue: '-10', yoyGrowth: '1.5' });
  });
});

describe('asOf', () => {
  it('reads the target as it stood then', async () => {
    await define('R_TARGETED', 'FLOW', 'SUM');
    await report('R_TARGETED', 'FINANCE_BUREAU', { '2025-01': '90' });
    const setTarget = (value: string) =>
      api.execute(
        `mutation { setMetricTarget(input: { metricCode: "R_TARGETED", orgCode: "FINANCE_BUREAU", granularity: QUARTER, periodStart: "2025-01-01", value: "${value}" }) { __typename } }`,
      );
    await setTarget('100');
    const [{ now } = { now: '' }] = rowsOf<{ now: string }>(await api.db.execute(sql`select clock_timestamp() as now`));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await setTarget('200');
    const input = { metricCodes: ['R_TARGETED'], orgCode: 'FINANCE_BUREAU', from: '2025-01-01', to: '2025-03-31' };
    expect((await seriesOf(input))[0]?.points[0]?.target).toBe('200');
    const then = (await seriesOf({ ...input, asOf: new Date(now).toISOString() }))[0]?.points[0];
    expect(then?.target).toBe('100');
    const [{ n } = { n: 0 }] = rowsOf<{ n: number }>(
      await api.db.execute(
        sql`select count(*)::int as n from metric_targets t join metric_definitions m on m.id = t.metric_id where m.code = 'R_TARGETED'`,
      ),
    );
    expect(n).toBe(2);
  });

  it('refuses a derived figure, which has no history', async () => {
    await define('R_TRANSFERS', 'FLOW', 'SUM', { derivation: 'CADRE_TRANSFERS_IN' });
    const refused = await api.execute(SERIES, {
      input: {
        metricCodes: ['R_TRANSFERS'],
        orgCode: 'ZONE',
        from: '2012-01-01',
        to: '2012-03-31',
        granularity: 'QUARTER',
        asOf: '2013-01-01T00:00:00Z',
      },
    });
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.result.errors?.[0]?.message).toContain('asOf');
  });
});

describe('the request', () => {
  it('answers the series in the order the codes were given', async () => {
    const series = await seriesOf({
      metricCodes: ['PETITIONS_TO_CAPITAL_OR_PROVINCE', 'FISCAL_REVENUE_TOTAL', 'LOCAL_FISCAL_REVENUE'],
      orgCode: 'ZONE',
      from: '2012-01-01',
      to: '2012-03-31',
    });
    expect(series.map((s) => s.metric.code)).toEqual([
      'PETITIONS_TO_CAPITAL_OR_PROVINCE',
      'FISCAL_REVENUE_TOTAL',
      'LOCAL_FISCAL_REVENUE',
    ]);
  });

  it('refuses a quarterly figure asked for by month, naming its granularity', async () => {
    const refused = await api.execute(SERIES, {
      input: {
        metricCodes: ['LOCAL_FISCAL_REVENUE'],
        orgCode: 'ZONE',
        from: '2012-01-01',
        to: '2012-03-31',
        granularity: 'MONTH',
        includeDescendants: false,
      },
    });
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.result.errors?.[0]?.message).toContain('LOCAL_FISCAL_REVENUE is reported by QUARTER');
  });
});

describe('derived figures', () => {
  it('ACTIVITIES_HELD counts no occurrence that has not begun', async () => {
    await define('R_HELD', 'FLOW', 'SUM', { derivation: 'ACTIVITIES_HELD' });
    await api.db.execute(sql`
      insert into activities (campaign_id, organizer_organization_id, kind, title, starts_at)
      select c.id, o.id, 'DISPATCH_MEETING', t.title, t.starts_at
      from campaigns c, organizations o,
           (values ('held', now() - interval '1 minute'), ('not yet', now() + interval '1 hour')) t(title, starts_at)
      where c.code = 'SIX_TYPE_2012' and o.code = 'FAMILY_PLANNING_OFFICE'`);
    const year = new Date().getUTCFullYear();
    const [series] = await seriesOf({
      metricCodes: ['R_HELD'],
      orgCode: 'FAMILY_PLANNING_OFFICE',
      from: `${year}-01-01`,
      to: `${year}-12-31`,
      granularity: 'YEAR',
    });
    expect(series?.points[0]?.value).toBe('1');
  });

  it('PROBLEMS_CLOSED counts a problem once, in the month of its last close, and not while it is reopened', async () => {
    await define('R_CLOSED', 'FLOW', 'SUM', { derivation: 'PROBLEMS_CLOSED' });
    const [problem] = rowsOf<{ id: number; organization_id: number }>(
      await api.db.execute(sql`
        insert into problems (campaign_id, organization_id, category_id, source, description, severity, state)
        select c.id, o.id, pc.id, 'SELF_CHECK', 'demo: closed, reopened, closed again', 'LOW', 'CLOSED'
        from campaigns c, organizations o, problem_categories pc
        where c.code = 'SIX_TYPE_2012' and o.code = 'PETITION_OFFICE' and pc.code = 'LAXITY'
        returning id, organization_id`),
    );
    const transition = (from: string, to: string, at: string) =>
      api.db.execute(sql`
        insert into problem_transitions (problem_id, from_state, to_state, actor_kind, occurred_at)
        values (${problem?.id}, ${from}::problem_state, ${to}::problem_state, 'SYSTEM', ${at}::timestamptz)`);
    await transition('AWAITING_ACCEPTANCE', 'CLOSED', '2023-01-10T02:00:00Z');
    await transition('CLOSED', 'REOPENED', '2023-02-10T02:00:00Z');
    await transition('AWAITING_ACCEPTANCE', 'CLOSED', '2023-03-10T02:00:00Z');
    const monthly = async () =>
      (
        await seriesOf({
          metricCodes: ['R_CLOSED'],
          orgCode: 'PETITION_OFFICE',
          from: '2023-01-01',
          to: '2023-03-31',
          granularity: 'MONTH',
        })
      )[0]?.points.map((point) => point.value);
    expect(await monthly()).toEqual([null, null, '1']);
    await api.db.execute(sql`update problems set state = 'REOPENED' where id = ${problem?.id}`);
    expect(await monthly()).toEqual([null, null, null]);
  });

  it('STUDY_COMPLIANCE_RATE covers the unit alone, or its subtree with includeDescendants', async () => {
    await define('R_COMPLIANCE', 'STOCK', 'NONE', { derivation: 'STUDY_COMPLIANCE_RATE:SIX_TYPE_2012' });
    // The reference: the share of compliant cadres in studyCompliance, for the same units.
    const rate = async (includeDescendants: boolean) => {
      const executed = await api.execute<{ all: { totalCount: number }; lagging: { totalCount: number } }>(
        `query($d: Boolean!) {
          all: studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: "ZONE", includeDescendants: $d) { totalCount }
          lagging: studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: "ZONE", includeDescendants: $d, onlyNonCompliant: true) { totalCount }
        }`,
        { d: includeDescendants },
      );
      const { all, lagging } = dataOf(executed);
      return all.totalCount === 0
        ? null
        : (Math.round((10_000 * (all.totalCount - lagging.totalCount)) / all.totalCount) / 100).toString();
    };
    const december = async (includeDescendants: boolean) =>
      (
        await seriesOf({
          metricCodes: ['R_COMPLIANCE'],
          orgCode: 'ZONE',
          includeDescendants,
          from: '2012-12-01',
          to: '2012-12-31',
          granularity: 'MONTH',
        })
      )[0]?.points[0]?.value ?? null;
    const alone = await rate(false);
    const withSubtree = await rate(true);
    expect(alone).not.toEqual(withSubtree);
    expect(await december(false)).toBe(alone);
    expect(await december(true)).toBe(withSubtree);
  });
});
