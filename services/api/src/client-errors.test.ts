import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './server.ts';

// What a person integrating with the API reads when they get an argument wrong.

let database: TestDatabase;
let app: App;
let adminToken: string;

beforeAll(async () => {
  database = await openTestDatabase();
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
  await database?.close();
});

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
};

const ask = async (query: string, variables?: unknown): Promise<Answer> =>
  (
    await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query, variables }),
    })
  ).json();

const transition = `mutation Transition($id: ID!) {
  transitionProblem(input: { problemId: $id, toState: RECTIFYING }) {
    __typename
    ... on ValidationError { fieldErrors { path message } }
  }
}`;

describe('global ids', () => {
  it('answers ValidationError naming the input field, in words, for a garbage id and for an id of another type', async () => {
    const cadreId = Buffer.from('Cadre:1').toString('base64');
    for (const id of ['garbage', cadreId]) {
      const answer = await ask(transition, { id });
      expect(answer.errors, id).toBeUndefined();
      expect(answer.data?.transitionProblem).toEqual({
        __typename: 'ValidationError',
        fieldErrors: [
          {
            path: ['input', 'problemId'],
            message: 'is not the id of a Problem: use the id field of a Problem this API returned',
          },
        ],
      });
    }
  });

  it('names the argument of node(id:) and nodes(ids:) that holds an id the API never gave out', async () => {
    const node = await ask('{ node(id: "garbage") { id } }');
    expect(node.data).toEqual({ node: null });
    expect(node.errors).toEqual([
      expect.objectContaining({
        message: 'id: "garbage" is not an id this API gave out (use the id field of an object it returned)',
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    const nodes = await ask('{ nodes(ids: ["Q2FkcmU6MQ==", "nope"]) { id } }');
    expect(nodes.errors?.[0]).toMatchObject({
      message: 'ids: "nope" is not an id this API gave out (use the id field of an object it returned)',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('unknown codes', () => {
  it('says that a campaign does not exist, rather than that it has no study requirement', async () => {
    const answer = await ask('{ studyCompliance(campaignCode: "NOPE", year: 2012, orgCode: "ZONE") { totalCount } }');
    expect(answer.errors).toEqual([
      expect.objectContaining({ message: 'Campaign NOPE does not exist', extensions: { code: 'NOT_FOUND' } }),
    ]);
    const noYear = await ask(
      '{ studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2030, orgCode: "ZONE") { totalCount } }',
    );
    expect(noYear.errors?.[0]?.message).toBe('Campaign SIX_TYPE_2012 has no study requirement for 2030');
  });
});
