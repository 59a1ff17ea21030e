import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDb } from './client.ts';
import { databaseFaultOf, PoolTimeoutError, QueryCancelledError, withQuerySignal } from './pool.ts';

/** What drizzle throws: its own error, quoting the SQL, with the driver's error as `cause`. */
const drizzleError = (cause: unknown, query = 'select 1') =>
  Object.assign(new Error(`Failed query: ${query}\nparams: `), { name: 'DrizzleQueryError', cause });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('databaseFaultOf', () => {
  it('tells a database that is away, busy, too slow or cancelled from a failing query', () => {
    expect(databaseFaultOf(drizzleError(pgError('57P01', 'terminating connection due to administrator command')))).toBe(
      'UNAVAILABLE',
    );
    expect(databaseFaultOf(drizzleError(pgError('57P03', 'the database system is starting up')))).toBe('UNAVAILABLE');
    expect(databaseFaultOf(drizzleError(new Error('Connection terminated unexpectedly')))).toBe('UNAVAILABLE');
    expect(databaseFaultOf(drizzleError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')))).toBe(
      'UNAVAILABLE',
    );
    expect(databaseFaultOf(new PoolTimeoutError(500))).toBe('BUSY');
    expect(databaseFaultOf(drizzleError(pgError('57014', 'canceling statement due to statement timeout')))).toBe(
      'TIMEOUT',
    );
    expect(databaseFaultOf(drizzleError(pgError('57014', 'canceling statement due to user request')))).toBe(
      'CANCELLED',
    );
    expect(databaseFaultOf(drizzleError(new QueryCancelledError()))).toBe('CANCELLED');

    expect(databaseFaultOf(drizzleError(pgError('23505', 'duplicate key value violates unique constraint')))).toBe(
      undefined,
    );
    // drizzle's message quotes the SQL: words in it say nothing about the connection.
    expect(
      databaseFaultOf(drizzleError(pgError('42703', 'column does not exist'), "select 'connection timeout'")),
    ).toBe(undefined);
    expect(databaseFaultOf(new Error('something else'))).toBe(undefined);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('the PostgreSQL pool', () => {
  it('fails a statement that finds no free connection within the pool timeout, and counts the pool', async () => {
    const database = await createDb({
      databaseUrl: process.env.TEST_DATABASE_URL,
      maxConnections: 1,
      poolTimeoutMs: 200,
    });
    try {
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const transaction = database.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        holding();
        await released;
      });
      await held;
      expect(database.poolStats()).toEqual([{ name: 'primary', max: 1, inUse: 1, waiting: 0 }]);

      const refused = await database.db.execute(sql`select 1`).catch((error: unknown) => error);
      expect(databaseFaultOf(refused)).toBe('BUSY');

      release();
      await transaction;
      await database.db.execute(sql`select 1`);
      expect(database.poolStats()[0]?.inUse).toBe(0);
    } finally {
      await database.close();
    }
  });

  it('never returns a connection inside a transaction to the pool when the request aborts mid-transaction', async () => {
    const database = await createDb({
      databaseUrl: process.env.TEST_DATABASE_URL,
      maxConnections: 1,
      poolTimeoutMs: 2_000,
    });
    try {
      const controller = new AbortController();
      const started = withQuerySignal(controller.signal, () =>
        database.db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          await tx.execute(sql`select pg_sleep(5)`);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      // 57014: PostgreSQL cancelled the statement (the request's signal fired).
      await expect(started).rejects.toMatchObject({ cause: { code: '57014' } });
      // The one connection is free again, outside any transaction: the next statement runs at once.
      const rows = (await database.db.execute(sql`select now() = statement_timestamp() as outside`)) as unknown as {
        rows: { outside: boolean }[];
      };
      expect(rows.rows[0]?.outside).toBe(true);
      const stuck = (await database.db.execute(
        sql`select count(*)::int as n from pg_stat_activity
            where application_name = 'sixtype' and datname = current_database() and state like 'idle in transaction%'`,
      )) as unknown as { rows: { n: number }[] };
      expect(stuck.rows[0]?.n).toBe(0);
    } finally {
      await database.close();
    }
  });

  it('opens every pooled connection with JIT off, whatever the server default', async () => {
    const database = await createDb({ databaseUrl: process.env.TEST_DATABASE_URL, maxConnections: 2 });
    try {
      const jitOf = async () =>
        (
          (await database.db.execute(sql`select current_setting('jit') as jit`)) as unknown as {
            rows: { jit: string }[];
          }
        ).rows[0]?.jit;
      // Two connections at once, so both the first and a second pooled connection answer.
      const both = await Promise.all([
        database.db.transaction(async (tx) => {
          const result = (await tx.execute(sql`select current_setting('jit') as jit, pg_sleep(0.1)`)) as unknown as {
            rows: { jit: string }[];
          };
          return result.rows[0]?.jit;
        }),
        jitOf(),
      ]);
      expect(both).toEqual(['off', 'off']);
      expect(database.poolStats()[0]?.max).toBe(2);
    } finally {
      await database.close();
    }
  });

  it('cancels the running statement in PostgreSQL when the signal aborts', async () => {
    const database = await createDb({ databaseUrl: process.env.TEST_DATABASE_URL, maxConnections: 2 });
    try {
      const abort = new AbortController();
      // Awaited inside: drizzle's query starts when awaited, and must start under the signal.
      const sleeping = withQuerySignal(
        abort.signal,
        async () => await database.db.execute(sql`select pg_sleep(30)`),
      ).catch((error: unknown) => error);
      const running = async () =>
        Number(
          (
            (await database.db.execute(
              sql`select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(30)' and state = 'active'`,
            )) as unknown as { rows: { n: number }[] }
          ).rows[0]?.n,
        );
      await expect.poll(running).toBe(1);
      abort.abort();
      expect(databaseFaultOf(await sleeping)).toBe('CANCELLED');
      expect(await running()).toBe(0);
    } finally {
      await database.close();
    }
  });
});
