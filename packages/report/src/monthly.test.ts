import { auditEvents, fixClock, generatedReports, resetClock, webhookDeliveries } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import {
  createWebhookEndpoint,
  type GraphQLContext,
  loadTokenSecret,
  SYSTEM_ACCESS,
  schema,
  webhookSettingsOf,
} from '@sixtype/graphql';
import { eq } from 'drizzle-orm';
import { execute, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMonthlyReports, readGeneratedReport } from './monthly.ts';
import { markdownRow } from './testing.ts';

let database: TestDatabase;
let context: GraphQLContext;
/** What the job's first run for March answered; every test reads what that run stored. */
let firstRun: Awaited<ReturnType<typeof generateMonthlyReports>>;

async function api<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await execute({ schema, document: parse(query), variableValues: variables, contextValue: context });
  expect(result.errors).toBeUndefined();
  return result.data as T;
}

const reportReadyRows = () =>
  database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventType, 'REPORT_READY'));

beforeAll(async () => {
  // The 1st of April 2012 in the zone: the job reports March 2012.
  fixClock('2012-04-01T06:00:00+08:00');
  database = await openTestDatabase();
  context = { db: database.db, viewer: { kind: 'SYSTEM', name: 'test' }, requestId: 'test' };
  const settings = webhookSettingsOf({}, await loadTokenSecret(database.db));
  await createWebhookEndpoint(database.db, SYSTEM_ACCESS.actor, settings, {
    url: 'https://oa.example/hooks',
    eventTypes: ['REPORT_READY'],
  });
  // The demo's headline figures are reported by quarter; a monthly one shows in a monthly report.
  await api(`mutation { createMetricDefinition(input: { code: "MONTHLY_VISITS", name: "走访企业户数", unit: "户",
    kind: FLOW, aggregation: SUM, direction: HIGHER_IS_BETTER, reportingGranularity: MONTH, headline: true }) { __typename } }`);
  await api(`mutation { submitMetricObservations(input: { idempotencyKey: "monthly-report-test", observations: [
    { metricCode: "MONTHLY_VISITS", orgCode: "ZONE", periodStart: "2012-03-01", granularity: MONTH, value: "37",
      source: "monthly report test" } ] }) { __typename } }`);
  firstRun = await generateMonthlyReports(database.db);
}, 180_000);

afterAll(async () => {
  await database?.close();
  resetClock();
});

describe('the monthly report job on the demo data, on 1 April 2012', () => {
  it('stores the zone’s March report, holding the month’s figures as the API returns them', async () => {
    expect(firstRun).toEqual({ period: '2012-03', written: [{ campaignCode: 'SIX_TYPE_2012', orgCode: 'ZONE' }] });

    const rows = await database.db.select().from(generatedReports);
    expect(rows.map((row) => [row.periodLabel, row.format]).sort()).toEqual([
      ['2012-03', 'html'],
      ['2012-03', 'md'],
      ['2012-03', 'pdf'],
    ]);
    const pdf = await readGeneratedReport(database.db, {
      campaignCode: 'SIX_TYPE_2012',
      orgCode: 'ZONE',
      period: '2012-03',
      format: 'pdf',
    });
    expect(pdf?.content.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const file = await readGeneratedReport(database.db, {
      campaignCode: 'SIX_TYPE_2012',
      orgCode: 'ZONE',
      period: '2012-03',
      format: 'md',
    });
    const markdown = file?.content.toString('utf8') ?? '';
    expect(markdown).toContain('# ');
    expect(markdown).toContain('2012-03');

    const { metricSeries } = await api<{
      metricSeries: { metric: { name: string }; points: { value: string | null }[] }[];
    }>(`{ metricSeries(input: { metricCodes: ["MONTHLY_VISITS"], orgCode: "ZONE", includeDescendants: true,
          from: "2012-03-01", to: "2012-03-31", granularity: MONTH }) { metric { name } points { value } } }`);
    const visits = metricSeries[0];
    expect(visits?.points[0]?.value).toBe('37');
    expect(markdownRow(markdown, visits?.metric.name ?? '')?.[1]).toBe('37');

    const { activityCounts } = await api<{ activityCounts: { held: number; activities: number } }>(
      `{ activityCounts(campaignCode: "SIX_TYPE_2012", orgCode: "ZONE", includeDescendants: true,
           from: "2012-03-01", to: "2012-03-31") { held activities } }`,
    );
    expect(activityCounts.held).toBeGreaterThan(0);
    expect(markdown).toContain(`本期共开展活动 ${activityCounts.held} 次（涉及 ${activityCounts.activities} 项活动`);
  });

  it('enqueues one report.ready event naming the campaign, unit, period and the download link', async () => {
    const deliveries = await reportReadyRows();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.payload).toMatchObject({
      type: 'report.ready',
      data: {
        campaignCode: 'SIX_TYPE_2012',
        organizationCode: 'ZONE',
        period: '2012-03',
        periodStart: '2012-03-01',
        periodEnd: '2012-03-31',
        downloadUrl: '/reports/generated/SIX_TYPE_2012/ZONE/2012-03.pdf',
        downloads: {
          md: '/reports/generated/SIX_TYPE_2012/ZONE/2012-03.md',
          html: '/reports/generated/SIX_TYPE_2012/ZONE/2012-03.html',
          pdf: '/reports/generated/SIX_TYPE_2012/ZONE/2012-03.pdf',
        },
      },
    });
  });

  it('run again for the same month, stores nothing new and sends no second event', async () => {
    const before = await database.db.select().from(generatedReports);
    expect(await generateMonthlyReports(database.db, { today: '2012-04-15' })).toEqual({
      period: '2012-03',
      written: [],
    });
    const after = await database.db.select().from(generatedReports);
    expect(after.map((row) => [row.id, row.createdAt])).toEqual(before.map((row) => [row.id, row.createdAt]));
    expect(await reportReadyRows()).toHaveLength(1);
    const audited = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.operation, 'generateMonthlyReport'));
    expect(audited).toHaveLength(1);
  });

  it('writes nothing for a month after the campaign ended', async () => {
    expect(await generateMonthlyReports(database.db, { today: '2013-02-01' })).toEqual({
      period: '2013-01',
      written: [],
    });
    expect(await reportReadyRows()).toHaveLength(1);
  });
});
