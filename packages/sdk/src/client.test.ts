import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CreateOrganizationDocument,
  type CreateOrganizationMutation,
  CurrentViewerDocument,
  createClient,
  isTransientError,
  ListCadresDocument,
  OrganizationByCodeDocument,
  type OrganizationByCodeQuery,
  SixtypeError,
} from './index.ts';
import type { FetchLike } from './options.ts';

const url = 'https://sixtype.example.test/graphql';

interface SentRequest {
  url: string;
  method: string | undefined;
  headers: Headers;
  body: { query: string; operationName?: string; variables?: Record<string, unknown> };
  signal: AbortSignal | null | undefined;
}

/** A fetch that records what it was sent and answers with `respond`'s Response. */
function fakeFetch(respond: (request: SentRequest) => Response | Promise<Response>) {
  const sent: SentRequest[] = [];
  const fetch: FetchLike = async (requestUrl, init) => {
    const request: SentRequest = {
      url: requestUrl,
      method: init.method,
      headers: new Headers(init.headers),
      body: JSON.parse(String(init.body)),
      signal: init.signal,
    };
    sent.push(request);
    return respond(request);
  };
  return { fetch, sent };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/graphql-response+json; charset=utf-8' },
  });
}

const zone = {
  id: 'T3JnYW5pemF0aW9uOjE=',
  code: 'ZONE',
  name: '经济开发区',
  kind: 'ZONE',
  depth: 0,
  sortOrder: 0,
  createdAt: '2012-01-01T00:00:00.000Z',
  updatedAt: '2012-01-01T00:00:00.000Z',
} as const;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('request', () => {
  it('POSTs the operation as GraphQL-over-HTTP JSON with the API key and returns typed data', async () => {
    const organization = { ...zone, parent: null, children: [], ancestors: [] };
    const { fetch, sent } = fakeFetch(() => json({ data: { organization } }));
    const client = createClient({ url, apiKey: 'sk_test_123', fetch });

    const data = await client.request(OrganizationByCodeDocument, { code: 'ZONE' });

    expect(data.organization?.name).toBe('经济开发区');
    expectTypeOf(data).toEqualTypeOf<OrganizationByCodeQuery>();
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request?.url).toBe(url);
    expect(request?.method).toBe('POST');
    expect(request?.headers.get('content-type')).toBe('application/json');
    expect(request?.headers.get('accept')).toBe('application/graphql-response+json, application/json');
    expect(request?.headers.get('authorization')).toBe('ApiKey sk_test_123');
    expect(request?.body.operationName).toBe('OrganizationByCode');
    expect(request?.body.query).toMatch(/^query OrganizationByCode\(\$code: String!\)/);
    expect(request?.body.query).toContain('fragment OrganizationFields on Organization');
    expect(request?.body.variables).toEqual({ code: 'ZONE' });
  });

  it('sends a bearer token, and per-request headers win over client headers', async () => {
    const { fetch, sent } = fakeFetch(() => json({ data: { organization: null } }));
    const client = createClient({ url, token: 'jwt.abc', headers: { 'x-request-source': 'hr-system' }, fetch });

    await client.request(OrganizationByCodeDocument, { code: 'NOPE' });
    await client.request(OrganizationByCodeDocument, { code: 'NOPE' }, { headers: { Authorization: 'Bearer other' } });

    expect(sent[0]?.headers.get('authorization')).toBe('Bearer jwt.abc');
    expect(sent[0]?.headers.get('x-request-source')).toBe('hr-system');
    expect(sent[1]?.headers.get('authorization')).toBe('Bearer other');
  });

  it('refuses more than one credential at once', () => {
    expect(() => createClient({ url, apiKey: 'k', token: 't' })).toThrow(TypeError);
    expect(() => createClient({ url, token: 't', getToken: () => 't' })).toThrow(TypeError);
  });

  it('asks getToken before every request, so a renewed token is used', async () => {
    const { fetch, sent } = fakeFetch(() => json({ data: { organization: null } }));
    const tokens = ['first', 'second'];
    const client = createClient({ url, fetch, getToken: async () => tokens.shift() });

    await client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    await client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    await client.request(OrganizationByCodeDocument, { code: 'ZONE' });

    expect(sent.map((request) => request.headers.get('authorization'))).toEqual([
      'Bearer first',
      'Bearer second',
      null,
    ]);
  });

  it('requires the variables an operation cannot run without', async () => {
    const { fetch } = fakeFetch(() => json({ data: { cadres: { totalCount: 0, pageInfo: {}, nodes: [] } } }));
    const client = createClient({ url, fetch });
    // ListCadres has only optional variables, and CurrentViewer none, so they may be left out.
    await client.request(ListCadresDocument);
    await client.request(CurrentViewerDocument);
    // Leaving out a required variable does not compile (tsc checks this file).
    // @ts-expect-error OrganizationByCode needs `code`.
    const withoutCode = () => client.request(OrganizationByCodeDocument);
    expect(withoutCode).toBeTypeOf('function');
  });

  it('throws SixtypeError with the GraphQL error code, the errors and the partial data', async () => {
    const errors = [
      { message: 'No organization has code GHOST', path: ['organization'], extensions: { code: 'NOT_FOUND' } },
    ];
    const { fetch } = fakeFetch(() => json({ data: { organization: null }, errors }));
    const client = createClient({ url, fetch });

    const error = await rejectionOf(client.request(OrganizationByCodeDocument, { code: 'GHOST' }));

    expect(error).toBeInstanceOf(SixtypeError);
    expect(error).toMatchObject({
      name: 'SixtypeError',
      code: 'NOT_FOUND',
      message: 'No organization has code GHOST',
      status: 200,
      errors,
      data: { organization: null },
    });
  });

  it('carries the database codes: DATABASE_UNAVAILABLE on a 503 is transient, QUERY_TIMEOUT is not', async () => {
    const { fetch } = fakeFetch(() =>
      json(
        { errors: [{ message: 'The database is unavailable.', extensions: { code: 'DATABASE_UNAVAILABLE' } }] },
        503,
      ),
    );
    const unavailable = await rejectionOf(
      createClient({ url, fetch, retry: false }).request(OrganizationByCodeDocument, { code: 'ZONE' }),
    );
    expect(unavailable).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
    expect(isTransientError(unavailable)).toBe(true);

    const slow = fakeFetch(() =>
      json(
        { errors: [{ message: 'The query took too long.', extensions: { code: 'QUERY_TIMEOUT' } }], data: null },
        200,
      ),
    );
    const timedOut = await rejectionOf(
      createClient({ url, fetch: slow.fetch }).request(OrganizationByCodeDocument, { code: 'ZONE' }),
    );
    expect(timedOut).toMatchObject({ code: 'QUERY_TIMEOUT' });
    expect(isTransientError(timedOut)).toBe(false);
  });

  it('reports an error without a known extensions.code as INTERNAL_SERVER_ERROR', async () => {
    const { fetch } = fakeFetch(() => json({ errors: [{ message: 'Unexpected error.' }] }, 500));
    const client = createClient({ url, fetch });

    const error = await rejectionOf(client.request(OrganizationByCodeDocument, { code: 'ZONE' }));

    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', status: 500, data: undefined });
  });

  it('throws HTTP_ERROR for a response that is not GraphQL, such as a bare 500', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response('<html>Internal Server Error</html>', { status: 500, headers: { 'content-type': 'text/html' } }),
    );
    const client = createClient({ url, fetch });

    const error = await rejectionOf(client.request(OrganizationByCodeDocument, { code: 'ZONE' }));

    expect(error).toBeInstanceOf(SixtypeError);
    expect(error).toMatchObject({ code: 'HTTP_ERROR', status: 500, errors: [] });
  });

  it('throws NETWORK_ERROR when no response arrives', async () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:4000') });
    const client = createClient({ url, fetch: () => Promise.reject(refused), retry: false });

    const error = await rejectionOf(client.request(OrganizationByCodeDocument, { code: 'ZONE' }));

    expect(error).toBeInstanceOf(SixtypeError);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: undefined, cause: refused });
    expect((error as SixtypeError).message).toContain('ECONNREFUSED');
  });

  it('passes the AbortSignal to fetch, and aborting rejects with the abort reason', async () => {
    const { fetch, sent } = fakeFetch(
      ({ signal }) =>
        new Promise<Response>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    );
    const client = createClient({ url, fetch });
    const controller = new AbortController();

    const pending = client.request(OrganizationByCodeDocument, { code: 'ZONE' }, { signal: controller.signal });
    await Promise.resolve();
    controller.abort();
    const error = await rejectionOf(pending);

    expect(sent[0]?.signal).toBe(controller.signal);
    expect(error).not.toBeInstanceOf(SixtypeError);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it('returns expected mutation failures as data to switch on, without throwing', async () => {
    const failure = {
      __typename: 'ValidationError',
      code: 'BAD_USER_INPUT',
      message: 'Invalid input',
      fieldErrors: [{ path: ['input', 'code'], message: 'Use upper-case letters, digits and _' }],
    };
    const { fetch } = fakeFetch(() => json({ data: { createOrganization: failure } }));
    const client = createClient({ url, fetch });

    const data = await client.request(CreateOrganizationDocument, {
      input: { code: 'bad code', name: '新单位', kind: 'OFFICE', parentCode: 'ZONE' },
    });

    const result: CreateOrganizationMutation['createOrganization'] = data.createOrganization;
    if (result.__typename !== 'ValidationError') throw new Error(`unexpected ${result.__typename}`);
    expect(result.fieldErrors).toEqual([{ path: ['input', 'code'], message: 'Use upper-case letters, digits and _' }]);
  });
});

describe('read-your-writes', () => {
  const created = {
    __typename: 'CreateOrganizationPayload',
    organization: { ...zone, code: 'NEW_OFFICE', name: '新单位' },
  };
  const input = { code: 'NEW_OFFICE', name: '新单位', kind: 'OFFICE', parentCode: 'ZONE' } as const;

  /** Answers mutations with the WAL position named in `lsns` (in turn), queries with the zone. */
  function apiWithReplicas(lsns: string[]) {
    return fakeFetch((request) => {
      if (request.body.operationName !== 'CreateOrganization') return json({ data: { organization: zone } });
      const response = json({ data: { createOrganization: created } });
      const lsn = lsns.shift();
      if (lsn !== undefined) response.headers.set('x-sixtype-write-lsn', lsn);
      return response;
    });
  }

  it("echoes the latest mutation's x-sixtype-write-lsn as x-sixtype-read-after on the client's next requests", async () => {
    const { fetch, sent } = apiWithReplicas(['0/3000060', '1/0']);
    const client = createClient({ url, apiKey: 'sk_test_123', fetch });

    await client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    await client.request(CreateOrganizationDocument, { input });
    await client.request(OrganizationByCodeDocument, { code: 'NEW_OFFICE' });
    await client.request(CreateOrganizationDocument, { input });
    await client.request(OrganizationByCodeDocument, { code: 'NEW_OFFICE' });

    expect(sent.map((request) => request.headers.get('x-sixtype-read-after'))).toEqual([
      null,
      null,
      '0/3000060',
      '0/3000060',
      '1/0',
    ]);
  });

  it('keeps the highest position: an answer that arrives late with an older one does not move it back', async () => {
    // 1/0 is past 0/FFFFFFFF (the halves are hexadecimal numbers, compared as one 64-bit position).
    const { fetch, sent } = apiWithReplicas(['1/0', '0/FFFFFFFF', 'not an lsn']);
    const client = createClient({ url, fetch });

    await client.request(CreateOrganizationDocument, { input });
    await client.request(CreateOrganizationDocument, { input });
    await client.request(CreateOrganizationDocument, { input });
    await client.request(OrganizationByCodeDocument, { code: 'NEW_OFFICE' });

    expect(sent.at(-1)?.headers.get('x-sixtype-read-after')).toBe('1/0');
  });

  it('is per client: another client of the same API has written nothing', async () => {
    const api = apiWithReplicas(['0/3000060']);
    const writer = createClient({ url, fetch: api.fetch });
    const reader = createClient({ url, fetch: api.fetch });

    await writer.request(CreateOrganizationDocument, { input });
    await reader.request(OrganizationByCodeDocument, { code: 'NEW_OFFICE' });
    await writer.request(OrganizationByCodeDocument, { code: 'NEW_OFFICE' });

    expect(api.sent.map((request) => request.headers.get('x-sixtype-read-after'))).toEqual([null, null, '0/3000060']);
  });
});

describe('paginate', () => {
  const cadre = (n: number) => ({
    id: `Q2FkcmU6${n}`,
    employeeNumber: `E${n}`,
    name: `干部${n}`,
    gender: 'FEMALE',
    position: null,
    rank: null,
    isLeader: false,
    isPartyMember: true,
    phone: null,
    status: 'ACTIVE',
    createdAt: '2012-01-01T00:00:00.000Z',
    updatedAt: '2012-01-01T00:00:00.000Z',
    organization: { id: zone.id, code: zone.code, name: zone.name },
  });
  const pages: Record<string, { nodes: ReturnType<typeof cadre>[]; endCursor: string; hasNextPage: boolean }> = {
    start: { nodes: [cadre(1), cadre(2)], endCursor: 'c2', hasNextPage: true },
    c2: { nodes: [cadre(3), cadre(4)], endCursor: 'c4', hasNextPage: true },
    c4: { nodes: [cadre(5)], endCursor: 'c5', hasNextPage: false },
  };

  it('walks every page by endCursor and stops after the last one', async () => {
    const { fetch, sent } = fakeFetch(({ body }) => {
      const page = pages[String(body.variables?.after ?? 'start')];
      if (page === undefined)
        return json({ errors: [{ message: 'bad cursor', extensions: { code: 'BAD_USER_INPUT' } }] });
      return json({
        data: {
          cadres: {
            totalCount: 5,
            pageInfo: {
              hasNextPage: page.hasNextPage,
              hasPreviousPage: false,
              startCursor: null,
              endCursor: page.endCursor,
            },
            nodes: page.nodes,
          },
        },
      });
    });
    const client = createClient({ url, fetch });

    const names: string[] = [];
    for await (const node of client.paginate(
      ListCadresDocument,
      { orgCode: 'ZONE', first: 2 },
      (data) => data.cadres,
    )) {
      expectTypeOf(node.employeeNumber).toEqualTypeOf<string>();
      names.push(node.name);
    }

    expect(names).toEqual(['干部1', '干部2', '干部3', '干部4', '干部5']);
    expect(sent.map((request) => request.body.variables)).toEqual([
      { orgCode: 'ZONE', first: 2 },
      { orgCode: 'ZONE', first: 2, after: 'c2' },
      { orgCode: 'ZONE', first: 2, after: 'c4' },
    ]);
  });

  it('fails instead of looping when a page claims a next page without a new cursor', async () => {
    const { fetch, sent } = fakeFetch(() =>
      json({
        data: { cadres: { totalCount: 9, pageInfo: { hasNextPage: true, endCursor: null }, nodes: [cadre(1)] } },
      }),
    );
    const client = createClient({ url, fetch });

    const iterate = async () => {
      for await (const _node of client.paginate(ListCadresDocument, { first: 1 }, (data) => data.cadres)) {
        // drain
      }
    };

    await expect(iterate()).rejects.toBeInstanceOf(SixtypeError);
    expect(sent).toHaveLength(1);
  });
});
