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

const graphiql = { 'x-graphql-client': 'graphiql' };
const cookieOf = (response: Response) => (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

describe('GraphiQL page', () => {
  it('is small HTML naming its script, styles, workers and icon on this API, each cached for a year', async () => {
    const response = await app.fetch('http://api.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(new TextEncoder().encode(html).byteLength).toBeLessThan(100 * 1024);
    // Yoga's default page loads GraphiQL from unpkg; this one from the API itself.
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    for (const tab of GRAPHIQL_EXAMPLES) expect(html).toContain(JSON.stringify(tab.query).replaceAll('<', '\\u003c'));
    expect(html).toContain('"shouldPersistHeaders":false');

    const assets = [...html.matchAll(/"(\/graphiql\/[\w.-]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.map((path) => path.replace(/-[0-9a-f]{16}\./, '.'))).toEqual(
      expect.arrayContaining([
        '/graphiql/graphiql.js',
        '/graphiql/graphiql.css',
        '/graphiql/favicon.ico',
        '/graphiql/editor.worker.js',
        '/graphiql/json.worker.js',
        '/graphiql/graphql.worker.js',
      ]),
    );
    let total = 0;
    for (const path of assets) {
      const asset = await app.fetch(`http://api.test${path}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      total += (await asset.arrayBuffer()).byteLength;
    }
    expect(total).toBeGreaterThan(5_000_000);
    expect((await app.fetch('http://api.test/graphiql/graphiql-0000000000000000.js')).status).toBe(404);
  });
});

describe('signing in from GraphiQL', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie that every tab then uses, and signing out clears it', async () => {
    const signIn = example('SignIn');
    const response = await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...graphiql },
      body: JSON.stringify({ query: signIn.query, variables: ADMIN }),
    });
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sixtype_graphiql_session=[\w.-]+; Path=\/graphql; HttpOnly; SameSite=Strict$/);
    // No Max-Age or Expires: it ends with the browser session.
    expect(setCookie).not.toMatch(/Max-Age|Expires/i);
    expect(response.headers.get('x-sixtype-session-changed')).toBe('1');
    const cookie = cookieOf(response);

    const zone = '{ organization(code: "ZONE") { name } }';
    expect((await run(zone, null, { cookie, ...graphiql })).data?.organization).toEqual({ name: '经济开发区' });
    // Only with GraphiQL's CSRF header: a request without it (a form, a link, another client) is anonymous.
    expect((await run(zone, null, { cookie })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await run(zone, null, { cookie, 'x-graphql-client': 'sdk' })).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    // Introspection (the docs) works for the signed-in admin.
    const schema = await run('{ __schema { queryType { name } } }', null, { cookie, ...graphiql });
    expect(schema.data?.__schema).toEqual({ queryType: { name: 'Query' } });

    const signedOut = await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, ...graphiql },
      body: JSON.stringify({ query: example('SignOut').query }),
    });
    expect(await signedOut.json()).toEqual({ data: { logout: { sessionEnded: true } } });
    expect(signedOut.headers.get('set-cookie')).toMatch(/^sixtype_graphiql_session=; .*Max-Age=0/);
    // The session itself has ended: the old cookie no longer signs anyone in.
    expect((await run(zone, null, { cookie, ...graphiql })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('gives API clients no cookie, and lets no other origin send one', async () => {
    const response = await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: example('SignIn').query, variables: ADMIN }),
    });
    expect(((await response.json()) as Result).data?.login).toMatchObject({ token: expect.any(String) });
    expect(response.headers.get('set-cookie')).toBeNull();

    const preflight = await app.fetch('http://api.test/graphql', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://elsewhere.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-graphql-client',
      },
    });
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
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

  it('answer an admin with data and no error, and tell a caller who has not signed in to sign in', async () => {
    const answered: Record<string, Result> = {};
    for (const tab of GRAPHIQL_EXAMPLES.filter(({ name }) => name !== 'SignIn' && name !== 'SignOut')) {
      // No token in the tabs: GraphiQL's session cookie stands in for it.
      expect(JSON.parse(tab.headers)).toEqual({});
      const refused = await run(tab.query, null, { ...JSON.parse(tab.headers), ...graphiql });
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
