import { sessions, users } from '@sixtype/db';
import { eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACCESS } from '../../context.ts';
import { dataOf, errorCodes, openTestApi, type TestApi } from '../../test-support.ts';
import {
  authenticate,
  createApiClient,
  createUser,
  LOCKOUT_MINUTES,
  loadTokenSecret,
  login,
  logout,
  MAX_FAILED_LOGINS,
  revokeApiClient,
  rotateApiClientKey,
} from './access.service.ts';
import { hashPassword, signToken, verifyPassword, verifyToken } from './credentials.ts';

let api: TestApi;
let secret: string;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  api = await openTestApi();
  secret = await loadTokenSecret(api.db);
  await createUser(api.db, SYSTEM_ACCESS.actor, { username: 'admin.one', password: PASSWORD, role: 'ADMIN' });
  await createUser(api.db, SYSTEM_ACCESS.actor, {
    username: 'manager.a',
    password: PASSWORD,
    role: 'ORG_MANAGER',
    organizationCode: 'INVESTMENT_PROMOTION_BUREAU',
  });
});
afterAll(async () => {
  await api.close();
});

const codeOf = async (work: Promise<unknown>) => {
  try {
    await work;
  } catch (error) {
    if (error instanceof GraphQLError) return error.extensions.code;
    throw error;
  }
  return 'no error';
};

describe('passwords and tokens', () => {
  it('stores scrypt hashes that verify only the right password', async () => {
    const stored = await hashPassword('一二三四五六七八九十');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored).not.toContain('一二三');
    expect(await verifyPassword('一二三四五六七八九十', stored)).toBe(true);
    expect(await verifyPassword('一二三四五六七八九', stored)).toBe(false);
  });

  it('refuses a token with another signature, or past its expiry', () => {
    const claims = { sub: '1', sid: 'x', iat: 0, exp: Math.floor(Date.now() / 1000) + 60 };
    const token = signToken(claims, secret);
    expect(verifyToken(token, secret)).toEqual(claims);
    expect(verifyToken(token, `${secret}x`)).toBeNull();
    expect(verifyToken(`${token.slice(0, -2)}AA`, secret)).toBeNull();
    expect(verifyToken(token, secret, Date.now() + 120_000)).toBeNull();
  });

  it('keeps one token secret per database', async () => {
    expect(await loadTokenSecret(api.db)).toBe(secret);
    expect(await loadTokenSecret(api.db, 'x'.repeat(40))).toBe('x'.repeat(40));
  });
});

describe('signing in', () => {
  it('issues a token that names the user, their role and their unit', async () => {
    const issued = await login(api.db, secret, { username: 'MANAGER.A', password: PASSWORD });
    const viewer = await authenticate(api.db, secret, { authorization: `Bearer ${issued.token}` });
    expect(viewer).toMatchObject({
      kind: 'USER',
      username: 'manager.a',
      role: 'ORG_MANAGER',
      organizationPath: 'ZONE.INVESTMENT_PROMOTION_BUREAU',
    });
  });

  it('answers UNAUTHENTICATED for a wrong password and for an unknown name alike', async () => {
    expect(await codeOf(login(api.db, secret, { username: 'admin.one', password: 'wrong password!' }))).toBe(
      'UNAUTHENTICATED',
    );
    expect(await codeOf(login(api.db, secret, { username: 'nobody.here', password: PASSWORD }))).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('locks an account after repeated failures, even against the right password', async () => {
    await createUser(api.db, SYSTEM_ACCESS.actor, { username: 'careless', password: PASSWORD, role: 'ADMIN' });
    for (let attempt = 0; attempt < MAX_FAILED_LOGINS; attempt += 1) {
      expect(await codeOf(login(api.db, secret, { username: 'careless', password: 'guess number x' }))).toBe(
        'UNAUTHENTICATED',
      );
    }
    expect(await codeOf(login(api.db, secret, { username: 'careless', password: PASSWORD }))).toBe('UNAUTHENTICATED');
    const [row] = await api.db.select().from(users).where(eq(users.username, 'careless'));
    const lockedFor = new Date(row?.lockedUntil ?? 0).getTime() - Date.now();
    expect(lockedFor).toBeGreaterThan((LOCKOUT_MINUTES - 1) * 60_000);
    const later = new Date(Date.now() + (LOCKOUT_MINUTES + 1) * 60_000);
    await expect(login(api.db, secret, { username: 'careless', password: PASSWORD }, later)).resolves.toHaveProperty(
      'token',
    );
  });

  it('ends the session on logout, so the token stops working', async () => {
    const issued = await login(api.db, secret, { username: 'admin.one', password: PASSWORD });
    const viewer = await authenticate(api.db, secret, { authorization: `Bearer ${issued.token}` });
    if (viewer.kind !== 'USER') throw new Error('expected a user');
    await logout(api.db, viewer);
    expect(await codeOf(authenticate(api.db, secret, { authorization: `Bearer ${issued.token}` }))).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('refuses an expired session even with a valid signature', async () => {
    const issued = await login(api.db, secret, { username: 'admin.one', password: PASSWORD });
    await api.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where(eq(sessions.id, issued.sessionId));
    expect(await codeOf(authenticate(api.db, secret, { authorization: `Bearer ${issued.token}` }))).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('treats no credentials as anonymous and an unknown scheme as an error', async () => {
    expect(await authenticate(api.db, secret, {})).toEqual({ kind: 'ANONYMOUS' });
    expect(await codeOf(authenticate(api.db, secret, { authorization: 'Basic YTpi' }))).toBe('UNAUTHENTICATED');
    expect(await codeOf(authenticate(api.db, secret, { authorization: 'Bearer not.a.token' }))).toBe('UNAUTHENTICATED');
  });

  it('signs in through the login mutation and tells the viewer who they are', async () => {
    const executed = await api.execute<{ login: { token: string; expiresAt: string } }>(
      `mutation($input: LoginInput!) { login(input: $input) { token expiresAt } }`,
      { input: { username: 'manager.a', password: PASSWORD } },
      { kind: 'ANONYMOUS' },
      secret,
    );
    const { token } = dataOf(executed).login;
    const viewer = await authenticate(api.db, secret, { authorization: `Bearer ${token}` });
    const me = await api.execute<{
      viewer: { kind: string; username: string; role: string; organization: { code: string } };
    }>(`{ viewer { kind username role organization { code } } }`, {}, viewer);
    expect(dataOf(me).viewer).toEqual({
      kind: 'USER',
      username: 'manager.a',
      role: 'ORG_MANAGER',
      organization: { code: 'INVESTMENT_PROMOTION_BUREAU' },
    });

    const wrong = await api.execute(
      `mutation($input: LoginInput!) { login(input: $input) { token } }`,
      { input: { username: 'manager.a', password: 'not the password' } },
      { kind: 'ANONYMOUS' },
      secret,
    );
    expect(errorCodes(wrong)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('API keys', () => {
  it('authenticate while active, stop at once when revoked or rotated', async () => {
    const { client, key } = await createApiClient(api.db, SYSTEM_ACCESS.actor, {
      name: 'statistics bureau',
      scopes: ['metrics:read'],
    });
    expect(await authenticate(api.db, secret, { authorization: `ApiKey ${key}` })).toMatchObject({
      kind: 'API_CLIENT',
      clientId: client.id,
      scopes: ['metrics:read'],
    });
    expect(await authenticate(api.db, secret, { apiKey: key })).toMatchObject({ kind: 'API_CLIENT' });
    expect(await codeOf(authenticate(api.db, secret, { apiKey: `${key.slice(0, -1)}x` }))).toBe('UNAUTHENTICATED');

    const rotated = await rotateApiClientKey(api.db, SYSTEM_ACCESS.actor, String(client.id));
    expect(await codeOf(authenticate(api.db, secret, { apiKey: key }))).toBe('UNAUTHENTICATED');
    expect(await authenticate(api.db, secret, { apiKey: rotated.key })).toMatchObject({ kind: 'API_CLIENT' });

    await revokeApiClient(api.db, SYSTEM_ACCESS.actor, 'statistics bureau');
    expect(await codeOf(authenticate(api.db, secret, { apiKey: rotated.key }))).toBe('UNAUTHENTICATED');
  });

  it('are never stored in clear', async () => {
    const { key } = await createApiClient(api.db, SYSTEM_ACCESS.actor, { name: 'archive', scopes: ['directory:read'] });
    const dump = JSON.stringify(await api.db.execute('select * from api_clients'));
    const audit = JSON.stringify(await api.db.execute('select * from audit_events'));
    expect(dump).not.toContain(key);
    expect(audit).not.toContain(key);
  });
});
