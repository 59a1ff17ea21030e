// Many API processes, few connections: `start:cluster` through PgBouncer (Debian's 1.18) in
// transaction pooling mode, over a PostgreSQL server of this file's own. PostgreSQL pass only
// (TEST_DATABASE_URL set), and only where the pgbouncer binary is installed (.ci/run installs it).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb, loadDemoData } from '@sixtype/db';
import { createUser, SYSTEM_ACCESS } from '@sixtype/graphql';
import { CreateOrganizationDocument, createClient, LoginDocument, OrganizationByCodeDocument } from '@sixtype/sdk';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './api-process.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from './pg-cluster.ts';
import { ADMIN } from './support.ts';

const PGBOUNCER = '/usr/sbin/pgbouncer';
/** Server connections PgBouncer opens to PostgreSQL for the API's database. */
const SERVER_POOL = 3;
const OBSERVER = 'pgbouncer-e2e-observer';
const WORKERS = 3;
const POOL_MAX = 4;

let server: ThrowawayPostgres;
let bouncer: ChildProcess;
let bouncerPort: number;
let api: ApiProcess;
let observer: postgres.Sql;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

const viaBouncer = (database: string) => `postgres://postgres@127.0.0.1:${bouncerPort}/${database}`;

describe.runIf(process.env.TEST_DATABASE_URL && existsSync(PGBOUNCER))('the API cluster through PgBouncer', () => {
  beforeAll(async () => {
    server = await startThrowawayPostgres();
    const admin = postgres(server.url(), { max: 1, onnotice: () => {} });
    await admin`create database sixtype`;
    // Transaction pooling carries no connection settings: the timeout is the database's own.
    await admin`alter database sixtype set statement_timeout = '10s'`;
    await admin.end();

    bouncerPort = await freePort();
    const folder = server.folder;
    writeFileSync(join(folder, 'users.txt'), '"postgres" ""\n');
    writeFileSync(
      join(folder, 'pgbouncer.ini'),
      [
        '[databases]',
        `sixtype = host=127.0.0.1 port=${server.port} dbname=sixtype pool_size=${SERVER_POOL}`,
        `one_connection = host=127.0.0.1 port=${server.port} dbname=postgres pool_size=1`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${bouncerPort}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(folder, 'users.txt')}`,
        'pool_mode = transaction',
        'max_client_conn = 200',
        `logfile = ${join(folder, 'pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    // PgBouncer refuses to run as root, like PostgreSQL.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('chown', ['-R', 'postgres', folder]);
    const command = asRoot ? 'runuser' : PGBOUNCER;
    const args = [...(asRoot ? ['-u', 'postgres', '--', PGBOUNCER] : []), join(folder, 'pgbouncer.ini')];
    bouncer = spawn(command, args, { stdio: 'ignore' });
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const probe = new pg.Client({ connectionString: viaBouncer('sixtype') });
      const connected = await probe.connect().then(
        () => true,
        () => false,
      );
      await probe.end().catch(() => {});
      if (connected) break;
      await sleep(100);
    }

    // Migrations run through PgBouncer too (the cluster's primary migrates on start).
    const database = await createDb({ databaseUrl: viaBouncer('sixtype'), transactionPooler: true });
    await database.migrate();
    await loadDemoData(database.db);
    await createUser(database.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
    await database.close();
    // Named, so that its own sessions (two while a test holds a lock) are never counted as PgBouncer's.
    observer = postgres(server.url('sixtype'), {
      max: 2,
      onnotice: () => {},
      connection: { application_name: OBSERVER },
    });

    api = await startApiProcess(
      {
        DATABASE_URL: viaBouncer('sixtype'),
        DATABASE_POOLER: 'pgbouncer',
        DATABASE_POOL_MAX: String(POOL_MAX),
        CLUSTER_WORKERS: String(WORKERS),
        RATE_LIMIT_PER_MINUTE: '0',
        TOKEN_SECRET: 'pgbouncer e2e token secret, long enough for the check',
      },
      { entry: 'src/cluster.ts', ready: /API cluster ready: \d+ processes at (http:\/\/localhost:\d+\/graphql)/ },
    );
  }, 120_000);

  afterAll(async () => {
    api?.kill();
    await observer?.end({ timeout: 1 });
    if (bouncer?.pid) {
      bouncer.kill('SIGTERM');
      await sleep(200);
    }
    await server?.destroy();
  });

  it('PgBouncer 1.18 does not follow named statements in transaction mode (why DATABASE_POOLER exists)', async () => {
    // Two clients share the one server connection: the second's Parse of the same name collides.
    const [first, second] = [0, 1].map(() => new pg.Client({ connectionString: viaBouncer('one_connection') }));
    if (!first || !second) throw new Error('no clients');
    await Promise.all([first.connect(), second.connect()]);
    try {
      await first.query({ name: 'authenticate_session', text: 'select 1 as n' });
      await expect(second.query({ name: 'authenticate_session', text: 'select 1 as n' })).rejects.toMatchObject({
        code: '42P05',
      });
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });

  it(`serves ${WORKERS} processes × ${POOL_MAX} connections over ${SERVER_POOL} server connections, signed-in reads and writes alike`, async () => {
    // Only this test's lines: the cancellation test logs its cancelled statement, in whatever order the tests run.
    const outputBefore = api.output().length;
    const { login } = await createClient({ url: api.url }).request(LoginDocument, { input: ADMIN });
    const client = createClient({ url: api.url, token: login.token });
    // More requests at once than server connections, on every process: each runs the prepared session lookup.
    const reads = Array.from({ length: 60 }, () => client.request(OrganizationByCodeDocument, { code: 'ZONE' }));
    const writes = Array.from({ length: 6 }, (_, n) =>
      client.request(CreateOrganizationDocument, {
        input: {
          code: `PGBOUNCER_OFFICE_${n}`,
          name: `连接池测试办公室${n}（演示）`,
          kind: 'OFFICE',
          parentCode: 'ZONE',
        },
      }),
    );
    let peak = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const [row] = await observer<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = 'sixtype' and backend_type = 'client backend' and application_name <> ${OBSERVER}`;
        peak = Math.max(peak, row?.n ?? 0);
        await sleep(10);
      }
    })();
    const answers = await Promise.all(reads);
    const created = await Promise.all(writes);
    watching = false;
    await watch;
    expect(answers.map((answer) => answer.organization?.name)).toEqual(Array(60).fill('经济开发区'));
    expect(created.map((answer) => answer.createOrganization)).toEqual(
      Array.from({ length: 6 }, (_, n) =>
        expect.objectContaining({ organization: expect.objectContaining({ code: `PGBOUNCER_OFFICE_${n}` }) }),
      ),
    );
    const [rows] = await observer<{ n: number }[]>`
      select count(*)::int as n from organizations where code like 'PGBOUNCER_OFFICE_%'`;
    expect(rows?.n).toBe(6);
    // Never more PostgreSQL sessions than PgBouncer's pool, however many processes and pools sit above it.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(SERVER_POOL);
    expect(api.output().slice(outputBefore)).not.toMatch(/prepared statement|"level":50/);
  }, 60_000);

  it('cancels the statement of a client that went away through PgBouncer, not by a pid PgBouncer made up', async () => {
    const { login } = await createClient({ url: api.url }).request(LoginDocument, { input: ADMIN });
    const waiting = async () => {
      const [row] = await observer<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = 'sixtype' and wait_event_type = 'Lock'`;
      return row?.n ?? 0;
    };
    const cancelledBefore = server.log().split('canceling statement due to user request').length;
    await observer.begin(async (tx) => {
      // Campaigns are read by the operation itself, after the credential check.
      await tx`lock table campaigns in access exclusive mode`;
      const abort = new AbortController();
      const request = fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` },
        body: JSON.stringify({ query: '{ campaign(code: "SIX_TYPE_2012") { slogan } }' }),
        signal: abort.signal,
      }).catch((error: unknown) => error);
      await expect.poll(waiting, { timeout: 10_000 }).toBe(1);
      abort.abort();
      expect(await request).toMatchObject({ name: 'AbortError' });
      // Logged while the lock is still held: the cancel, not the statement timeout.
      await expect
        .poll(() => server.log().split('canceling statement due to user request').length, { timeout: 10_000 })
        .toBeGreaterThan(cancelledBefore);
      expect(await waiting()).toBe(0);
    });
  }, 30_000);
});
