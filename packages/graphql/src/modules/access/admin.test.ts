import { apiClients, users } from '@sixtype/db';
import { eq } from 'drizzle-orm';
import { GraphQLError, type GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../context.ts';
import { schema } from '../../schema.ts';
import {
  ANONYMOUS,
  apiClientViewer,
  dataOf,
  errorCodes,
  globalId,
  openTestApi,
  type TestApi,
  userViewer,
} from '../../test-support.ts';
import { authenticate, loadTokenSecret } from './access.service.ts';

let api: TestApi;
let secret: string;
let admin: Viewer;
let manager: Viewer;
let client: Viewer;

beforeAll(async () => {
  api = await openTestApi();
  secret = await loadTokenSecret(api.db);
  const adminUser = await userViewer(api.db, 'ADMIN');
  if (adminUser.kind !== 'USER') throw new Error('expected a user viewer');
  admin = { ...adminUser, userId: 4242 };
  manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'INVESTMENT_PROMOTION_BUREAU' });
  client = await apiClientViewer(api.db, [
    'directory:read',
    'directory:write',
    'directory:personal',
    'metrics:read',
    'metrics:write',
  ]);
});
afterAll(async () => {
  await api?.close();
});

const USER_ERROR = /* GraphQL */ `
  fragment Failure on UserError {
    __typename
    code
    message
    ... on ValidationError { fieldErrors { path message } }
    ... on NotFoundError { entity key }
    ... on ConflictError { field }
  }
`;

const CREATE_USER = /* GraphQL */ `
  mutation($input: CreateUserInput!) {
    createUser(input: $input) {
      __typename
      ... on CreateUserPayload { user { id username role organization { code } cadre { employeeNumber } } }
      ...Failure
    }
  }
  ${USER_ERROR}
`;

const CREATE_API_CLIENT = /* GraphQL */ `
  mutation($input: CreateApiClientInput!) {
    createApiClient(input: $input) {
      __typename
      ... on CreateApiClientPayload { key apiClient { id name keyPrefix scopes revokedAt organization { code } } }
      ...Failure
    }
  }
  ${USER_ERROR}
`;

const ROTATE = /* GraphQL */ `
  mutation($id: ID!) {
    rotateApiClientKey(input: { id: $id }) {
      __typename
      ... on RotateApiClientKeyPayload { key apiClient { id keyPrefix } }
      ...Failure
    }
  }
  ${USER_ERROR}
`;

const REVOKE = /* GraphQL */ `
  mutation($id: ID!) {
    revokeApiClient(input: { id: $id }) {
      __typename
      ... on RevokeApiClientPayload { apiClient { id name revokedAt } }
      ...Failure
    }
  }
  ${USER_ERROR}
`;

// biome-ignore lint/suspicious/noExplicitAny: results are checked field by field with expect
type Result = Record<string, any>;

/** Runs a mutation and returns its one result field together with the audit rows it added. */
async function mutate(source: string, variables: Record<string, unknown>, viewer: Viewer = admin) {
  const auditBefore = await api.lastAuditId();
  const executed = await api.execute<Result>(source, variables, viewer);
  const data = dataOf(executed);
  const [result] = Object.values(data) as Result[];
  return { result: result as Result, audit: await api.auditEventsAfter(auditBefore) };
}

const keyWorks = async (key: string) => {
  try {
    const viewer = await authenticate(api.db, secret, { authorization: `ApiKey ${key}` });
    return viewer.kind === 'API_CLIENT';
  } catch (error) {
    if (error instanceof GraphQLError && error.extensions.code === 'UNAUTHENTICATED') return false;
    throw error;
  }
};

/** A new API client (as the admin), with its first key. */
async function createClient(name = 'provincial statistics') {
  const { result } = await mutate(CREATE_API_CLIENT, {
    input: { name, scopes: ['metrics:read', 'metrics:write'], organizationCode: 'ZONE' },
  });
  return { clientId: result.apiClient.id as string, key: result.key as string };
}

const MANAGER_PETITIONS = {
  username: 'manager.petitions',
  password: 'correct horse battery',
  role: 'ORG_MANAGER',
  organizationCode: 'PETITION_OFFICE',
};

describe('createUser', () => {
  it('creates an account and writes one audit row without the password or its hash', async () => {
    const { result, audit } = await mutate(CREATE_USER, { input: MANAGER_PETITIONS });
    expect(result).toMatchObject({
      __typename: 'CreateUserPayload',
      user: { username: 'manager.petitions', role: 'ORG_MANAGER', organization: { code: 'PETITION_OFFICE' } },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      operation: 'createUser',
      entityType: 'User',
      actorKind: 'USER',
      actorId: '4242',
      before: null,
    });
    const [row] = await api.db.select().from(users).where(eq(users.username, 'manager.petitions'));
    expect(audit[0]?.entityId).toBe(String(row?.id));
    const recorded = JSON.stringify(audit[0]);
    expect(recorded).not.toMatch(/passwordHash|scrypt\$|correct horse/);
  });

  it('answers a taken username (in any case) with a ConflictError and writes nothing', async () => {
    await mutate(CREATE_USER, { input: MANAGER_PETITIONS });
    const usersBefore = await api.rowCount(users);
    const { result, audit } = await mutate(CREATE_USER, {
      input: { username: 'MANAGER.PETITIONS', password: 'another good password', role: 'ADMIN' },
    });
    expect(result).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', field: 'username' });
    expect(audit).toEqual([]);
    expect(await api.rowCount(users)).toBe(usersBefore);
  });

  it('answers invalid input with per-field paths and an unknown unit with NotFoundError', async () => {
    const invalid = await mutate(CREATE_USER, {
      input: { username: 'x', password: 'short', role: 'ORG_MANAGER' },
    });
    expect(invalid.result.__typename).toBe('ValidationError');
    expect(invalid.result.fieldErrors.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['input.username', 'input.password', 'input.organizationCode']),
    );
    expect(invalid.audit).toEqual([]);

    const unknownUnit = await mutate(CREATE_USER, {
      input: {
        username: 'manager.nowhere',
        password: 'correct horse battery',
        role: 'ORG_MANAGER',
        organizationCode: 'NOPE',
      },
    });
    expect(unknownUnit.result).toMatchObject({ __typename: 'NotFoundError', entity: 'Organization', key: 'NOPE' });
    expect(unknownUnit.audit).toEqual([]);
  });
});

describe('API clients', () => {
  it('creates a client and returns its key once; the key works and is in no audit row', async () => {
    const { result, audit } = await mutate(CREATE_API_CLIENT, {
      input: { name: 'provincial statistics', scopes: ['metrics:read', 'metrics:write'], organizationCode: 'ZONE' },
    });
    expect(result).toMatchObject({
      __typename: 'CreateApiClientPayload',
      apiClient: {
        name: 'provincial statistics',
        scopes: ['metrics:read', 'metrics:write'],
        revokedAt: null,
        organization: { code: 'ZONE' },
      },
    });
    const firstKey: string = result.key;
    expect(firstKey).toContain(result.apiClient.keyPrefix);
    expect(await keyWorks(firstKey)).toBe(true);

    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ operation: 'createApiClient', entityType: 'ApiClient', actorKind: 'USER' });
    const [row] = await api.db.select().from(apiClients).where(eq(apiClients.name, 'provincial statistics'));
    const recorded = JSON.stringify(audit[0]);
    expect(recorded).not.toContain('keyHash');
    expect(recorded).not.toContain(row?.keyHash);
    expect(recorded).not.toContain(firstKey);
  });

  it('refuses an unknown scope or unit as typed errors and writes nothing', async () => {
    const clientsBefore = await api.rowCount(apiClients);
    const scope = await mutate(CREATE_API_CLIENT, { input: { name: 'x', scopes: ['metrics:read', 'everything'] } });
    expect(scope.result.__typename).toBe('ValidationError');
    expect(scope.result.fieldErrors[0].path).toEqual(['input', 'scopes', '1']);
    expect(scope.audit).toEqual([]);

    const unit = await mutate(CREATE_API_CLIENT, {
      input: { name: 'x', scopes: ['metrics:read'], organizationCode: 'NOPE' },
    });
    expect(unit.result).toMatchObject({ __typename: 'NotFoundError', entity: 'Organization' });
    expect(unit.audit).toEqual([]);
    expect(await api.rowCount(apiClients)).toBe(clientsBefore);
  });

  it('rotates the key: the old key stops working, the new one works, one audit row', async () => {
    const { clientId, key: firstKey } = await createClient();
    const { result, audit } = await mutate(ROTATE, { id: clientId });
    expect(result.__typename).toBe('RotateApiClientKeyPayload');
    expect(result.apiClient.id).toBe(clientId);
    expect(result.key).not.toBe(firstKey);
    expect(await keyWorks(firstKey)).toBe(false);
    expect(await keyWorks(result.key)).toBe(true);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ operation: 'rotateApiClientKey', entityType: 'ApiClient' });
    expect(JSON.stringify(audit[0])).not.toContain(result.key);
  });

  it('revokes the client: its key is refused, and it cannot be rotated afterwards', async () => {
    const { clientId, key } = await createClient();
    const { result, audit } = await mutate(REVOKE, { id: clientId });
    expect(result.__typename).toBe('RevokeApiClientPayload');
    expect(result.apiClient.revokedAt).not.toBeNull();
    expect(await keyWorks(key)).toBe(false);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ operation: 'revokeApiClient', entityType: 'ApiClient' });
    expect(audit[0]?.before).toMatchObject({ revokedAt: null });
    expect(JSON.stringify(audit[0])).not.toContain('keyHash');

    const rotated = await mutate(ROTATE, { id: clientId });
    expect(rotated.result.__typename).toBe('ValidationError');
    expect(rotated.audit).toEqual([]);
  });

  it('answers an id of no client, or of another type, with NotFoundError', async () => {
    for (const id of [globalId('ApiClient', 999_999), globalId('Organization', 1), 'not-an-id', '1']) {
      const { result, audit } = await mutate(REVOKE, { id });
      expect(result).toMatchObject({ __typename: 'NotFoundError', entity: 'ApiClient' });
      expect(audit).toEqual([]);
    }
  });
});

describe('who may manage accounts', () => {
  const attempts = (): [string, string, Record<string, unknown>][] => [
    [
      'createUser',
      CREATE_USER,
      { input: { username: 'sneaky.admin', password: 'correct horse battery', role: 'ADMIN' } },
    ],
    ['createApiClient', CREATE_API_CLIENT, { input: { name: 'sneaky', scopes: ['metrics:read'] } }],
    ['rotateApiClientKey', ROTATE, { id: globalId('ApiClient', 1) }],
    ['revokeApiClient', REVOKE, { id: globalId('ApiClient', 1) }],
  ];

  it('refuses managers and API clients (FORBIDDEN) and anonymous callers (UNAUTHENTICATED), writing nothing', async () => {
    for (const [viewer, code] of [
      [manager, 'FORBIDDEN'],
      [client, 'FORBIDDEN'],
      [ANONYMOUS, 'UNAUTHENTICATED'],
    ] as const) {
      for (const [name, source, variables] of attempts()) {
        const auditBefore = await api.lastAuditId();
        const counts = { users: await api.rowCount(users), clients: await api.rowCount(apiClients) };
        const executed = await api.execute(source, variables, viewer);
        expect(errorCodes(executed), `${name} as ${viewer.kind}`).toEqual([code]);
        expect(await api.auditEventsAfter(auditBefore)).toEqual([]);
        expect({ users: await api.rowCount(users), clients: await api.rowCount(apiClients) }).toEqual(counts);
      }
    }
  });

  it('does not show accounts or clients to a non-admin through node(id)', async () => {
    await createClient();
    await mutate(CREATE_USER, { input: MANAGER_PETITIONS });
    const [row] = await api.db.select({ id: apiClients.id }).from(apiClients).limit(1);
    const [user] = await api.db.select({ id: users.id }).from(users).limit(1);
    for (const id of [globalId('ApiClient', row?.id ?? 0), globalId('User', user?.id ?? 0)]) {
      const executed = await api.execute<{ node: unknown }>(
        'query($id: ID!) { node(id: $id) { id ... on ApiClient { name } ... on User { username } } }',
        { id },
        manager,
      );
      expect(executed.result.data?.node ?? null).toBeNull();
      expect(errorCodes(executed)).toEqual(['FORBIDDEN']);
    }
  });

  it('has no field that could return a password, a key or their hashes', () => {
    for (const typeName of ['User', 'ApiClient', 'CreateApiClientPayload', 'RotateApiClientKeyPayload']) {
      const fields = Object.keys((schema.getType(typeName) as GraphQLObjectType).getFields());
      expect(
        fields.filter((field) => /hash|password|secret/i.test(field)),
        typeName,
      ).toEqual([]);
    }
  });
});
