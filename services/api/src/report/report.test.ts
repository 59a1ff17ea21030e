import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../server.ts';

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
  app = createApp({ database, logger: pino({ level: 'error' }), env: { NODE_ENV: 'production' }, tokenSecret });
});

afterAll(async () => {
  await app?.dispose();
  await database?.close();
});

type Result = { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };

async function graphql(query: string, variables: unknown, token: string): Promise<Result> {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Result;
}

const download = (path: string, token: string) =>
  app.fetch(`http://api.test${path}`, { headers: { authorization: `Bearer ${token}` } });

describe('smoke', () => {
  it('writes', async () => {
    const md = await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.md', adminToken);
    writeFileSync('/tmp/r.md', await md.text());
    const html = await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.html', adminToken);
    writeFileSync('/tmp/r.html', await html.text());
    const pdf = await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf', adminToken);
    console.log(pdf.status, pdf.headers.get('content-type'));
    writeFileSync('/tmp/r.pdf', Buffer.from(await pdf.arrayBuffer()));
    const g = await graphql('{ campaignReport(campaignCode: "SIX_TYPE_2012", orgCode: "ZONE", period: "2012-Q1") { markdown downloadUrl } }', {}, adminToken);
    writeFileSync('/tmp/r.json', JSON.stringify(g, null, 1));
    const m = await download('/reports/SIX_TYPE_2012/ZONE/2012-Q1.pdf', managerToken);
    console.log(m.status, await m.text());
  }, 120_000);
});
