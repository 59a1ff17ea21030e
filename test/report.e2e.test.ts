import { createUser, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { CampaignReportDocument, createClient, SixtypeError } from '@sixtype/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support.ts';

let api: TestServer;

beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api.close();
});

describe('campaign reports through the SDK against a running server', () => {
  it('returns the Markdown and downloads the PDF with the same credentials', async () => {
    const { campaignReport } = await api.client.request(CampaignReportDocument, {
      campaignCode: 'SIX_TYPE_2012',
      orgCode: 'ZONE',
      period: '2012-Q1',
    });
    expect(campaignReport.period.label).toBe('2012-Q1');
    expect(campaignReport.markdown).toMatch(/\| 全区财政总收入 \| 15825 \| 万元 \|/);
    const pdf = await api.client.downloadReport(campaignReport.pdfUrl);
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe('%PDF-');
    const markdown = new TextDecoder().decode(await api.client.downloadReport(campaignReport.markdownUrl));
    expect(markdown).toContain('## 六、工作成效：主要指标');
  }, 120_000);

  it('refuses a manager the zone’s report with FORBIDDEN', async () => {
    const manager = { username: 'e2e.manager', password: 'e2e manager password' };
    await createUser(api.database.db, SYSTEM_ACCESS.actor, {
      ...manager,
      role: 'ORG_MANAGER',
      organizationCode: 'PETITION_OFFICE',
    });
    const { token } = await login(api.database.db, api.tokenSecret, manager);
    const client = createClient({ url: api.url, token });
    const failure = await client.downloadReport('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf').catch((error) => error);
    expect(failure).toBeInstanceOf(SixtypeError);
    expect(failure.code).toBe('FORBIDDEN');
    expect(failure.status).toBe(403);
  });
});
