import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, dataOf, errorCodes, openTestApi, type TestApi, userViewer } from '../../test-support.ts';
import { parseReportPeriod } from './period.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe('report periods', () => {
  it('reads a year, a quarter, a month and a range, labelled like metricSeries', () => {
    expect(parseReportPeriod('2012-Q1')).toEqual({
      label: '2012-Q1',
      granularity: 'QUARTER',
      isRange: false,
      start: '2012-01-01',
      end: '2012-03-31',
    });
    expect(parseReportPeriod('2012-02')).toMatchObject({
      granularity: 'MONTH',
      start: '2012-02-01',
      end: '2012-02-29',
    });
    expect(parseReportPeriod('2012')).toMatchObject({ granularity: 'YEAR', start: '2012-01-01', end: '2012-12-31' });
    expect(parseReportPeriod('2012-01-15..2012-03-10')).toMatchObject({
      granularity: 'MONTH',
      isRange: true,
      start: '2012-01-15',
      end: '2012-03-10',
    });
  });

  it.each(['2012-Q5', '2012-13', '2012-02-30..2012-03-01', '2012-03-01..2012-01-01', 'Q1', '2010-01-01..2013-01-01'])(
    'refuses %s as BAD_USER_INPUT',
    (text) => {
      expect(() => parseReportPeriod(text)).toThrow(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
      );
    },
  );
});

const SCOPE = /* GraphQL */ `
  query Scope($orgCode: String!, $period: String!, $campaignCode: String! = "SIX_TYPE_2012") {
    campaignReport(campaignCode: $campaignCode, orgCode: $orgCode, period: $period) {
      orgCode orgName includeDescendants
      period { label granularity start end }
      pdf: downloadUrl
      html: downloadUrl(format: HTML)
    }
  }
`;

describe('campaignReport', () => {
  it('checks the unit in one statement and names the downloads', async () => {
    const executed = await api.execute(SCOPE, { orgCode: 'ZONE', period: '2012-Q1' });
    expect(dataOf(executed)).toEqual({
      campaignReport: {
        orgCode: 'ZONE',
        orgName: '经济开发区',
        includeDescendants: true,
        period: { label: '2012-Q1', granularity: 'QUARTER', start: '2012-01-01', end: '2012-03-31' },
        pdf: '/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf',
        html: '/reports/SIX_TYPE_2012/ZONE/2012-Q1.html',
      },
    });
    expect(executed.statements).toHaveLength(1);
  });

  it('is FORBIDDEN for a unit outside a manager’s subtree, and answers for their own', async () => {
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'INVESTMENT_PROMOTION_BUREAU' });
    expect(errorCodes(await api.execute(SCOPE, { orgCode: 'ZONE', period: '2012-Q1' }, manager))).toEqual([
      'FORBIDDEN',
    ]);
    const own = await api.execute(SCOPE, { orgCode: 'INVESTMENT_PROMOTION_BUREAU', period: '2012-Q1' }, manager);
    expect((dataOf(own) as { campaignReport: { orgName: string } }).campaignReport.orgName).toBe('区招商局');
    expect(errorCodes(await api.execute(SCOPE, { orgCode: 'ZONE', period: '2012-Q1' }, ANONYMOUS))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('tells an unknown unit or campaign and a bad period apart', async () => {
    expect(errorCodes(await api.execute(SCOPE, { orgCode: 'NO_SUCH_UNIT', period: '2012-Q1' }))).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(await api.execute(SCOPE, { orgCode: 'ZONE', period: '2012-Q1', campaignCode: 'NO_SUCH_CAMPAIGN' })),
    ).toEqual(['NOT_FOUND']);
    expect(errorCodes(await api.execute(SCOPE, { orgCode: 'ZONE', period: '2012-Q7' }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('figures the report reads', () => {
  it('activityCounts: sessions held in one statement, as many as the activities’ occurrences in the range', async () => {
    const executed = await api.execute<{
      activityCounts: { held: number; activities: number; byKind: { kind: string; held: number }[] };
    }>(/* GraphQL */ `
      {
        activityCounts(orgCode: "ZONE", from: "2012-01-01", to: "2012-03-31") {
          held activities byKind { kind held } byDimension { code held }
        }
      }
    `);
    const { activityCounts } = dataOf(executed);
    expect(executed.statements).toHaveLength(1);
    const listed = dataOf<{ activities: { nodes: { kind: string; occurrences: string[] }[] } }>(
      await api.execute(/* GraphQL */ `
        {
          activities(orgCode: "ZONE", includeDescendants: true, from: "2012-01-01", to: "2012-03-31", first: 100) {
            nodes { kind occurrences(from: "2012-01-01", to: "2012-03-31") }
          }
        }
      `),
    ).activities.nodes.filter((activity) => activity.occurrences.length > 0);
    const heldByKind = new Map<string, number>();
    for (const activity of listed) {
      heldByKind.set(activity.kind, (heldByKind.get(activity.kind) ?? 0) + activity.occurrences.length);
    }
    expect(activityCounts.held).toBeGreaterThan(0);
    expect(activityCounts.activities).toBe(listed.length);
    expect(new Map(activityCounts.byKind.map((kind) => [kind.kind, kind.held]))).toEqual(heldByKind);
    expect(activityCounts.byKind.reduce((sum, kind) => sum + kind.held, 0)).toBe(activityCounts.held);
  });

  it('problemCounts: closed per category adds up to the CLOSED state', async () => {
    const { problemCounts } = dataOf(
      await api.execute<{
        problemCounts: { byCategory: { closed: number }[]; byState: { state: string; count: number }[] };
      }>(
        `{ problemCounts(campaignCode: "SIX_TYPE_2012", orgCode: "ZONE") { byCategory { closed } byState { state count } } }`,
      ),
    );
    const closed = problemCounts.byState.find((state) => state.state === 'CLOSED')?.count ?? 0;
    expect(closed).toBeGreaterThan(0);
    expect(problemCounts.byCategory.reduce((sum, category) => sum + category.closed, 0)).toBe(closed);
  });

  it('organizationsWithoutLeadingGroup: within one unit', async () => {
    const all = dataOf<{ organizationsWithoutLeadingGroup: { code: string }[] }>(
      await api.execute(`{ organizationsWithoutLeadingGroup(campaignCode: "SIX_TYPE_2012") { code } }`),
    ).organizationsWithoutLeadingGroup;
    const one = all[0]?.code as string;
    const within = dataOf<{ organizationsWithoutLeadingGroup: { code: string }[] }>(
      await api.execute(
        `{ organizationsWithoutLeadingGroup(campaignCode: "SIX_TYPE_2012", orgCode: "${one}") { code } }`,
      ),
    ).organizationsWithoutLeadingGroup;
    expect(all.length).toBeGreaterThan(1);
    expect(within.map((unit) => unit.code)).toEqual([one]);
  });
});
