import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { percent } from '@sixtype/report';
import { markdownRow } from '@sixtype/report/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type App, createApp } from '../server.ts';

// Needs poppler-utils (pdftotext, pdftoppm): Debian's package, installed by .ci/run.

let database: TestDatabase;
let app: App;
let adminToken: string;
let managerToken: string;
const folder = mkdtempSync(join(tmpdir(), 'report-test-'));

beforeAll(async () => {
  database = await openTestDatabase();
  const tokenSecret = await loadTokenSecret(database.db);
  const { actor } = SYSTEM_ACCESS;
  await createUser(database.db, actor, { username: 'admin', password: 'admin password 1', role: 'ADMIN' });
  await createUser(database.db, actor, {
    username: 'manager',
    password: 'manager password 1',
    role: 'ORG_MANAGER',
    organizationCode: 'INVESTMENT_PROMOTION_BUREAU',
  });
  adminToken = (await login(database.db, tokenSecret, { username: 'admin', password: 'admin password 1' })).token;
  managerToken = (await login(database.db, tokenSecret, { username: 'manager', password: 'manager password 1' })).token;
  app = createApp({ database, logger: pino({ level: 'silent' }), env: { NODE_ENV: 'production' }, tokenSecret });
});

afterAll(async () => {
  await app?.dispose();
  await database?.close();
});

type Result<T = Record<string, unknown>> = { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };

async function graphql<T>(query: string, variables: unknown, token: string): Promise<Result<T>> {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Result<T>;
}

const download = (path: string, token: string) =>
  app.fetch(`http://api.test${path}`, { headers: { authorization: `Bearer ${token}` } });

async function pdfText(path: string, token: string, name: string): Promise<string> {
  const response = await download(path, token);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/pdf');
  const file = join(folder, name);
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

const DOCUMENT_METRICS = [
  ['FISCAL_REVENUE_TOTAL', '15825'],
  ['LOCAL_FISCAL_REVENUE', '7430'],
  ['NEW_PROJECT_CONTRACTS', '4'],
  ['HUNDRED_DAY_PROJECTS_UNDER_CONSTRUCTION', '14'],
  ['HUNDRED_DAY_PROJECTS_IN_NEGOTIATION', '9'],
  ['MINIMUM_LIVING_ALLOWANCE_RECIPIENTS', '2717'],
  ['FIVE_GUARANTEES_CENTRAL_SUPPORT_RATE', '75'],
  ['PETITIONS_TO_CAPITAL_OR_PROVINCE', '0'],
] as const;

interface Series {
  metricSeries: { metric: { code: string; name: string }; points: { value: string; yoyGrowth: string | null }[] }[];
}
const SERIES = `query { metricSeries(input: { metricCodes: ${JSON.stringify(DOCUMENT_METRICS.map(([code]) => code))},
  orgCode: "ZONE", includeDescendants: true, from: "2012-01-01", to: "2012-03-31", granularity: QUARTER }) {
  metric { code name } points { value yoyGrowth } } }`;

const REPORT = `query Report($orgCode: String!) {
  campaignReport(campaignCode: "SIX_TYPE_2012", orgCode: $orgCode, period: "2012-Q1") { markdown downloadUrl }
}`;

describe('the 2012-Q1 report for ZONE on the demo data', () => {
  it('holds the document’s eight figures as metricSeries returns them, in the Markdown and in the PDF', async () => {
    const series = (await graphql<Series>(SERIES, {}, adminToken)).data?.metricSeries ?? [];
    expect(series.map((s) => [s.metric.code, s.points[0]?.value])).toEqual(DOCUMENT_METRICS);
    const local = series.find((s) => s.metric.code === 'LOCAL_FISCAL_REVENUE');
    expect(percent(local?.points[0]?.yoyGrowth, true)).toBe('+43%');

    const report = await graphql<{ campaignReport: { markdown: string; downloadUrl: string } }>(
      REPORT,
      { orgCode: 'ZONE' },
      adminToken,
    );
    const { markdown, downloadUrl } = report.data?.campaignReport ?? { markdown: '', downloadUrl: '' };
    expect(downloadUrl).toBe('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf');
    const text = await pdfText(downloadUrl, adminToken, 'zone.pdf');
    for (const { metric, points } of series) {
      // 指标 | 本期 | 单位 | 目标 | 完成率 | 上年同期 | 同比 | 年累计
      const cells = markdownRow(markdown, metric.name);
      expect(cells?.[1], metric.code).toBe(points[0]?.value);
      const line = text.split('\n').find((l) => l.trim().startsWith(`${metric.name} `));
      expect(line?.trim().split(/\s+/)[1], metric.code).toBe(points[0]?.value);
    }
    expect(markdownRow(markdown, '地方财政收入')?.[6]).toBe('+43%');
    expect(text.split('\n').find((l) => l.trim().startsWith('地方财政收入 '))).toMatch(/ \+43% /);
    // The document's order of sections, and its contents page.
    const sections = [
      '一、健全组织',
      '二、学习',
      '三、活动开展情况',
      '四、督导检查',
      '五、查摆问题与整改',
      '六、工作成效',
    ];
    const at = sections.map((heading) => markdown.indexOf(`## ${heading}`));
    expect(at.every((index) => index > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  }, 120_000);

  it('renders a first PDF page that is not blank, whose Chinese text extracts as the same characters', async () => {
    await pdfText('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf', adminToken, 'first.pdf');
    const file = join(folder, 'first.pdf');
    const firstPage = execFileSync('pdftotext', ['-f', '1', '-l', '1', file, '-'], { encoding: 'utf8' });
    expect(firstPage).toContain('经济开发区创建“六型机关”活动进展情况报告');
    expect(firstPage).toContain('目录');
    expect(firstPage).toContain('五、查摆问题与整改');
    expect(firstPage.replace(/\s+/g, '')).toMatch(/第1页\/共\d+页/);
    expect(firstPage).not.toContain('\uFFFD');
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
    // Every font embedded (emb) with a Unicode map (uni): nothing falls back to the reader's fonts.
    const rows = fonts.split('\n').slice(2).filter(Boolean);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/yes\s+yes\s+yes/);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(
      /Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)/,
    );

    execFileSync('pdftoppm', ['-f', '1', '-l', '1', '-r', '40', '-gray', '-png', file, join(folder, 'page')]);
    const png = join(folder, 'page-1.png');
    const pgm = execFileSync('pdftoppm', ['-f', '1', '-l', '1', '-r', '40', '-gray', file]);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    // PGM: header "P5\nW H\n255\n", then one byte per pixel.
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 30).toString('latin1'));
    expect(header).not.toBeNull();
    const pixels = pgm.subarray(pgm.length - Number(header?.[1]) * Number(header?.[2]));
    const inked = pixels.filter((value) => value < 128).length;
    expect(inked / pixels.length).toBeGreaterThan(0.005);
  }, 120_000);

  it('serves Markdown with embedded charts and a self-contained HTML page', async () => {
    const markdown = await (await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.md', adminToken)).text();
    expect(markdown).toMatch(/!\[各单位学习达标率\]\(data:image\/svg\+xml;base64,/);
    const response = await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.html', adminToken);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('<svg');
    expect(html).toContain('外语学习日');
    expect(html).not.toMatch(/(src|href)="https?:/);
  }, 120_000);
});

describe('a manager restricted to one unit', () => {
  it('gets FORBIDDEN for the ZONE report, by download and by GraphQL', async () => {
    const response = await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf', managerToken);
    expect(response.status).toBe(403);
    expect(((await response.json()) as Result).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const answer = await graphql(REPORT, { orgCode: 'ZONE' }, managerToken);
    expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf', '')).status).toBe(401);
  });

  it('gets their own unit’s report, holding no other unit’s name or figure', async () => {
    const units =
      (
        await graphql<{ organizations: { nodes: { code: string; name: string }[] } }>(
          '{ organizations(first: 100) { nodes { code name } } }',
          {},
          adminToken,
        )
      ).data?.organizations.nodes ?? [];
    const own = await graphql<{ campaignReport: { markdown: string } }>(
      REPORT,
      { orgCode: 'INVESTMENT_PROMOTION_BUREAU' },
      managerToken,
    );
    const markdown = own.data?.campaignReport.markdown ?? '';
    expect(markdown).toContain('区招商局');
    const others = units.filter((unit) => unit.code !== 'INVESTMENT_PROMOTION_BUREAU');
    expect(others.length).toBeGreaterThan(5);
    for (const unit of others) expect(markdown, unit.code).not.toContain(unit.name);
    // The zone's figures are not the bureau's.
    for (const zoneFigure of ['15825', '7430', '2717']) expect(markdown).not.toContain(zoneFigure);
    const pdf = await pdfText(
      '/reports/SIX_TYPE_2012/INVESTMENT_PROMOTION_BUREAU/2012-Q1.pdf',
      managerToken,
      'own.pdf',
    );
    for (const unit of others) expect(pdf.replace(/\s+/g, ''), unit.code).not.toContain(unit.name);
  }, 120_000);
});

describe('live data', () => {
  it('shows a corrected observation in the next report (no stale copy)', async () => {
    const before = (await graphql<{ campaignReport: { markdown: string } }>(REPORT, { orgCode: 'ZONE' }, adminToken))
      .data?.campaignReport.markdown;
    expect(markdownRow(before ?? '', '新签订项目合同')?.[1]).toBe('4');
    const correct = (value: string, key: string) =>
      graphql<{ submitMetricObservations: { accepted: number } }>(
        `mutation { submitMetricObservations(input: { idempotencyKey: "${key}", observations: [
          { metricCode: "NEW_PROJECT_CONTRACTS", orgCode: "ZONE", periodStart: "2012-01-01", granularity: QUARTER,
            value: "${value}", source: "report test" } ] }) { ... on SubmitMetricObservationsPayload { accepted } } }`,
        {},
        adminToken,
      );
    // The document's figure is put back as the next revision afterwards: the other tests of this
    // file read the 2012-Q1 report in any order.
    onTestFinished(async () => {
      expect((await correct('4', 'report-test-correction-back')).data?.submitMetricObservations.accepted).toBe(1);
    });
    const submitted = await correct('5', 'report-test-correction');
    expect(submitted.data?.submitMetricObservations.accepted).toBe(1);
    const after = (await graphql<{ campaignReport: { markdown: string } }>(REPORT, { orgCode: 'ZONE' }, adminToken))
      .data?.campaignReport.markdown;
    expect(markdownRow(after ?? '', '新签订项目合同')?.[1]).toBe('5');
    const text = await pdfText('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf', adminToken, 'after.pdf');
    expect(
      text
        .split('\n')
        .find((l) => l.trim().startsWith('新签订项目合同 '))
        ?.trim()
        .split(/\s+/)[1],
    ).toBe('5');
  }, 120_000);

  it('shows the headline figures: a catalogue metric joins the report once it is flagged headline', async () => {
    const created = await graphql<{ createMetricDefinition: { __typename: string } }>(
      `mutation { createMetricDefinition(input: { code: "REPORT_TEST_ROADS", name: "演示道路里程", unit: "公里",
        kind: FLOW, aggregation: SUM, direction: HIGHER_IS_BETTER, reportingGranularity: QUARTER }) { __typename } }`,
      {},
      adminToken,
    );
    expect(created.data?.createMetricDefinition.__typename).toBe('CreateMetricDefinitionPayload');
    const submitted = await graphql<{ submitMetricObservations: { accepted: number } }>(
      `mutation { submitMetricObservations(input: { idempotencyKey: "report-test-headline", observations: [
        { metricCode: "REPORT_TEST_ROADS", orgCode: "ZONE", periodStart: "2012-01-01", granularity: QUARTER,
          value: "12.5", source: "report test" } ] }) { ... on SubmitMetricObservationsPayload { accepted } } }`,
      {},
      adminToken,
    );
    expect(submitted.data?.submitMetricObservations.accepted).toBe(1);
    const before = (await graphql<{ campaignReport: { markdown: string } }>(REPORT, { orgCode: 'ZONE' }, adminToken))
      .data?.campaignReport.markdown;
    expect(markdownRow(before ?? '', '新签订项目合同')).toBeDefined();
    expect(markdownRow(before ?? '', '演示道路里程')).toBeUndefined();
    const flagged = await graphql<{ updateMetricDefinition: { metric: { headline: boolean } } }>(
      `mutation { updateMetricDefinition(input: { code: "REPORT_TEST_ROADS", headline: true }) {
        ... on UpdateMetricDefinitionPayload { metric { headline } } } }`,
      {},
      adminToken,
    );
    expect(flagged.data?.updateMetricDefinition.metric.headline).toBe(true);
    const after = (await graphql<{ campaignReport: { markdown: string } }>(REPORT, { orgCode: 'ZONE' }, adminToken))
      .data?.campaignReport.markdown;
    expect(markdownRow(after ?? '', '演示道路里程')?.[1]).toBe('12.5');
  }, 120_000);
});
