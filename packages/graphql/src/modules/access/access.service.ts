import { randomBytes } from 'node:crypto';
import {
  type AuditActor,
  apiClients,
  cadres,
  type Executor,
  organizations,
  sessions,
  systemSettings,
  type UserRole,
  userRoles,
  users,
  writeAuditEvent,
} from '@sixtype/db';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type ApiScope, apiScopes, type Viewer } from '../../context.ts';
import { ConflictError, graphQLError, NotFoundError, ValidationError } from '../../errors.ts';
import { inTransaction } from '../common/transactions.ts';
import { parseInput } from '../common/validation.ts';
import {
  apiKeyMatches,
  generateApiKey,
  hashPassword,
  parseApiKey,
  signToken,
  UNKNOWN_USER_HASH,
  verifyPassword,
  verifyToken,
} from './credentials.ts';
import { sessionCacheOf } from './session-cache.ts';

export const SESSION_HOURS = 8;
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;
const TOKEN_SECRET_KEY = 'token_secret';

/**
 * The key that signs session tokens: TOKEN_SECRET when the operator sets one (required when
 * several API processes share a database they do not share a secret through), otherwise a random
 * one created once and kept in the database so tokens survive a restart.
 */
export async function loadTokenSecret(db: Executor, configured?: string): Promise<string> {
  if (configured) return configured;
  const candidate = randomBytes(32).toString('base64url');
  await db.insert(systemSettings).values({ key: TOKEN_SECRET_KEY, value: candidate }).onConflictDoNothing();
  const [row] = await db.select().from(systemSettings).where(eq(systemSettings.key, TOKEN_SECRET_KEY));
  if (!row) throw new Error('token secret could not be stored');
  return row.value;
}

// ---------------------------------------------------------------------------------------------
// Accounts

const username = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.@-]{3,64}$/, 'must be 3 to 64 letters, digits or _ . @ -');
const password = z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters');

const createUserInput = z
  .object({
    username,
    password,
    role: z.enum(userRoles),
    organizationCode: z.string().nullish(),
    cadreEmployeeNumber: z.string().nullish(),
  })
  .superRefine((input, ctx) => {
    if (input.role === 'ORG_MANAGER' && !input.organizationCode) {
      ctx.addIssue({ code: 'custom', path: ['organizationCode'], message: 'a manager acts for a unit: name it' });
    }
    if (input.role === 'CADRE' && !input.cadreEmployeeNumber) {
      ctx.addIssue({ code: 'custom', path: ['cadreEmployeeNumber'], message: 'a cadre account belongs to a cadre' });
    }
  });
export type CreateUserInput = z.input<typeof createUserInput>;

export async function createUser(db: Executor, actor: AuditActor, rawInput: CreateUserInput) {
  const input = parseInput(createUserInput, rawInput);
  const passwordHash = await hashPassword(input.password);
  return inTransaction(db, async (tx) => {
    const taken = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.username}) = lower(${input.username})`);
    if (taken.length > 0) throw new ConflictError(`username ${input.username} is already taken`, 'username');
    let organizationId: number | null = null;
    if (input.organizationCode) {
      const [org] = await tx
        .select({ id: organizations.id })
        .from(organizations)
        .where(eq(organizations.code, input.organizationCode));
      if (!org) throw new NotFoundError('Organization', input.organizationCode);
      organizationId = org.id;
    }
    let cadreId: number | null = null;
    if (input.cadreEmployeeNumber) {
      const [cadre] = await tx
        .select({ id: cadres.id })
        .from(cadres)
        .where(eq(cadres.employeeNumber, input.cadreEmployeeNumber));
      if (!cadre) throw new NotFoundError('Cadre', input.cadreEmployeeNumber);
      cadreId = cadre.id;
    }
    const [created] = await tx
      .insert(users)
      .values({ username: input.username, passwordHash, role: input.role, organizationId, cadreId })
      .returning();
    if (!created) throw new Error('insert returned no row');
    const { passwordHash: _hidden, ...safe } = created;
    await writeAuditEvent(tx, actor, {
      operation: 'createUser',
      entityType: 'User',
      entityId: created.id,
      after: safe,
    });
    return created;
  });
}

// ---------------------------------------------------------------------------------------------
// Sign-in

export interface IssuedToken {
  token: string;
  expiresAt: string;
  userId: number;
  sessionId: string;
}

const invalidCredentials = () => graphQLError('UNAUTHENTICATED', 'Invalid username or password');

/**
 * Checks a password and opens a session. Every failure answers the same UNAUTHENTICATED, whether
 * the name is unknown, the password wrong, or the account locked after repeated failures.
 */
export async function login(
  db: Executor,
  secret: string,
  input: { username: string; password: string },
  now = new Date(),
): Promise<IssuedToken> {
  const [user] = await db.select().from(users).where(sql`lower(${users.username}) = lower(${input.username.trim()})`);
  const passwordMatches = await verifyPassword(input.password, user?.passwordHash ?? UNKNOWN_USER_HASH);
  if (!user || user.disabledAt) throw invalidCredentials();
  const locked = user.lockedUntil !== null && new Date(user.lockedUntil) > now;
  if (locked || !passwordMatches) {
    if (!locked) {
      const failures = user.failedLoginCount + 1;
      await db
        .update(users)
        .set({
          failedLoginCount: failures >= MAX_FAILED_LOGINS ? 0 : failures,
          lockedUntil:
            failures >= MAX_FAILED_LOGINS ? new Date(now.getTime() + LOCKOUT_MINUTES * 60_000).toISOString() : null,
        })
        .where(eq(users.id, user.id));
    }
    throw invalidCredentials();
  }
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000);
  return db.transaction(async (tx) => {
    const [session] = await tx
      .insert(sessions)
      .values({ userId: user.id, expiresAt: expiresAt.toISOString() })
      .returning({ id: sessions.id });
    if (!session) throw new Error('session was not created');
    await tx
      .update(users)
      .set({ failedLoginCount: 0, lockedUntil: null, lastLoginAt: now.toISOString() })
      .where(eq(users.id, user.id));
    await writeAuditEvent(
      tx,
      { kind: 'USER', id: String(user.id) },
      {
        operation: 'login',
        entityType: 'Session',
        entityId: session.id,
        after: { userId: user.id, expiresAt: expiresAt.toISOString() },
      },
    );
    const token = signToken(
      {
        sub: String(user.id),
        sid: session.id,
        iat: Math.floor(now.getTime() / 1000),
        exp: Math.floor(expiresAt.getTime() / 1000),
      },
      secret,
    );
    return { token, expiresAt: expiresAt.toISOString(), userId: user.id, sessionId: session.id };
  });
}

export async function logout(db: Executor, viewer: Extract<Viewer, { kind: 'USER' }>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, viewer.sessionId), isNull(sessions.revokedAt)));
    await writeAuditEvent(
      tx,
      { kind: 'USER', id: String(viewer.userId) },
      {
        operation: 'logout',
        entityType: 'Session',
        entityId: viewer.sessionId,
      },
    );
  });
  // After the commit: from here on no process that shares Redis answers this session from memory.
  sessionCacheOf(db).end(viewer.sessionId);
}

// ---------------------------------------------------------------------------------------------
// API clients

const createApiClientInput = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: z.array(z.enum(apiScopes)).min(1, 'name at least one scope'),
  organizationCode: z.string().nullish(),
});
export type CreateApiClientInput = z.input<typeof createApiClientInput>;

/** Creates a client and returns its key: the only time the key is ever shown. */
export async function createApiClient(db: Executor, actor: AuditActor, rawInput: CreateApiClientInput) {
  const input = parseInput(createApiClientInput, rawInput);
  const generated = generateApiKey();
  return inTransaction(db, async (tx) => {
    let organizationId: number | null = null;
    if (input.organizationCode) {
      const [org] = await tx
        .select({ id: organizations.id })
        .from(organizations)
        .where(eq(organizations.code, input.organizationCode));
      if (!org) throw new NotFoundError('Organization', input.organizationCode);
      organizationId = org.id;
    }
    const [client] = await tx
      .insert(apiClients)
      .values({
        name: input.name,
        keyPrefix: generated.prefix,
        keyHash: generated.hash,
        scopes: [...new Set(input.scopes)],
        organizationId,
      })
      .returning();
    if (!client) throw new Error('insert returned no row');
    const { keyHash: _hidden, ...safe } = client;
    await writeAuditEvent(tx, actor, {
      operation: 'createApiClient',
      entityType: 'ApiClient',
      entityId: client.id,
      after: safe,
    });
    return { client, key: generated.key };
  });
}

async function findClient(tx: Executor, idOrName: string) {
  const byId = /^\d+$/.test(idOrName) ? eq(apiClients.id, Number(idOrName)) : undefined;
  const rows = await tx
    .select()
    .from(apiClients)
    .where(byId ?? and(eq(apiClients.name, idOrName), isNull(apiClients.revokedAt)));
  if (rows.length === 0) throw new NotFoundError('ApiClient', idOrName);
  if (rows.length > 1)
    throw ValidationError.of(['client'], `${rows.length} active clients are named ${idOrName}; give the id`);
  return rows[0] as typeof apiClients.$inferSelect;
}

export async function revokeApiClient(db: Executor, actor: AuditActor, idOrName: string) {
  return inTransaction(db, async (tx) => {
    const before = await findClient(tx, idOrName);
    const [after] = await tx
      .update(apiClients)
      .set({ revokedAt: sql`coalesce(${apiClients.revokedAt}, now())`, updatedAt: sql`now()` })
      .where(eq(apiClients.id, before.id))
      .returning();
    const { keyHash: _b, ...safeBefore } = before;
    const { keyHash: _a, ...safeAfter } = after ?? before;
    await writeAuditEvent(tx, actor, {
      operation: 'revokeApiClient',
      entityType: 'ApiClient',
      entityId: before.id,
      before: safeBefore,
      after: safeAfter,
    });
    return after ?? before;
  });
}

/** Gives a client a new key; the old one stops working at once. */
export async function rotateApiClientKey(db: Executor, actor: AuditActor, idOrName: string) {
  const generated = generateApiKey();
  return inTransaction(db, async (tx) => {
    const before = await findClient(tx, idOrName);
    if (before.revokedAt) throw ValidationError.of(['client'], 'a revoked client cannot get a new key');
    const [after] = await tx
      .update(apiClients)
      .set({ keyPrefix: generated.prefix, keyHash: generated.hash, updatedAt: sql`now()` })
      .where(eq(apiClients.id, before.id))
      .returning();
    if (!after) throw new Error('update returned no row');
    await writeAuditEvent(tx, actor, {
      operation: 'rotateApiClientKey',
      entityType: 'ApiClient',
      entityId: before.id,
      before: { keyPrefix: before.keyPrefix },
      after: { keyPrefix: after.keyPrefix },
    });
    return { client: after, key: generated.key };
  });
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface Credentials {
  authorization?: string | null | undefined;
  apiKey?: string | null | undefined;
}

const unauthenticated = (message: string) => graphQLError('UNAUTHENTICATED', message);

/**
 * The session lookup of every signed-in request, prepared once per database handle: a named
 * statement that drizzle builds once and PostgreSQL plans once per connection, instead of the SQL
 * being rebuilt for each request (most of a small request's CPU).
 */
const sessionLookups = new WeakMap<object, ReturnType<typeof prepareSessionLookup>>();
function prepareSessionLookup(db: Executor) {
  return db
    .select({
      userId: users.id,
      username: users.username,
      role: users.role,
      cadreId: users.cadreId,
      organizationId: sql<number | null>`coalesce(${users.organizationId}, ${cadres.organizationId})`,
      organizationPath: sql<string | null>`${organizations.path}::text`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(cadres, eq(cadres.id, users.cadreId))
    .leftJoin(organizations, sql`${organizations.id} = coalesce(${users.organizationId}, ${cadres.organizationId})`)
    .where(
      and(
        eq(sessions.id, sql.placeholder('sid')),
        eq(users.id, sql.placeholder('uid')),
        isNull(sessions.revokedAt),
        sql`${sessions.expiresAt} > now()`,
        isNull(users.disabledAt),
      ),
    )
    .prepare('authenticate_session');
}
function sessionLookup(db: Executor) {
  let prepared = sessionLookups.get(db);
  if (!prepared) {
    prepared = prepareSessionLookup(db);
    sessionLookups.set(db, prepared);
  }
  return prepared;
}

/**
 * A live session's user, from this process's memory when it looked the session up lately
 * (session-cache.ts states the bound), otherwise by the prepared lookup.
 */
async function findSession(db: Executor, sessionId: string, userId: number, expiresAtMs: number) {
  const cache = sessionCacheOf(db);
  const known = cache.get(sessionId, userId);
  if (known) return known;
  const epoch = cache.epoch;
  const [row] = await sessionLookup(db).execute({ sid: sessionId, uid: userId });
  if (row) cache.set(sessionId, row, expiresAtMs, epoch);
  return row;
}

/**
 * The viewer a request's credentials name, in at most one statement. No credentials: ANONYMOUS.
 * Credentials that do not check out (bad signature, expired, revoked, unknown key) are refused
 * rather than treated as anonymous, so a client learns at once that its credential is dead.
 */
export async function authenticate(db: Executor, secret: string, credentials: Credentials): Promise<Viewer> {
  const authorization = credentials.authorization?.trim();
  const [scheme, value] = authorization ? authorization.split(/\s+/, 2) : [];
  const apiKey = scheme?.toLowerCase() === 'apikey' ? value : credentials.apiKey?.trim();
  if (scheme && scheme.toLowerCase() === 'bearer') {
    const claims = value ? verifyToken(value, secret) : null;
    if (!claims) throw unauthenticated('The token is invalid or has expired; sign in again');
    const row = await findSession(db, claims.sid, Number(claims.sub), claims.exp * 1000);
    if (!row) throw unauthenticated('The session has ended; sign in again');
    return { kind: 'USER', sessionId: claims.sid, ...row };
  }
  if (apiKey) {
    const parsed = parseApiKey(apiKey);
    if (!parsed) throw unauthenticated('The API key is not valid');
    const [row] = await db
      .select({
        clientId: apiClients.id,
        name: apiClients.name,
        scopes: apiClients.scopes,
        keyHash: apiClients.keyHash,
        revokedAt: apiClients.revokedAt,
        organizationId: apiClients.organizationId,
        organizationPath: sql<string | null>`${organizations.path}::text`,
      })
      .from(apiClients)
      .leftJoin(organizations, eq(organizations.id, apiClients.organizationId))
      .where(eq(apiClients.keyPrefix, parsed.prefix));
    if (!row || row.revokedAt || !apiKeyMatches(apiKey, row.keyHash)) throw unauthenticated('The API key is not valid');
    const { keyHash: _k, revokedAt: _r, scopes, ...client } = row;
    return {
      kind: 'API_CLIENT',
      scopes: scopes.filter((s): s is ApiScope => (apiScopes as readonly string[]).includes(s)),
      ...client,
    };
  }
  if (scheme) throw unauthenticated(`Unsupported authorization scheme ${scheme}; use Bearer or ApiKey`);
  return { kind: 'ANONYMOUS' };
}

export type { UserRole };
