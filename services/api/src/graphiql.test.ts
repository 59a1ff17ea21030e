import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_EXAMPLES } from './graphiql.ts';
import { type App, createApp } from './server.ts';

let database: TestDatabase;
let app: App;
let adminToken: string;
const ADMIN = { username: 'graphiql.admin', password: 'graphiql admin password' };

beforeAll(async () => {
  database = await openTestDatabase();
  const tokenSecret = await loadTokenSecret(database.db);
  await createUser(database.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
  adminToken = (await login(database.db, tokenSecret, ADMIN)).token;
  app = createApp({ database, logger: pino({ level: 'silent' }), env: { NODE_ENV: 'production' }, tokenSecret });
});

afterAll(async () => {
  await database?.close();
});

type Result = { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };

const run = async (query: string, variables: unknown, headers: Record<string, string>) => {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Result;
};

const example = (name: (typeof GRAPHIQL_EXAMPLES)[number]['name']) => {
  const found = GRAPHIQL_EXAMPLES.find((tab) => tab.name === name);
  if (!found) throw new Error(`no example ${name}`);
  return found;
};

describe('GraphiQL page', () => {
  it('is one self-contained document: no script, style or icon from another host', async () => {
    const response = await app.fetch('http://api.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    // Yoga's default page loads GraphiQL from unpkg; this one inlines it.
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    for (const tab of GRAPHIQL_EXAMPLES) expect(html).toContain(JSON.stringify(tab.query));
    expect(html).toContain('"shouldPersistHeaders":false');
  });
});

describe('GraphiQL examples', () => {
  it('sign in with the SignIn tab once its variables hold a real account', async () => {
    const tab = example('SignIn');
    expect(tab.headers.trim()).toBe('{}');
    const result = await run(tab.query, { ...JSON.parse(tab.variables ?? '{}'), ...ADMIN }, JSON.parse(tab.headers));
    expect(result.errors).toBeUndefined();
    expect(result.data?.login).toMatchObject({ token: expect.stringMatching(/\S{20,}/) });
  });

  it('answer an admin with data and no error, and tell a caller who kept the placeholder to sign in', async () => {
    const answered: Record<string, Result> = {};
    for (const tab of GRAPHIQL_EXAMPLES.filter(({ name }) => name !== 'SignIn')) {
      const placeholder = JSON.parse(tab.headers) as { Authorization: string };
      expect(placeholder.Authorization).toMatch(/^Bearer </);
      const refused = await run(tab.query, null, placeholder);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      answered[tab.name] = await run(tab.query, null, { Authorization: `Bearer ${adminToken}` });
      expect(answered[tab.name]?.errors).toBeUndefined();
    }
    const data = (name: string) => answered[name]?.data as Record<string, unknown>;
    expect(data('ZoneUnits').organization).toMatchObject({ name: '经济开发区' });
    expect(data('FiscalRevenue2012Q1').metricSeries).toMatchObject([
      { metric: { code: 'FISCAL_REVENUE_TOTAL' }, points: [{ value: '15825' }] },
      { metric: { code: 'LOCAL_FISCAL_REVENUE' }, points: [{ value: '7430', yoyGrowth: '0.43' }] },
    ]);
    // The demo study records leave two in three cadres short of the requirement.
    const compliance = data('StudyComplianceShortfalls').studyCompliance as { totalCount: number; nodes: unknown[] };
    expect(compliance.totalCount).toBeGreaterThan(0);
    expect(compliance.nodes).toEqual(expect.arrayContaining([expect.objectContaining({ compliant: false })]));
    const ledger = data('ProblemLedger') as unknown as {
      problems: { totalCount: number };
      problemCounts: { total: number };
    };
    expect(ledger.problems.totalCount).toBeGreaterThan(0);
    expect(ledger.problemCounts.total).toBeGreaterThanOrEqual(ledger.problems.totalCount);
  });
});
