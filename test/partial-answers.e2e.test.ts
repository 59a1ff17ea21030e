// One failing alias costs only its own answer where the field may be null: the other aliases keep
// their data and the error names the failing alias's path. The list and report fields at the root
// are non-null (README, Errors), so a failure there nulls the whole `data`: ask them in requests of their own.
import { login } from '@sixtype/graphql';
import { OrganizationByCodeDocument } from '@sixtype/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestServer, type TestServer } from './support.ts';

let api: TestServer;
let token: string;

beforeAll(async () => {
  api = await startTestServer();
  ({ token } = await login(api.database.db, api.tokenSecret, ADMIN));
});
afterAll(async () => {
  await api?.close();
});

interface Answer {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  };
}

async function post(query: string, authorization?: string): Promise<Answer> {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

describe('a query with a good and a failing alias', () => {
  it("answers the good alias's data and one error with the failing alias's path (a refused id)", async () => {
    const answer = await post(
      `{ zone: organization(code: "ZONE") { code name } missing: node(id: "garbage") { id } }`,
      `Bearer ${token}`,
    );

    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ zone: { code: 'ZONE', name: '经济开发区' }, missing: null });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors?.[0]).toMatchObject({ path: ['missing'], extensions: { code: 'BAD_USER_INPUT' } });
    expect(answer.body.errors?.[0]?.message).toMatch(/^id: "garbage" is not an id this API gave out/);
  });

  it('refetches several ids at once: the good ones answer, an id of no type with ids errs at its own path, in words', async () => {
    const { organization } = await api.client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    const zoneId = organization?.id;
    if (!zoneId) throw new Error('ZONE not found');
    const unknownType = Buffer.from('Nope:1').toString('base64');

    const answer = await post(
      `{
        first: node(id: "${zoneId}") { ... on Organization { code } }
        second: node(id: "${unknownType}") { id }
        third: organization(code: "ZONE") { name }
      }`,
      `Bearer ${token}`,
    );

    expect(answer.body.data).toEqual({ first: { code: 'ZONE' }, second: null, third: { name: '经济开发区' } });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors?.[0]).toEqual(
      expect.objectContaining({
        path: ['second'],
        message: `id: "${unknownType}" is not an id this API gave out (use the id field of an object it returned)`,
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    );
  });

  it('nulls the whole answer when the failing alias is a non-null list field (the rule README states)', async () => {
    const answer = await post(
      `{ zone: organization(code: "ZONE") { name } cadres: cadres(orgCode: "NOPE", first: 1) { totalCount } }`,
      `Bearer ${token}`,
    );

    expect(answer.body.data).toBeNull();
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        path: ['cadres'],
        message: 'Organization NOPE does not exist',
        extensions: { code: 'NOT_FOUND' },
      }),
    ]);
  });
});
