import { randomUUID } from 'node:crypto';
import { auditEvents, cadres, cadreTransfers, type Database, type Executor, organizations } from '@sixtype/db';
import { openTestDatabase } from '@sixtype/db/testing';
import { asc, gt, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { type ExecutionResult, execute, GraphQLError, parse, validate } from 'graphql';
import { aroundAll, aroundEach, expect } from 'vitest';
import type { ApiScope, Viewer, WebhookSettings } from './context.ts';
import { parseAllowedHosts } from './modules/webhooks/destinations.ts';
import { schema } from './schema.ts';
import { validationRules } from './validation-rules.ts';

export const SYSTEM: Viewer = { kind: 'SYSTEM', name: 'test' };
export const ANONYMOUS: Viewer = { kind: 'ANONYMOUS' };

/** Webhook settings of test APIs: a fixed key; receivers on this machine and names under .example allowed. */
export const TEST_WEBHOOK_SETTINGS: WebhookSettings = {
  secretKey: Buffer.alloc(32, 7),
  destinations: parseAllowedHosts('127.0.0.1, .example, .example.org'),
  rotationOverlapMs: 3_600_000,
};

export interface Executed<TData> {
  result: ExecutionResult<TData>;
  /** Every SQL statement drizzle sent while this operation ran, in order. */
  statements: string[];
}

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type DirectoryRowCounts = Record<'organizations' | 'cadres' | 'cadreTransfers' | 'auditEvents', number>;

/** Thrown out of a test's transaction so that drizzle rolls it back; never seen by a test. */
const ROLL_BACK = Symbol('roll back');

/**
 * The executor a test sees: the file's database outside any test, and inside a test the test's own
 * transaction (a savepoint inside the enclosing suite's transaction, see rolledBackSuite). Whatever a
 * test writes is rolled back when it ends, so no test sees another's rows, in whatever order they run.
 * On PGlite everything must go through the current executor: PGlite runs one transaction at a time,
 * so a statement on the file's database while a test's transaction is open would wait forever.
 * One test at a time per file (no `it.concurrent`): the scopes are a stack, and a transaction is one
 * connection, where two writes at once would interleave their savepoints.
 */
export class RollbackScopes {
  readonly #stack: Executor[] = [];
  constructor(readonly root: Database) {}

  get current(): Database {
    return (this.#stack.at(-1) ?? this.root) as Database;
  }

  /** Runs `work` in a transaction (or savepoint) of the current executor and rolls it back after. */
  async run(work: () => Promise<void>): Promise<void> {
    try {
      await this.current.transaction(async (tx) => {
        this.#stack.push(tx);
        try {
          await work();
        } finally {
          this.#stack.pop();
        }
        throw ROLL_BACK;
      });
    } catch (error) {
      if (error !== ROLL_BACK) throw error;
    }
  }
}

/** The scopes of every rolled-back database this test file has open (registerRollback wraps each test in them). */
const openScopes = new Set<RollbackScopes>();

/**
 * Wraps each test in a transaction of every database openTestApi opened with rollback,
 * rolled back at its end. Registered once per file by the test setup file (vitest.config.ts).
 */
export function registerRollback(): void {
  aroundEach(async (runTest) => {
    const scopes = [...openScopes];
    const nest = async (index: number): Promise<void> => {
      const scope = scopes[index];
      if (!scope) return runTest();
      return scope.run(() => nest(index + 1));
    };
    await nest(0);
  });
}

/**
 * Inside a `describe`: its `beforeAll` and its tests run in one transaction, rolled back after its
 * last test, so rows a `beforeAll` adds for that block are seen by its tests only. Each test's own
 * transaction is then a savepoint within it.
 */
export function rolledBackSuite(scopes: () => RollbackScopes | undefined): void {
  aroundAll(async (runSuite) => {
    const scope = scopes();
    if (!scope) throw new Error('rolledBackSuite: open the database in the file’s beforeAll first');
    await scope.run(() => runSuite());
  });
}

export interface TestApi {
  /** The current test's transaction inside a test (see RollbackScopes); the file's database outside. */
  readonly db: Database;
  /** Undefined when opened with `{ rollback: false }`. */
  readonly scopes: RollbackScopes | undefined;
  /** Runs one operation against the real schema, as SYSTEM unless another viewer is given. */
  execute<TData = Record<string, unknown>>(
    source: string,
    variables?: Record<string, unknown>,
    viewer?: Viewer,
    tokenSecret?: string,
  ): Promise<Executed<TData>>;
  rowCount(table: PgTable): Promise<number>;
  /** Rows in every table a directory mutation may write. */
  directoryRowCounts(): Promise<DirectoryRowCounts>;
  /** The id of the newest audit row (0 when there is none), to find the rows a mutation adds after it. */
  lastAuditId(): Promise<number>;
  auditEventsAfter(id: number): Promise<AuditEventRow[]>;
  /** Runs `operation` and checks that it left every directory table as it was. */
  expectNoWrites<T>(operation: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What `graphql()` does, with the rules the API validates with (validationRules). */
async function run(source: string, variableValues: Record<string, unknown>, contextValue: object) {
  let document: ReturnType<typeof parse>;
  try {
    document = parse(source);
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    throw error;
  }
  const errors = validate(schema, document, validationRules);
  if (errors.length > 0) return { errors };
  return execute({ schema, document, variableValues, contextValue });
}

/**
 * The test file's own database (demo data loaded) behind the GraphQL schema, with a drizzle logger
 * that records the statements each operation sends, so tests can count them. Call it in `beforeAll`:
 * what the file's `beforeAll` writes is there for all its tests, and each test runs in its own
 * transaction, rolled back at its end (RollbackScopes).
 *
 * `{ rollback: false }` is for files whose tests need real commits: a second connection that must see
 * the rows, LISTEN/NOTIFY, or PostgreSQL's `now()` moving on between statements (it stands still
 * inside a transaction). Such a file's tests share its database and must not depend on each other.
 */
export async function openTestApi(options: { rollback?: boolean } = {}): Promise<TestApi> {
  const statements: string[] = [];
  // A write's own transaction is a savepoint of the test's: its savepoint statements are not counted,
  // as PGlite's begin and commit are not (PostgreSQL's are, and tests that count writes skip them).
  const savepoint = /^(savepoint|release savepoint|rollback to savepoint) \w+$/i;
  const database = await openTestDatabase({
    logger: { logQuery: (query) => (savepoint.test(query.trim()) ? undefined : statements.push(query)) },
  });
  const scopes = options.rollback === false ? undefined : new RollbackScopes(database.db);
  if (scopes) openScopes.add(scopes);
  const current = () => scopes?.current ?? database.db;

  const rowCount = async (table: PgTable) => {
    const [row] = await current()
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(table);
    return row?.n ?? 0;
  };

  const directoryRowCounts = async (): Promise<DirectoryRowCounts> => ({
    organizations: await rowCount(organizations),
    cadres: await rowCount(cadres),
    cadreTransfers: await rowCount(cadreTransfers),
    auditEvents: await rowCount(auditEvents),
  });

  return {
    get db() {
      return current();
    },
    scopes,
    async execute<TData>(
      source: string,
      variables: Record<string, unknown> = {},
      viewer: Viewer = SYSTEM,
      tokenSecret?: string,
    ) {
      const db = current();
      // Each operation in a savepoint of the test's transaction: a statement that fails outside a
      // write's own transaction would otherwise abort the test's transaction, where on its own
      // connection it would only have failed itself.
      const inTest = db !== database.db;
      if (inTest) await db.execute(sql`savepoint test_operation`);
      statements.length = 0;
      const result = (await run(source, variables, {
        db,
        viewer,
        requestId: randomUUID(),
        tokenSecret,
        webhooks: TEST_WEBHOOK_SETTINGS,
      })) as ExecutionResult<TData>;
      const sent = [...statements];
      if (inTest) {
        try {
          await db.execute(sql`release savepoint test_operation`);
        } catch {
          await db.execute(sql`rollback to savepoint test_operation`);
          await db.execute(sql`release savepoint test_operation`);
        }
      }
      return { result, statements: sent };
    },
    rowCount,
    directoryRowCounts,
    async lastAuditId() {
      const [row] = await current()
        .select({ id: sql<number>`coalesce(max(${auditEvents.id}), 0)`.mapWith(Number) })
        .from(auditEvents);
      return row?.id ?? 0;
    },
    auditEventsAfter: (id) =>
      current().select().from(auditEvents).where(gt(auditEvents.id, id)).orderBy(asc(auditEvents.id)),
    async expectNoWrites(operation) {
      // Counts catch inserts; the rows themselves catch an update that a failure left behind.
      const snapshot = async () => ({
        counts: await directoryRowCounts(),
        organizations: await current().select().from(organizations).orderBy(asc(organizations.id)),
        cadres: await current().select().from(cadres).orderBy(asc(cadres.id)),
      });
      const before = await snapshot();
      const outcome = await operation();
      expect(await snapshot()).toEqual(before);
      return outcome;
    },
    async close() {
      if (scopes) openScopes.delete(scopes);
      await database.close();
    },
  };
}

/** A signed-in person's viewer, as `authenticate` would build it, for permission tests. */
export async function userViewer(
  db: Database,
  role: 'ADMIN' | 'ORG_MANAGER' | 'CADRE',
  options: { orgCode?: string; employeeNumber?: string } = {},
): Promise<Viewer> {
  const cadre = options.employeeNumber
    ? (await db.select().from(cadres).where(sql`${cadres.employeeNumber} = ${options.employeeNumber}`))[0]
    : undefined;
  const org = options.orgCode
    ? (await db.select().from(organizations).where(sql`${organizations.code} = ${options.orgCode}`))[0]
    : cadre
      ? (await db.select().from(organizations).where(sql`${organizations.id} = ${cadre.organizationId}`))[0]
      : undefined;
  return {
    kind: 'USER',
    userId: 1,
    username: `${role.toLowerCase()}-test`,
    role,
    sessionId: randomUUID(),
    cadreId: cadre?.id ?? null,
    organizationId: org?.id ?? null,
    organizationPath: org?.path ?? null,
  };
}

/** An API client's viewer with the given scopes, optionally restricted to one unit's subtree. */
export async function apiClientViewer(db: Database, scopes: ApiScope[], orgCode?: string): Promise<Viewer> {
  const org = orgCode
    ? (await db.select().from(organizations).where(sql`${organizations.code} = ${orgCode}`))[0]
    : undefined;
  return {
    kind: 'API_CLIENT',
    clientId: 1,
    name: 'test client',
    scopes,
    organizationId: org?.id ?? null,
    organizationPath: org?.path ?? null,
  };
}

/** The data of a result that must have succeeded; fails the test with the errors otherwise. */
export function dataOf<TData>({ result }: Executed<TData>): TData {
  if (result.errors?.length) {
    throw new Error(`unexpected GraphQL errors: ${result.errors.map((error) => error.message).join('; ')}`);
  }
  if (!result.data) throw new Error('the result has no data');
  return result.data;
}

/** The `extensions.code` of each error of a result. */
export function errorCodes({ result }: Executed<unknown>): unknown[] {
  return (result.errors ?? []).map((error) => error.extensions.code);
}

/** The Relay global id `node(id:)` expects for a row. */
export function globalId(typeName: string, id: number): string {
  return Buffer.from(`${typeName}:${id}`).toString('base64');
}
