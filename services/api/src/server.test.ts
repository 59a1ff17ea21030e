import { readFileSync } from 'node:fs';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createApiClient, createUser, loadTokenSecret, login, revokeApiClient, SYSTEM_ACCESS } from '@sixtype/graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';
import { MAX_AD_HOC_OPERATION_LABELS } from './observability.ts';
import { loadPersistedOperations } from './persisted-operations.ts';
import { type App, createApp } from './server.ts';

let database: TestDatabase;
let app: App;
let tokenSecret: string;
let adminToken: string;
const logged: unknown[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  tokenSecret = await loadTokenSecret(database.db);
  await createUser(database.db, SYSTEM_ACCESS.actor, {
    username: 'admin',
    password: 'admin password 1',
    role: 'ADMIN',
  });
  adminToken = (await login(database.db, tokenSecret, { username: 'admin', password: 'admin password 1' })).token;
  const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  app = createApp({ database, logger, env: { NODE_ENV: 'test' }, tokenSecret });
});

afterAll(async () => {
  await database.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('HTTP surface', () => {
  it('answers the example query from the demo data', async () => {
    const response = await post({ query: '{ organization(code: "ZONE") { name children { code } } }' });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.data.organization.name).toBe('经济开发区');
    expect(body.data.organization.children.map((child: { code: string }) => child.code).slice(0, 6)).toEqual([
      'PARTY_WORKING_COMMITTEE',
      'MANAGEMENT_COMMITTEE',
      'DISCIPLINE_WORKING_COMMITTEE',
      'INVESTMENT_PROMOTION_BUREAU',
      'PETITION_OFFICE',
      'FAMILY_PLANNING_OFFICE',
    ]);
  });

  it('serves GraphiQL to a browser at /graphql', async () => {
    const response = await app.fetch('http://api.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Six-Type Agency platform');
    expect(html).toContain('organization(code: \\"ZONE\\")');
  });

  it('reports health and readiness', async () => {
    expect((await app.fetch('http://api.test/health')).status).toBe(200);
    expect((await app.fetch('http://api.test/ready')).status).toBe(200);
  });

  it('refuses a batched array body', async () => {
    const response = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(response.status).toBeGreaterThanOrEqual(400);
    const body = await response.json();
    expect(body.data).toBeUndefined();
  });

  it('codes an invalid cursor as BAD_USER_INPUT and an unknown field as a validation failure', async () => {
    const cursor = await (await post({ query: '{ cadres(first: 1, after: "zz") { totalCount } }' })).json();
    expect(cursor.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const unknown = await (await post({ query: '{ nope }' })).json();
    expect(unknown.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('masks unexpected errors and logs them in full', async () => {
    const broken = createApp({
      database: {
        ...database,
        db: new Proxy(database.db, {
          get: () => {
            throw new Error('secret connection detail');
          },
        }),
      },
      logger: pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) }),
      env: { NODE_ENV: 'production' },
      tokenSecret,
    });
    const response = await broken.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sxk_AAAAAAAA_not-a-real-key-but-long-enough' },
      body: JSON.stringify({ query: '{ organization(code: "ZONE") { name } }' }),
    });
    const body = await response.json();
    expect(body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(body)).not.toContain('secret connection detail');
    expect(JSON.stringify(logged)).toContain('secret connection detail');
  });

  it('logs a masked error once: an unexpected one at error, a database fault at warn only', async () => {
    const failingWith = (error: Error) => {
      const lines: { level: number; msg: string }[] = [];
      const app = createApp({
        database: {
          ...database,
          db: new Proxy(database.db, {
            get: () => {
              throw error;
            },
          }),
        },
        logger: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
        env: { NODE_ENV: 'production' },
        tokenSecret,
      });
      return { app, lines };
    };
    const ask = (app: ReturnType<typeof createApp>) =>
      app.fetch('http://api.test/graphql', {
        method: 'POST',
        // The credential check is the first to reach the failing database.
        headers: { 'content-type': 'application/json', 'x-api-key': 'sxk_AAAAAAAA_not-a-real-key-but-long-enough' },
        body: JSON.stringify({ query: '{ organization(code: "ZONE") { name } }' }),
      });

    const unexpected = failingWith(new Error('secret connection detail'));
    expect((await (await ask(unexpected.app)).json()).errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(unexpected.lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual(['unexpected error']);

    // What a client that went away leaves: PostgreSQL's cancel (57014), a warning and the operation's line.
    const cancelled = failingWith(
      Object.assign(new Error('canceling statement due to user request'), { code: '57014' }),
    );
    expect((await (await ask(cancelled.app)).json()).errors[0].extensions.code).toBe('REQUEST_CANCELLED');
    expect(cancelled.lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(cancelled.lines.filter((line) => line.level === 40).map((line) => line.msg)).toEqual(['database fault']);
  });

  it('reports not ready when the database cannot answer', async () => {
    const unready = createApp({
      database: { ...database, ping: () => Promise.reject(new Error('database down')) },
      logger: pino({ level: 'silent' }),
      env: { NODE_ENV: 'test' },
      tokenSecret,
    });
    expect((await unready.fetch('http://api.test/ready')).status).toBe(503);
  });
});

describe('credentials over HTTP', () => {
  it('answers UNAUTHENTICATED without a credential and with a dead one', async () => {
    const query = { query: '{ organization(code: "ZONE") { name } }' };
    for (const headers of [
      { authorization: '' },
      { authorization: 'Bearer expired.or.forged' },
      { authorization: 'ApiKey sxk_AAAAAAAA_unknownunknownunknownunknown' },
    ]) {
      const body = await (await post(query, headers)).json();
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(body.data?.organization ?? null).toBeNull();
    }
  });

  it('accepts an API key as Authorization: ApiKey and as x-api-key, until it is revoked', async () => {
    const { key } = await createApiClient(database.db, SYSTEM_ACCESS.actor, {
      name: 'office automation',
      scopes: ['directory:read'],
    });
    // API clients send the SDK's persisted operations by hash, not text.
    const [hash] =
      [...loadPersistedOperations()].find(([, text]) => text.startsWith('query OrganizationByCode(')) ?? [];
    const query = { variables: { code: 'ZONE' }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    const headerSets: Record<string, string>[] = [
      { authorization: `ApiKey ${key}` },
      { authorization: '', 'x-api-key': key },
    ];
    for (const headers of headerSets) {
      const body = await (await post(query, headers)).json();
      expect(body.data.organization.name).toBe('经济开发区');
    }
    await revokeApiClient(database.db, SYSTEM_ACCESS.actor, 'office automation');
    const body = await (await post(query, { authorization: `ApiKey ${key}` })).json();
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('metricUpdated over server-sent events', () => {
  it('delivers three consecutive updates to a subscriber', async () => {
    const subscription = await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${adminToken}`,
      },
      body: JSON.stringify({
        query: 'subscription { metricUpdated(metricCodes: ["NEW_PROJECT_CONTRACTS"]) { orgCode value revision } }',
      }),
    });
    expect(subscription.headers.get('content-type')).toContain('text/event-stream');
    // Read the stream from the start, as a client does: the server starts listening on the first read.
    const reader = (subscription.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const threeEvents = (async () => {
      while ((text.match(/^event: next$/gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const [index, value] of ['1', '2', '3'].entries()) {
      const body = await (
        await post({
          query: `mutation($input: SubmitMetricObservationsInput!) { submitMetricObservations(input: $input) { ... on SubmitMetricObservationsPayload { accepted } } }`,
          variables: {
            input: {
              idempotencyKey: `sse-${index}`,
              observations: [
                {
                  metricCode: 'NEW_PROJECT_CONTRACTS',
                  orgCode: 'INVESTMENT_PROMOTION_BUREAU',
                  periodStart: '2012-04-01',
                  granularity: 'QUARTER',
                  value,
                  source: 'sse test',
                },
              ],
            },
          },
        })
      ).json();
      expect(body.data.submitMetricObservations.accepted).toBe(1);
    }
    await threeEvents;
    await reader.cancel();
    const payloads = [...text.matchAll(/^event: next\ndata: (.*)$/gm)].map(
      (match) => JSON.parse(match[1] as string).data.metricUpdated,
    );
    expect(payloads).toEqual([
      { orgCode: 'INVESTMENT_PROMOTION_BUREAU', value: '1', revision: 1 },
      { orgCode: 'INVESTMENT_PROMOTION_BUREAU', value: '2', revision: 2 },
      { orgCode: 'INVESTMENT_PROMOTION_BUREAU', value: '3', revision: 3 },
    ]);
  });
});

describe('observability', () => {
  it('logs each operation with request id, operation, viewer kind and duration, and counts it in /metrics', async () => {
    const lines: Record<string, unknown>[] = [];
    const observed = createApp({
      database,
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
      env: { NODE_ENV: 'test' },
      tokenSecret,
    });
    const ask = (query: string) =>
      observed.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${adminToken}`,
          'x-request-id': 'req-42',
        },
        body: JSON.stringify({ query }),
      });
    await ask('query ZoneName { organization(code: "ZONE") { name } }');
    await ask('query Broken { studyCompliance(campaignCode: "SIX_TYPE_2012", year: 1800) { totalCount } }');

    const logged = lines.filter((line) => line.msg === 'graphql operation');
    expect(logged[0]).toMatchObject({ requestId: 'req-42', operation: 'ZoneName', viewer: 'USER' });
    expect(typeof logged[0]?.durationMs).toBe('number');
    expect(logged[1]).toMatchObject({ operation: 'Broken', errors: ['BAD_USER_INPUT'] });

    const metrics = await (await observed.fetch('http://api.test/metrics')).text();
    expect(metrics).toMatch(/sixtype_graphql_operation_duration_seconds_count\{operation="ZoneName",type="query"\} 1/);
    expect(metrics).toMatch(/sixtype_graphql_errors_total\{code="BAD_USER_INPUT",operation="Broken"\} 1/);
    expect(metrics).toMatch(/sixtype_http_request_duration_seconds_count\{method="POST",status="200"\} 2/);
    expect(metrics).toContain('sixtype_nodejs_eventloop_lag_seconds');
    // The GraphQL phases of both operations, by operation type.
    for (const phase of ['parse', 'validate', 'execute']) {
      expect(metrics).toMatch(new RegExp(`graphql_envelop_phase_${phase}_count\\{operationType="query"\\} 2`));
    }
  });

  it('keeps /metrics bounded whatever operation names and URLs clients send', async () => {
    const observed = createApp({ database, logger: pino({ level: 'silent' }), env: { NODE_ENV: 'test' }, tokenSecret });
    // Node's own metrics (a first major GC adds its label set) are left out of the count.
    const ours = (metrics: string) => metrics.split('\n').filter((line) => !/sixtype_(nodejs|process)_/.test(line));
    const lineCount = async () => ours(await (await observed.fetch('http://api.test/metrics')).text()).length;
    const ask = (name: string, search: string) =>
      observed.fetch(`http://api.test/graphql?${search}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({ query: `query ${name} { __typename }` }),
      });
    // An SDK operation keeps its own label however many ad-hoc names come after it.
    await ask('OrganizationByCode', 'v=0');
    for (let i = 0; i < MAX_AD_HOC_OPERATION_LABELS; i += 1) await ask(`AdHoc${i}`, `v=${i}`);
    await ask('FirstOverflow', 'v=first');
    const filled = await lineCount();
    for (let i = 0; i < 300; i += 1) await ask(`Flood${i}`, `junk=${i}`);
    const metrics = await (await observed.fetch('http://api.test/metrics')).text();
    expect(ours(metrics).length).toBe(filled);
    expect(metrics).toMatch(/sixtype_graphql_operation_duration_seconds_count\{operation="other",type="query"\} 301/);
    expect(metrics).toMatch(
      /sixtype_graphql_operation_duration_seconds_count\{operation="OrganizationByCode",type="query"\} 1/,
    );
    expect(metrics).not.toContain('junk=');
  });
});

describe('logging client errors', () => {
  it('logs a too-large body, a bad cursor and a request naming no operation at info, once each, never at error', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logging = createApp({
      database,
      logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
      env: { NODE_ENV: 'production' },
      tokenSecret,
    });
    const send = (body: string) =>
      logging.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body,
      });
    for (const [body, status] of [
      [JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(2_000_000) } }), 413],
      [JSON.stringify({ query: '{ cadres(after: "bad") { totalCount } }' }), 200],
      [JSON.stringify({ query: 'query A { __typename }', operationName: 'B' }), 400],
    ] as const) {
      lines.length = 0;
      expect((await send(body)).status).toBe(status);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      // One line at info or above: the operation's own line, or "request refused" when none ran.
      expect(lines.filter((line) => line.level >= 30).map((line) => line.msg)).toHaveLength(1);
    }
  });
});

describe('environment', () => {
  it('defaults to port 4000 and the embedded database', () => {
    const env = loadEnv({});
    expect(env.PORT).toBe(4000);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.DATA_DIR.endsWith('.data')).toBe(true);
  });

  it('is safe by default: with no NODE_ENV, no anonymous introspection and no error details; npm run dev opts in', async () => {
    expect(loadEnv({}).NODE_ENV).toBe('production');
    const scripts = (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.start).not.toContain('NODE_ENV');
    expect(scripts.dev).toMatch(/NODE_ENV=development .*watch/);

    const answers = async (nodeEnv: Record<string, string>) => {
      const started = createApp({ database, logger: pino({ level: 'silent' }), env: loadEnv(nodeEnv), tokenSecret });
      const ask = async (body: string) =>
        (
          await started.fetch('http://api.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
        ).json();
      return {
        introspection: await ask('{"query":"{ __schema { queryType { name } } }"}'),
        invalid: await ask('{"query":'),
      };
    };
    const plain = await answers({});
    expect(plain.introspection.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(plain.introspection.errors[0].message).toBe('Introspection is available to admins only');
    expect(JSON.stringify(plain.invalid)).not.toContain('originalError');
    const development = await answers({ NODE_ENV: 'development' });
    expect(development.introspection.data.__schema.queryType.name).toBe('Query');
    expect(JSON.stringify(development.invalid)).toContain('originalError');
  });

  it('refuses a malformed setting with a message naming it', () => {
    expect(() => loadEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadEnv({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });
});
