import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { generateMonthlyReports, readGeneratedReport } from '@sixtype/report';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../server.ts';

let database: TestDatabase;
let app: App;
const tokens: Record<'zone' | 'bureau', string> = { zone: '', bureau: '' };
const STORED = '/reports/generated/SIX_TYPE_2012/ZONE/2012-03';

beforeAll(async () => {
  database = await openTestDatabase();
  const tokenSecret = await loadTokenSecret(database.db);
  for (const [name, organizationCode] of [
    ['zone', 'ZONE'],
    ['bureau', 'INVESTMENT_PROMOTION_BUREAU'],
  ] as const) {
    const password = `${name} manager password`;
    await createUser(database.db, SYSTEM_ACCESS.actor, {
      username: name,
      password,
      role: 'ORG_MANAGER',
      organizationCode,
    });
    tokens[name] = (await login(database.db, tokenSecret, { username: name, password })).token;
  }
  app = createApp({ database, logger: pino({ level: 'silent' }), env: { NODE_ENV: 'production' }, tokenSecret });
  // What the worker's monthly job does on 1 April 2012.
  expect((await generateMonthlyReports(database.db, { today: '2012-04-01' })).written).toHaveLength(1);
}, 180_000);

afterAll(async () => {
  await app?.dispose();
  await database?.close();
});

const download = (path: string, token: string) =>
  app.fetch(`http://api.test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('a stored monthly report', () => {
  it('is served to the manager of the unit it is about, as it was stored', async () => {
    const stored = await readGeneratedReport(database.db, {
      campaignCode: 'SIX_TYPE_2012',
      orgCode: 'ZONE',
      period: '2012-03',
      format: 'pdf',
    });
    const response = await download(`${STORED}.pdf`, tokens.zone);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="report-SIX_TYPE_2012-ZONE-2012-03.pdf"',
    );
    expect(Buffer.from(await response.arrayBuffer()).equals(stored?.content ?? Buffer.alloc(0))).toBe(true);
    const markdown = await download(`${STORED}.md`, tokens.zone);
    expect(markdown.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(await markdown.text()).toContain('2012-03');
  });

  it('is FORBIDDEN to a manager outside the unit’s subtree, and needs credentials', async () => {
    const response = await download(`${STORED}.pdf`, tokens.bureau);
    expect(response.status).toBe(403);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('FORBIDDEN');
    expect((await download(`${STORED}.pdf`, '')).status).toBe(401);
  });

  it('is NOT_FOUND for a month no report was stored for', async () => {
    const response = await download('/reports/generated/SIX_TYPE_2012/ZONE/2012-02.pdf', tokens.zone);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('NOT_FOUND');
  });
});
