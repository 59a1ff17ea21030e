import { request as httpRequest } from 'node:http';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS, schema } from '@sixtype/graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GRAPHIQL_EXAMPLES } from './graphiql.ts';
import { CSRF_HEADER, MAX_REQUEST_BODY_BYTES, QUERY_LIMITS, type QueryLimit, useQueryLimits } from './limits.ts';
import { loadPersistedOperations } from './persisted-operations.ts';
import { type App, createApp, listen } from './server.ts';

let database: TestDatabase;
let app: App;
let adminToken: string;
/** Every SQL statement drizzle sends; a refused request must add none (no resolver ran). */
const statements: string[] = [];

beforeAll(async () => {
  database = await openTestDatabase({ logger: { logQuery: (query) => statements.push(query) } });
  const tokenSecret = await loadTokenSecret(database.db);
  await createUser(database.db, SYSTEM_ACCESS.actor, {
    username: 'admin',
    password: 'admin password 1',
    role: 'ADMIN',
  });
  adminToken = (await login(database.db, tokenSecret, { username: 'admin', password: 'admin password 1' })).token;
  app = createApp({ database, logger: pino({ level: 'silent' }), env: { NODE_ENV: 'production' }, tokenSecret });
});

afterAll(async () => {
  await app.dispose();
  await database.close();
});

beforeEach(() => {
  statements.length = 0;
});

const url = 'http://api.test/graphql';

/** As the admin, who may run any query: whatever is refused here is refused for the shape alone. */
const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${adminToken}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

interface ErrorBody {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function refusal(response: Response) {
  const body = (await response.json()) as ErrorBody;
  expect(body.data ?? null).toBeNull();
  expect(body.errors).toHaveLength(1);
  return { status: response.status, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
}

const repeat = (count: number, make: (index: number) => string) =>
  Array.from({ length: count }, (_, index) => make(index)).join(' ');

describe('query limits', () => {
  const bombs: [name: string, query: string, message: RegExp][] = [
    [
      'a depth bomb (12 levels, limit 10)',
      `{ organization(code: "ZONE") { ${'parent { '.repeat(10)}code${' }'.repeat(10)} } }`,
      /depth limit of 10 exceeded/i,
    ],
    [
      'an alias bomb (16 aliases, limit 15)',
      `{ ${repeat(16, (i) => `a${i}: organization(code: "ZONE") { code }`)} }`,
      /aliases limit of 15 exceeded/i,
    ],
    [
      'a cost bomb (first: 100 twice within the depth limit)',
      '{ cadres(first: 100) { nodes { organization { cadres(first: 100) { nodes { name } } } } } }',
      /cost limit of 60000 exceeded/i,
    ],
    ['a token bomb (1002 tokens, limit 1000)', `{ ${repeat(1000, () => '__typename')} }`, /token limit of 1000/i],
    [
      'a directive bomb (51 directives, limit 50)',
      // Aliases of __typename are not counted against the alias limit; one directive per field
      // keeps graphql-js' own "directive used twice" rule quiet.
      `{ ${repeat(51, (i) => `t${i}: __typename @include(if: true)`)} }`,
      /directives limit of 50 exceeded/i,
    ],
  ];

  for (const [name, query, message] of bombs) {
    it(`refuses ${name} with QUERY_TOO_COMPLEX before any resolver runs`, async () => {
      const refused = await refusal(await post({ query }));
      expect(refused).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX' });
      expect(refused.message).toMatch(message);
      expect(refused.message).not.toMatch(/Syntax Error/);
      // No resolver ran. The cost is weighed once the variables are known, after the credential
      // check; every other limit comes before even that.
      expect(statements.filter((statement) => !/from "sessions"/.test(statement))).toEqual([]);
      if (!/cost/.test(name)) expect(statements).toEqual([]);
    });
  }

  it('refuses a page above the maximum with one message and HTTP 400, whatever the value and the Accept header', async () => {
    const message = 'first must be between 0 and 100 (in cadres); ask for the next page with after/before';
    for (const accept of ['application/json', 'application/graphql-response+json', '*/*']) {
      for (const [query, variables] of [
        ['{ cadres(first: 101) { totalCount } }', undefined],
        ['{ cadres(first: 1000000) { totalCount } }', undefined],
        ['query Page($n: Int) { cadres(first: $n) { totalCount } }', { n: 1_000_000 }],
      ] as const) {
        const refused = await refusal(await post({ query, variables }, { accept }));
        expect(refused, `${accept} ${query}`).toEqual({ status: 400, code: 'BAD_USER_INPUT', message });
      }
    }
    const last = await refusal(await post({ query: '{ cadres(last: 500) { totalCount } }' }));
    expect(last).toMatchObject({ status: 400, message: expect.stringMatching(/^last must be between 0 and 100/) });
    expect(statements.filter((statement) => !/from "sessions"/.test(statement))).toEqual([]);
  });

  it('judges each request of one document by its own page variables', async () => {
    const query = 'query Page($n: Int) { cadres(first: $n) { totalCount } }';
    const answer = async (n: number | null) => {
      const response = await post({ query, variables: { n } });
      const body = (await response.json()) as ErrorBody;
      return { status: response.status, code: body.errors?.[0]?.extensions?.code ?? null };
    };
    for (const n of [5, 1_000_000, 5, null, 101, 100]) {
      expect(await answer(n), String(n)).toEqual(
        n !== null && n > 100 ? { status: 400, code: 'BAD_USER_INPUT' } : { status: 200, code: null },
      );
    }
  });

  it('counts first: $variable and a left-out first (the default page of 20) in the cost', async () => {
    const nested =
      'query Nested($n: Int) { cadres(first: $n) { nodes { organization { cadres(first: $n) { nodes { organization { cadres(first: $n) { nodes { name } } } } } } } } }';
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const byVariable = await refusal(await post({ query: nested, variables: { n: 30 } }, { accept }));
      expect(byVariable).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX' });
      expect(byVariable.message).toMatch(/^Query Cost limit of 60000 exceeded, found \d+\.$/);
      const byDefault = await refusal(
        await post(
          {
            query:
              '{ cadres { nodes { organization { cadres { nodes { organization { cadres { nodes { name } } } } } } } } }',
          },
          { accept },
        ),
      );
      expect(byDefault).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX' });
    }
    const small = (await (await post({ query: nested, variables: { n: 3 } })).json()) as ErrorBody;
    expect(small.errors).toBeUndefined();
  });

  it("fits an admin's natural round trip: unit, parent, children, their cadres and each cadre's records", async () => {
    const response = await post({
      query: `{ organization(code: "DISCIPLINE_WORKING_COMMITTEE") { parent { code children { code
        cadres(first: 5) { nodes { name studyRecords(first: 5) { nodes { id } } } } } } } }`,
    });
    const body = (await response.json()) as { data?: { organization: { parent: { code: string } } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.organization.parent.code).toBe('ZONE');
  });

  it('runs a document just inside the limits (15 aliases, depth 6)', async () => {
    const response = await post({
      query: `{ ${repeat(15, (i) => `a${i}: organization(code: "ZONE") { code }`)}
        organization(code: "ZONE") { children { cadres(first: 1) { nodes { organization { code } } } } } }`,
    });
    const body = (await response.json()) as { data: Record<string, { code?: string }>; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.a14?.code).toBe('ZONE');
    expect(statements.length).toBeGreaterThan(0);
  });

  it('hides field suggestions', async () => {
    const refused = await refusal(await post({ query: '{ organizaton(code: "ZONE") { name } }' }));
    expect(refused.message).toContain('Cannot query field "organizaton"');
    expect(refused.message).not.toMatch(/did you mean|organization\b/i);
  });

  it('keeps every operation the SDK publishes and every GraphiQL tab within the limits, with room in depth', async () => {
    const measured: Record<QueryLimit, number[]> = {
      maxDepth: [],
      maxAliases: [],
      maxDirectives: [],
      maxTokens: [],
      maxCost: [],
    };
    let current: Record<QueryLimit, number> | undefined;
    const stopBeforeExecution: Plugin = {
      onExecute: ({ setResultAndStopExecution }) => setResultAndStopExecution({ data: {} }),
      onSubscribe: ({ setResultAndStopExecution }) => setResultAndStopExecution({ data: {} }),
    };
    // The same limits on the real schema, stopped before execution: mutations must not run here.
    const limitsOnly = createYoga({
      schema,
      maskedErrors: false,
      plugins: [
        useQueryLimits({
          onMeasure: (limit, value) => {
            if (current) current[limit] = Math.max(current[limit], value);
          },
        }),
        stopBeforeExecution,
      ],
    });
    const operations = loadPersistedOperations();
    expect(operations.size).toBeGreaterThan(10);
    const failures: string[] = [];
    // GraphiQL's tabs are held to the same limits (admins run them as they come).
    for (const text of [...operations.values(), ...GRAPHIQL_EXAMPLES.map((tab) => tab.query)]) {
      current = { maxDepth: 0, maxAliases: 0, maxDirectives: 0, maxTokens: 0, maxCost: 0 };
      const response = await limitsOnly.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: text }),
      });
      const body = (await response.json()) as ErrorBody;
      const name = /^(?:query|mutation|subscription) (\w+)/m.exec(text)?.[1];
      for (const error of body.errors ?? []) failures.push(`${name}: ${error.message}`);
      for (const limit of Object.keys(measured) as QueryLimit[]) measured[limit].push(current[limit]);
    }
    expect(failures).toEqual([]);
    for (const limit of Object.keys(measured) as QueryLimit[]) {
      expect(Math.max(...measured[limit]), limit).toBeLessThanOrEqual(QUERY_LIMITS[limit]);
    }
    // Depth keeps room above the deepest published operation (the cost limit carries the weight).
    expect(Math.max(...measured.maxDepth) + 2, 'QUERY_LIMITS.maxDepth leaves room').toBeLessThanOrEqual(
      QUERY_LIMITS.maxDepth,
    );
    expect(measured.maxCost.length, 'every operation was weighed').toBe(operations.size + GRAPHIQL_EXAMPLES.length);
    // Tokens and cost keep headroom for admins' GraphiQL queries (and the introspection query).
    expect(Math.max(...measured.maxTokens) * 4).toBeLessThanOrEqual(QUERY_LIMITS.maxTokens);
    expect(Math.max(...measured.maxCost) * 2).toBeLessThanOrEqual(QUERY_LIMITS.maxCost);
  });
});

describe('HTTP request rules', () => {
  it('refuses a 2 MB body with BAD_REQUEST and status 413', async () => {
    const padding = 'x'.repeat(2 * 1024 * 1024);
    const refused = await refusal(await post({ query: '{ __typename }', variables: { padding } }));
    expect(refused).toMatchObject({ status: 413, code: 'BAD_REQUEST' });
    expect(refused.message).toContain(String(MAX_REQUEST_BODY_BYTES));
    expect(statements).toEqual([]);
  });

  it('refuses a streamed body without content-length once it passes 1 MB', async () => {
    const chunk = new TextEncoder().encode(`{"query":"{ __typename }","variables":{"padding":"${'x'.repeat(65_536)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * MAX_REQUEST_BODY_BYTES) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await app.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body,
      duplex: 'half',
    } as RequestInit);
    const refused = await refusal(response);
    expect(refused).toMatchObject({ status: 413, code: 'BAD_REQUEST' });
    expect(statements).toEqual([]);
  });

  it('refuses a malformed Content-Length with BAD_REQUEST and status 400', async () => {
    for (const contentLength of ['12abc', '-1', '5, 5']) {
      const refused = await refusal(await post({ query: '{ __typename }' }, { 'content-length': contentLength }));
      expect(refused, contentLength).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    expect(statements).toEqual([]);
  });

  it('over HTTP, answers a declared body and refuses one that declares or streams more than 1 MB', async () => {
    const running = await listen(app, 0, '127.0.0.1');
    const { port } = new URL(running.url);
    /** Sends the body in pieces (chunked unless `content-length` is given); resolves on the answer. */
    const send = (headers: Record<string, string>, pieces: Iterable<string>) =>
      new Promise<{ status: number; body: ErrorBody }>((resolve, reject) => {
        const request = httpRequest(
          {
            // A connection of its own: a refused body is left unread, and a reused connection
            // would carry the next request into it.
            agent: false,
            host: '127.0.0.1',
            port,
            path: '/graphql',
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, ...headers },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => {
              text += chunk;
            });
            response.on('end', () => {
              request.destroy();
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
            });
          },
        );
        // The server may answer (and close) before the whole body is sent.
        request.on('error', () => {});
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref();
        for (const piece of pieces) request.write(piece);
        request.end();
      });
    try {
      const query = JSON.stringify({ query: '{ __typename }' });
      const answered = await send({ 'content-length': String(Buffer.byteLength(query)) }, [query]);
      expect(answered).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
      // The refusals below must send no SQL (not even the credential lookup).
      statements.length = 0;
      const declared = await send({ 'content-length': String(2 * MAX_REQUEST_BODY_BYTES) }, ['{"query":']);
      expect(declared.status).toBe(413);
      expect(declared.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      const padding = 'x'.repeat(65_536);
      const chunks = function* () {
        yield `{"query":"{ __typename }","variables":{"padding":"`;
        for (let i = 0; i < 40; i += 1) yield padding;
        yield '"}}';
      };
      const streamed = await send({}, chunks());
      expect(streamed.status).toBe(413);
      expect(streamed.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(statements).toEqual([]);
    } finally {
      await running.stop();
    }
  });

  it('refuses a batched array body', async () => {
    const refused = await refusal(await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expect(refused.status).toBe(400);
    expect(refused.code).toBe('BAD_REQUEST');
    expect(statements).toEqual([]);
  });

  it('refuses a form-encoded mutation, even with the CSRF header', async () => {
    const response = await app.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${adminToken}`,
        [CSRF_HEADER]: 'form',
      },
      body: new URLSearchParams({ query: 'mutation { logout { sessionEnded } }' }).toString(),
    });
    const refused = await refusal(response);
    expect(refused).toMatchObject({ status: 415, code: 'BAD_REQUEST' });
    expect(statements).toEqual([]);
  });

  it('refuses a multipart mutation and a text/plain one', async () => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: 'mutation { logout { sessionEnded } }' }));
    form.set('map', '{}');
    const multipart = await app.fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      body: form,
    });
    expect(await refusal(multipart)).toMatchObject({ status: 415, code: 'BAD_REQUEST' });
    const plain = await app.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query: 'mutation { logout { sessionEnded } }' }),
    });
    expect(await refusal(plain)).toMatchObject({ status: 415, code: 'BAD_REQUEST' });
    expect(statements).toEqual([]);
  });

  it('answers a GET query only with the CSRF header (a browser cannot add it cross-site)', async () => {
    const get = `${url}?query=${encodeURIComponent('{ __typename }')}`;
    const bare = await refusal(await app.fetch(get, { headers: { accept: 'application/json' } }));
    expect(bare).toMatchObject({ status: 403, code: 'BAD_REQUEST' });
    expect(bare.message).toContain(CSRF_HEADER);
    const withHeader = await app.fetch(get, { headers: { accept: 'application/json', [CSRF_HEADER]: 'curl' } });
    expect(await withHeader.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves GraphiQL configured to send the CSRF header with its JSON POSTs', async () => {
    const response = await app.fetch(url, { headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(html).toContain(`"additionalHeaders":{"${CSRF_HEADER}":"graphiql"}`);
    expect(html).toContain('"method":"POST"');
  });
});
