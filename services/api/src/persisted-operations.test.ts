import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createApiClient, createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { getIntrospectionQuery } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadPersistedOperations, sha256Hex } from './persisted-operations.ts';
import { type App, createApp } from './server.ts';

let database: TestDatabase;
let production: App;
let development: App;
let adminToken: string;
let managerToken: string;
let apiKey: string;
const statements: string[] = [];

const operations = loadPersistedOperations();
/** The hash of the SDK operation named `name` in the committed manifest. */
function hashOf(name: string): string {
  const entry = [...operations].find(([, text]) => new RegExp(`^(query|mutation|subscription) ${name}\\b`).test(text));
  if (!entry) throw new Error(`the manifest has no operation ${name}`);
  return entry[0];
}

beforeAll(async () => {
  database = await openTestDatabase({ logger: { logQuery: (query) => statements.push(query) } });
  const tokenSecret = await loadTokenSecret(database.db);
  const { actor } = SYSTEM_ACCESS;
  await createUser(database.db, actor, { username: 'admin', password: 'admin password 1', role: 'ADMIN' });
  await createUser(database.db, actor, {
    username: 'manager',
    password: 'manager password 1',
    role: 'ORG_MANAGER',
    organizationCode: 'DISCIPLINE_WORKING_COMMITTEE',
  });
  adminToken = (await login(database.db, tokenSecret, { username: 'admin', password: 'admin password 1' })).token;
  managerToken = (await login(database.db, tokenSecret, { username: 'manager', password: 'manager password 1' })).token;
  apiKey = (await createApiClient(database.db, actor, { name: 'hr-system', scopes: ['directory:read'] })).key;
  const logger = pino({ level: 'silent' });
  production = createApp({ database, logger, env: { NODE_ENV: 'production' }, tokenSecret });
  development = createApp({ database, logger, env: { NODE_ENV: 'development' }, tokenSecret });
});

afterAll(async () => {
  await production.dispose();
  await development.dispose();
  await database.close();
});

beforeEach(() => {
  statements.length = 0;
});

const credentials = {
  admin: () => ({ authorization: `Bearer ${adminToken}` }),
  manager: () => ({ authorization: `Bearer ${managerToken}` }),
  apiClient: () => ({ authorization: `ApiKey ${apiKey}` }),
  anonymous: () => ({}),
};

async function send(body: unknown, who: keyof typeof credentials, app = production) {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...credentials[who]() },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  return { status: response.status, data: json.data, errors: json.errors, code: json.errors?.[0]?.extensions?.code };
}

const byHash = (name: string, variables?: Record<string, unknown>) => ({
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(name) } },
});

const listOrganizations = 'query { organizations(first: 2) { totalCount nodes { code } } }';

describe('the manifest', () => {
  it('holds every SDK operation under the SHA-256 of its text', () => {
    expect(operations.size).toBeGreaterThan(10);
    for (const [hash, text] of operations) expect(sha256Hex(text)).toBe(hash);
    expect(hashOf('ListOrganizations')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is refused when an entry does not match its hash', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sixtype-manifest-')), 'manifest.json');
    writeFileSync(file, JSON.stringify({ [sha256Hex('{ a }')]: '{ b }' }));
    expect(() => loadPersistedOperations(file)).toThrow(/not the SHA-256 of its document/);
    expect(() => loadPersistedOperations(join(file, 'missing.json'))).toThrow(/npm run generate/);
  });
});

describe('API clients run persisted operations only', () => {
  it('refuses free text from an API client with PERSISTED_QUERY_ONLY, before any resolver', async () => {
    const refused = await send({ query: listOrganizations }, 'apiClient');
    expect(refused).toMatchObject({ status: 403, code: 'PERSISTED_QUERY_ONLY' });
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.[0]?.message).toContain('extensions.persistedQuery.sha256Hash');
    // Only the authentication of the key ran.
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain('api_clients');
  });

  it("refuses the text of an SDK operation too, even sent next to the operation's hash", async () => {
    const [hash, text] = [hashOf('ListOrganizations'), operations.get(hashOf('ListOrganizations'))];
    const refused = await send(
      { query: text, variables: { first: 1 }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
      'apiClient',
    );
    expect(refused.code).toBe('PERSISTED_QUERY_ONLY');
  });

  it('runs the same operation for the same client when sent by hash', async () => {
    const answer = await send(
      byHash('ListOrganizations', { orgCode: 'ZONE', includeDescendants: true, first: 3 }),
      'apiClient',
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.organizations).toMatchObject({ nodes: [{ code: 'ZONE' }, {}, {}] });
  });

  it('accepts the GraphQL-over-HTTP documentId as well', async () => {
    const answer = await send(
      { documentId: `sha256:${hashOf('OrganizationByCode')}`, variables: { code: 'ZONE' } },
      'apiClient',
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.organization).toMatchObject({ code: 'ZONE', name: '经济开发区' });
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, whoever sends it', async () => {
    const unknown = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ nope }') } } };
    for (const who of ['apiClient', 'admin', 'anonymous'] as const) {
      const refused = await send(unknown, who);
      expect(refused.code, who).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(refused.errors?.[0]?.message).toBe('PersistedQueryNotFound');
    }
    expect(statements).toEqual([]);
  });

  it('answers a request with neither text nor hash with BAD_REQUEST', async () => {
    const refused = await send({ variables: {} }, 'admin');
    expect(refused).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });
});

describe('people may send text', () => {
  it('lets an admin run any query (GraphiQL)', async () => {
    const answer = await send({ query: listOrganizations }, 'admin');
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.organizations).toMatchObject({ totalCount: expect.any(Number) });
  });

  it('lets other signed-in people send text or hashes', async () => {
    const text = await send(
      { query: 'query { organization(code: "DISCIPLINE_WORKING_COMMITTEE") { code } }' },
      'manager',
    );
    expect(text.errors).toBeUndefined();
    expect(text.data?.organization).toEqual({ code: 'DISCIPLINE_WORKING_COMMITTEE' });
    const hashed = await send(byHash('OrganizationByCode', { code: 'DISCIPLINE_WORKING_COMMITTEE' }), 'manager');
    expect(hashed.errors).toBeUndefined();
  });

  it('lets anonymous callers send text (to sign in)', async () => {
    const answer = await send({ query: '{ __typename }' }, 'anonymous');
    expect(answer.data).toEqual({ __typename: 'Query' });
  });
});

describe('introspection', () => {
  const introspection = { query: getIntrospectionQuery() };

  it('is refused in production for everyone but admins', async () => {
    for (const who of ['anonymous', 'manager'] as const) {
      const refused = await send(introspection, who);
      expect(refused, who).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(refused.data ?? null).toBeNull();
    }
    const typeLookup = await send({ query: '{ __type(name: "Cadre") { fields { name } } }' }, 'manager');
    expect(typeLookup.code).toBe('FORBIDDEN');
    expect((await send(introspection, 'apiClient')).code).toBe('PERSISTED_QUERY_ONLY');
  });

  it("is open to admins in production: GraphiQL's full introspection query passes the limits", async () => {
    const answer = await send(introspection, 'admin');
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.__schema).toMatchObject({ queryType: { name: 'Query' } });
  });

  it('is open to everyone in development', async () => {
    const answer = await send(introspection, 'anonymous', development);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.__schema).toBeDefined();
  });

  it('decides for each viewer, however often the same document is sent', async () => {
    // yoga hands back the same parsed document each time; whether it may run depends on the viewer.
    const typeLookup = { query: '{ __type(name: "Organization") { name } }' };
    for (const who of ['admin', 'manager', 'admin', 'manager'] as const) {
      const answer = await send(typeLookup, who);
      if (who === 'admin') expect(answer.data, who).toEqual({ __type: { name: 'Organization' } });
      else expect(answer.code, who).toBe('FORBIDDEN');
    }
    const plain = { query: '{ __typename }' };
    for (let i = 0; i < 2; i += 1) expect((await send(plain, 'manager')).data).toEqual({ __typename: 'Query' });
  });

  it('leaves __typename alone', async () => {
    expect((await send({ query: '{ __typename }' }, 'manager')).data).toEqual({ __typename: 'Query' });
  });
});
