// A real streaming replica: a primary and a hot standby made from it with pg_basebackup -R, and
// the API (its own process) with DATABASE_URL on the primary and DATABASE_REPLICA_URLS on the
// standby. PostgreSQL pass only (TEST_DATABASE_URL set): that is where PostgreSQL's binaries are known to be.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb, loadDemoData } from '@sixtype/db';
import { createUser, SYSTEM_ACCESS } from '@sixtype/graphql';
import {
  CreateOrganizationDocument,
  createClient,
  type FetchLike,
  LoginDocument,
  OrganizationByCodeDocument,
} from '@sixtype/sdk';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './api-process.ts';
import { startThrowawayPostgres, startThrowawayStandby, type ThrowawayPostgres } from './pg-cluster.ts';
import { ADMIN } from './support.ts';

const MANAGER = { username: 'replica-e2e-manager', password: 'replica e2e manager password' };
const settings = ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all'];

let primary: ThrowawayPostgres;
let standby: ThrowawayPostgres;
let api: ApiProcess;
/** Connections of the test's own to each server. */
let onPrimary: postgres.Sql;
let onStandby: postgres.Sql;

const tokens = new WeakMap<object, string>();
const signIn = async (credentials: { username: string; password: string }) => {
  const { login } = await createClient({ url: api.url }).request(LoginDocument, { input: credentials });
  const client = createClient({ url: api.url, token: login.token });
  tokens.set(client, login.token);
  return client;
};
const ready = async () =>
  (await fetch(api.url.replace('/graphql', '/ready'))).json() as Promise<{ ready: boolean; reads: string[] }>;
const metrics = async () => (await fetch(api.url.replace('/graphql', '/metrics'))).text();

/** How often the standby has run the API's organization lookup, by its own pg_stat_statements. */
async function lookupsOnStandby(): Promise<number> {
  const [row] = await onStandby<{ calls: number; recovery: boolean }[]>`
    select coalesce(sum(calls), 0)::int as calls, pg_is_in_recovery() as recovery
    from pg_stat_statements
    where query like 'select %from "organizations" as "d0"%'`;
  // The statements counted ran on a server in recovery: the standby, not the primary.
  expect(row?.recovery).toBe(true);
  return row?.calls ?? 0;
}

async function caughtUp() {
  const [{ lsn } = { lsn: '' }] = await onPrimary<{ lsn: string }[]>`select pg_current_wal_insert_lsn()::text as lsn`;
  await expect
    .poll(
      async () => {
        const [row] = await onStandby<{ behind: boolean }[]>`
          select pg_last_wal_replay_lsn() < ${lsn}::pg_lsn as behind`;
        return row?.behind;
      },
      { timeout: 20_000 },
    )
    .toBe(false);
}

const apiEnv = () => ({
  DATABASE_URL: primary.url('sixtype'),
  DATABASE_REPLICA_URLS: standby.url('sixtype'),
  DATABASE_REPLICA_CHECK_MS: '200',
  DATABASE_POOL_TIMEOUT_MS: '2000',
  RATE_LIMIT_PER_MINUTE: '0',
  TOKEN_SECRET: 'replica e2e token secret, long enough for the check',
});

describe.runIf(process.env.TEST_DATABASE_URL)('a streaming replica (pg_basebackup -R)', () => {
  beforeAll(async () => {
    primary = await startThrowawayPostgres({ settings });
    const admin = postgres(primary.url(), { max: 1, onnotice: () => {} });
    await admin`create database sixtype`;
    await admin.end();
    const database = await createDb({ databaseUrl: primary.url('sixtype') });
    await database.migrate();
    await loadDemoData(database.db);
    await database.db.execute('create extension if not exists pg_stat_statements');
    await database.db.execute('create table replica_e2e_ticks (at timestamptz not null default now())');
    await createUser(database.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
    await createUser(database.db, SYSTEM_ACCESS.actor, { ...MANAGER, role: 'ADMIN' });
    await database.close();
    standby = await startThrowawayStandby(primary, { settings });
    onPrimary = postgres(primary.url('sixtype'), { max: 1, onnotice: () => {} });
    onStandby = postgres(standby.url('sixtype'), { max: 1, onnotice: () => {} });
    const [{ recovery } = { recovery: false }] = await onStandby<{ recovery: boolean }[]>`
      select pg_is_in_recovery() as recovery`;
    expect(recovery).toBe(true);
    api = await startApiProcess(apiEnv());
  }, 120_000);

  afterAll(async () => {
    api?.kill();
    await onPrimary?.end({ timeout: 1 });
    await onStandby?.end({ timeout: 1 }).catch(() => {});
    await standby?.destroy();
    await primary?.destroy();
  });

  it('answers queries from the standby, and says so on /ready and /metrics', async () => {
    const client = await signIn(ADMIN);
    const before = await lookupsOnStandby();
    for (let n = 0; n < 3; n += 1) {
      expect((await client.request(OrganizationByCodeDocument, { code: 'ZONE' })).organization?.name).toBe(
        '经济开发区',
      );
    }
    expect(await lookupsOnStandby()).toBeGreaterThanOrEqual(before + 3);
    expect(await ready()).toMatchObject({ ready: true, reads: ['replica1'] });
    const text = await metrics();
    expect(text).toContain('sixtype_db_serves_reads{pool="replica1"} 1');
    expect(text).toContain('sixtype_db_serves_reads{pool="primary"} 0');
    expect(text).toContain('sixtype_db_replica_up{pool="replica1"} 1');
  });

  it("reads a caller's own write at once while the standby's replay is paused, and others' reads stay on the standby", async () => {
    const writer = await signIn(ADMIN);
    const other = await signIn(MANAGER);
    await caughtUp();
    await onStandby`select pg_wal_replay_pause()`;
    try {
      const code = 'REPLICA_RYW_OFFICE';
      const { createOrganization } = await writer.request(CreateOrganizationDocument, {
        input: { code, name: '读己之写办公室（演示）', kind: 'OFFICE', parentCode: 'ZONE' },
      });
      expect(createOrganization).toMatchObject({ organization: { code } });
      // The standby really is behind: another caller, reading there, does not see the new unit yet.
      const standbyBefore = await lookupsOnStandby();
      expect((await other.request(OrganizationByCodeDocument, { code })).organization).toBeNull();
      expect(await lookupsOnStandby()).toBe(standbyBefore + 1);
      // The writer's reads go to the primary until the standby has replayed the write.
      for (let n = 0; n < 5; n += 1) {
        expect((await writer.request(OrganizationByCodeDocument, { code })).organization?.code).toBe(code);
        await sleep(100);
      }
      expect(await lookupsOnStandby()).toBe(standbyBefore + 1);
    } finally {
      await onStandby`select pg_wal_replay_resume()`;
    }
    // Replayed: the writer reads from the standby again.
    await caughtUp();
    await sleep(500);
    const before = await lookupsOnStandby();
    expect((await writer.request(OrganizationByCodeDocument, { code: 'REPLICA_RYW_OFFICE' })).organization?.code).toBe(
      'REPLICA_RYW_OFFICE',
    );
    expect(await lookupsOnStandby()).toBe(before + 1);
  }, 60_000);

  it("carries an SDK client's own writes across API processes: it echoes the write's position", async () => {
    // A second process on the same databases, and a balancer without affinity in front of both:
    // the write goes through one process, the reads alternate, and the other process never saw the write.
    const second = await startApiProcess(apiEnv());
    try {
      const { login } = await createClient({ url: api.url }).request(LoginDocument, { input: MANAGER });
      const processes = [api.url, second.url];
      let turn = 0;
      const balancer: FetchLike = (_url, init) => fetch(processes[turn++ % processes.length] ?? api.url, init);
      const writer = createClient({ url: api.url, token: login.token, fetch: balancer });
      await caughtUp();
      await onStandby`select pg_wal_replay_pause()`;
      try {
        const code = 'REPLICA_RYW_ACROSS';
        turn = 0;
        const { createOrganization } = await writer.request(CreateOrganizationDocument, {
          input: { code, name: '跨进程读己之写办公室（演示）', kind: 'OFFICE', parentCode: 'ZONE' },
        });
        expect(createOrganization).toMatchObject({ organization: { code } });
        const standbyBefore = await lookupsOnStandby();
        for (let n = 0; n < 4; n += 1) {
          expect((await writer.request(OrganizationByCodeDocument, { code })).organization?.code).toBe(code);
        }
        // Half of those reads reached the process that did not take the write; none went to the standby.
        expect(turn).toBe(5);
        expect(await lookupsOnStandby()).toBe(standbyBefore);
      } finally {
        await onStandby`select pg_wal_replay_resume()`;
      }
    } finally {
      second.kill();
      await second.exited();
    }
  }, 90_000);

  it('keeps an asOf read on the primary while the standby has not replayed up to asOf', async () => {
    const client = await signIn(ADMIN);
    await caughtUp();
    await onStandby`select pg_wal_replay_pause()`;
    try {
      // Something committed after the pause, so the standby's replay stops before "now".
      await onPrimary`insert into replica_e2e_ticks default values`;
      await sleep(500);
      const read = (asOf: string) =>
        fetch(api.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(client)}` },
          body: JSON.stringify({
            query: `query($asOf: DateTime) { metricSeries(input: { metricCodes: ["FISCAL_REVENUE_TOTAL"], orgCode: "ZONE",
              granularity: QUARTER, from: "2012-01-01", to: "2012-12-31", asOf: $asOf }) { points { value } } }`,
            variables: { asOf },
          }),
        });
      const series = async () => {
        const [row] = await onStandby<{ calls: number }[]>`
          select coalesce(sum(calls), 0)::int as calls from pg_stat_statements
          where query like '%metric_observations%' and query not like '%pg_stat_statements%'`;
        return row?.calls ?? 0;
      };
      // asOf now: beyond what the paused standby has replayed, so the primary answers.
      let before = await series();
      expect((await read(new Date().toISOString())).status).toBe(200);
      expect(await series()).toBe(before);
      // asOf long ago: the standby has replayed past it, so it answers.
      before = await series();
      expect((await read('2013-01-01T00:00:00Z')).status).toBe(200);
      expect(await series()).toBeGreaterThan(before);
    } finally {
      await onStandby`select pg_wal_replay_resume()`;
    }
  }, 60_000);

  it('reads from the primary without an error while the standby is stopped, and from the standby once it is back', async () => {
    const client = await signIn(ADMIN);
    await standby.stop();
    // At once, before any health check noticed: the statement that finds the standby gone runs on the primary.
    for (let n = 0; n < 5; n += 1) {
      expect((await client.request(OrganizationByCodeDocument, { code: 'ZONE' })).organization?.name).toBe(
        '经济开发区',
      );
    }
    expect(await ready()).toMatchObject({ ready: true, reads: ['primary'] });
    const text = await metrics();
    expect(text).toContain('sixtype_db_serves_reads{pool="primary"} 1');
    expect(text).toContain('sixtype_db_replica_up{pool="replica1"} 0');

    await standby.start();
    await expect.poll(async () => (await ready()).reads, { timeout: 20_000 }).toEqual(['replica1']);
    await onStandby.end({ timeout: 1 }).catch(() => {});
    onStandby = postgres(standby.url('sixtype'), { max: 1, onnotice: () => {} });
    const before = await lookupsOnStandby();
    expect((await client.request(OrganizationByCodeDocument, { code: 'ZONE' })).organization?.name).toBe('经济开发区');
    expect(await lookupsOnStandby()).toBe(before + 1);
    expect(api.output()).not.toMatch(/"level":50/);
  }, 60_000);
});
