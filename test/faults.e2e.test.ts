// Faults on one machine: the API runs as its own process (as `npm start` runs it) over a PostgreSQL
// server started for this file, which the tests restart, starve of connections and lock. Only in
// CI's PostgreSQL pass (TEST_DATABASE_URL set): that is where PostgreSQL's binaries are known to be.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb, demoOrganizations, loadDemoData } from '@sixtype/db';
import { createUser, SYSTEM_ACCESS } from '@sixtype/graphql';
import {
  createClient,
  type DateString,
  type DecimalString,
  LoginDocument,
  MetricUpdatedDocument,
  OrganizationByCodeDocument,
  type SixtypeClient,
  SixtypeError,
  SubmitMetricObservationsDocument,
} from '@sixtype/sdk';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type ApiProcess, startApiProcess } from './api-process.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from './pg-cluster.ts';
import { ADMIN } from './support.ts';

const POOL_MAX = 4;
const STATEMENT_TIMEOUT_MS = 3_000;
/** Codes a client may see while the database is away or saturated; nothing else is acceptable. */
const OUTAGE_CODES = ['DATABASE_UNAVAILABLE', 'DATABASE_BUSY'];
/** Driver and server wording that must never reach a client. */
const RAW_DRIVER_TEXT =
  /ECONNREFUSED|ECONNRESET|terminating connection|Connection terminated|not queryable|Failed query|postgres|57P0|starting up|shutting down|statement timeout|sqlstate|select |insert /i;

let pg: ThrowawayPostgres;
let api: ApiProcess;
let token: string;
/** A connection of the test's own: locks tables and watches pg_stat_activity. */
let observer: postgres.Sql;

const codeOf = (error: unknown) =>
  error instanceof SixtypeError ? String(error.errors[0]?.extensions?.code ?? error.code) : String(error);
const readyStatus = async () => (await fetch(api.url.replace('/graphql', '/ready'))).status;
const post = (body: unknown, signal?: AbortSignal) =>
  fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
const zoneQuery = { query: '{ organization(code: "ZONE") { name } }' };

/** API statements waiting for a lock right now. */
async function waitingOnLock(): Promise<number> {
  const [row] = await observer<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
    where application_name = 'sixtype' and wait_event_type = 'Lock'`;
  return row?.n ?? 0;
}

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const sessions = await observer`
        select state, wait_event_type, left(query, 60) as query from pg_stat_activity where application_name = 'sixtype'`;
      const pool = (await (await fetch(api.url.replace('/graphql', '/metrics'))).text())
        .split('\n')
        .filter((line) => line.startsWith('sixtype_db_pool'));
      throw new Error(
        `gave up waiting for ${what}; API sessions: ${JSON.stringify(sessions)}; pool: ${pool.join(', ')}`,
      );
    }
    await sleep(25);
  }
}

/**
 * Runs `work` while a transaction of the test holds an exclusive lock on a table (organizations by
 * default): every API statement that reads it waits, which is how these tests make a query slow.
 * The credential check reads organizations too; campaigns only the execution of a campaign query.
 */
async function whileLocked<T>(work: () => Promise<T>, table = 'organizations'): Promise<T> {
  let result: T | undefined;
  await observer.begin(async (tx) => {
    await tx`lock table ${tx(table)} in access exclusive mode`;
    result = await work();
  });
  return result as T;
}

/** The API process's environment (every process of this file runs on the same database). */
const apiEnv = () => ({
  DATABASE_URL: pg.url('sixtype'),
  DATABASE_POOL_MAX: String(POOL_MAX),
  DATABASE_POOL_TIMEOUT_MS: '500',
  STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
  RATE_LIMIT_PER_MINUTE: '0',
  TOKEN_SECRET: 'faults e2e token secret, long enough for the check',
});

describe.runIf(process.env.TEST_DATABASE_URL)('faults', () => {
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
    await admin`create database sixtype`;
    await admin.end();
    const database = await createDb({ databaseUrl: pg.url('sixtype') });
    await database.migrate();
    await loadDemoData(database.db);
    await createUser(database.db, SYSTEM_ACCESS.actor, { ...ADMIN, role: 'ADMIN' });
    await database.close();
    api = await startApiProcess(apiEnv());
    ({
      login: { token },
    } = await createClient({ url: api.url }).request(LoginDocument, { input: ADMIN }));
    // Two connections: one holds the lock while the other watches.
    observer = postgres(pg.url('sixtype'), { max: 2, onnotice: () => {} });
  }, 120_000);

  afterAll(async () => {
    api?.kill();
    await observer?.end({ timeout: 1 });
    await pg?.destroy();
  });

  it('survives a PostgreSQL restart under reads and batch writes: coded errors, then service, every acknowledged batch once', async () => {
    const retried: SixtypeError[] = [];
    const failures: unknown[] = [];
    const client: SixtypeClient = createClient({
      url: api.url,
      token,
      retry: { retries: 6, minDelayMs: 100, maxDelayMs: 800, onRetry: (event) => retried.push(event.error) },
    });
    const metricCodes = [
      'FISCAL_REVENUE_TOTAL',
      'LOCAL_FISCAL_REVENUE',
      'NEW_PROJECT_CONTRACTS',
      'HUNDRED_DAY_PROJECTS_UNDER_CONSTRUCTION',
      'HUNDRED_DAY_PROJECTS_IN_NEGOTIATION',
    ];
    const orgCodes = demoOrganizations.map((organization) => organization.code);
    // Every row of the run is a different (metric, unit, quarter), so rows in the table = rows acknowledged.
    let cell = 0;
    const nextObservation = () => {
      const n = cell++;
      const quarter = Math.floor(n / (metricCodes.length * orgCodes.length));
      return {
        metricCode: metricCodes[n % metricCodes.length] as string,
        orgCode: orgCodes[Math.floor(n / metricCodes.length) % orgCodes.length] as string,
        periodStart:
          `${1950 + Math.floor(quarter / 4)}-${String(1 + 3 * (quarter % 4)).padStart(2, '0')}-01` as DateString,
        granularity: 'QUARTER' as const,
        value: String(n % 97) as DecimalString,
        source: 'faults e2e',
      };
    };
    const acknowledged = new Map<string, number>();
    let reads = 0;
    let running = true;
    const giveUpAt = Date.now() + 45_000;

    const writer = async (name: string) => {
      for (let batch = 0; running; batch += 1) {
        const input = {
          idempotencyKey: `faults-${name}-${batch}`,
          observations: Array.from({ length: 5 }, nextObservation),
        };
        // A batch the client started is sent again (same key, same rows) until it is acknowledged.
        while (Date.now() < giveUpAt) {
          try {
            const { submitMetricObservations: result } = await client.request(SubmitMetricObservationsDocument, {
              input,
            });
            if (result.__typename !== 'SubmitMetricObservationsPayload')
              throw new Error(`refused: ${result.__typename}`);
            expect(result.rejected).toBe(0);
            acknowledged.set(input.idempotencyKey, result.accepted);
            break;
          } catch (error) {
            failures.push(error);
            await sleep(200);
          }
        }
      }
    };
    const reader = async () => {
      while (running) {
        try {
          const { organization } = await client.request(OrganizationByCodeDocument, { code: 'ZONE' });
          expect(organization?.name).toBe('经济开发区');
          reads += 1;
        } catch (error) {
          failures.push(error);
          await sleep(100);
        }
      }
    };
    const load = Promise.all([writer('a'), writer('b'), writer('c'), reader(), reader(), reader()]);

    await until(() => acknowledged.size >= 5 && reads >= 5, 'load before the restart');
    await pg.stop();
    const readyWhileDown = await readyStatus();
    await sleep(1_000);
    await pg.start();
    const [batchesAtRestart, readsAtRestart] = [acknowledged.size, reads];
    await until(
      () => acknowledged.size >= batchesAtRestart + 5 && reads >= readsAtRestart + 5,
      'load after the restart',
    );
    running = false;
    await load;

    // The outage was felt, and told as coded, retryable answers without the driver's words.
    expect(readyWhileDown).toBe(503);
    expect(retried.length).toBeGreaterThan(0);
    for (const error of [...retried, ...failures]) {
      expect(error).toBeInstanceOf(SixtypeError);
      expect(OUTAGE_CODES).toContain(codeOf(error));
      expect(JSON.stringify((error as SixtypeError).errors)).not.toMatch(RAW_DRIVER_TEXT);
    }
    expect(retried.some((error) => codeOf(error) === 'DATABASE_UNAVAILABLE')).toBe(true);
    expect(retried.every((error) => error.status === 503)).toBe(true);

    // The process lived through it and serves again.
    expect(api.child.exitCode).toBeNull();
    expect(await readyStatus()).toBe(200);
    expect((await client.request(OrganizationByCodeDocument, { code: 'ZONE' })).organization?.name).toBe('经济开发区');

    // Every acknowledged batch is in the database, once: exactly 5 rows per batch, no cell twice.
    const batches = [...acknowledged.keys()];
    expect([...acknowledged.values()].every((accepted) => accepted === 5)).toBe(true);
    const [rows] = await observer<{ n: number }[]>`
      select count(*)::int as n from metric_observations where source = 'faults e2e'`;
    expect(rows?.n).toBe(batches.length * 5);
    const [stored] = await observer<{ n: number }[]>`
      select count(*)::int as n from metric_batches where idempotency_key like 'faults-%'`;
    expect(stored?.n).toBe(batches.length);
    const [twice] = await observer<{ n: number }[]>`
      select count(*)::int as n from (
        select 1 from metric_observations where source = 'faults e2e'
        group by metric_id, organization_id, period_start having count(*) > 1) repeated`;
    expect(twice?.n).toBe(0);
  }, 60_000);

  it('reports the pool on /metrics', async () => {
    const metrics = await (await fetch(api.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toContain(`sixtype_db_pool_connections_max{pool="primary"} ${POOL_MAX}`);
    expect(metrics).toMatch(/sixtype_db_pool_connections_in_use\{pool="primary"\} \d+/);
    expect(metrics).toMatch(/sixtype_db_pool_waiting\{pool="primary"\} \d+/);
  });

  it('answers DATABASE_BUSY at once when every connection is taken, and stops slow statements at statement_timeout', async () => {
    await whileLocked(async () => {
      // Each of these takes a connection and waits for the lock.
      const slow = Array.from({ length: POOL_MAX }, () => post(zoneQuery));
      let slowSettled = false;
      void Promise.allSettled(slow).then(() => {
        slowSettled = true;
      });
      await until(async () => (await waitingOnLock()) === POOL_MAX, 'the pool to fill up');

      const busy = await post(zoneQuery);
      const busyBody = await busy.json();
      // Answered while every connection is still held: the request did not queue behind them.
      expect(slowSettled).toBe(false);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(busyBody.errors[0].extensions.code).toBe('DATABASE_BUSY');
      expect(JSON.stringify(busyBody)).not.toMatch(RAW_DRIVER_TEXT);
      // The routes beside /graphql answer the same (before, an unexpected error: 500).
      const beside = await Promise.all([
        fetch(api.url.replace('/graphql', '/metrics/observations/bulk'), {
          method: 'POST',
          headers: {
            'content-type': 'application/x-ndjson',
            authorization: `Bearer ${token}`,
            'idempotency-key': 'faults-busy-upload',
          },
          body: '{"metricCode":"GDP","orgCode":"ZONE","periodStart":"2012-01-01","granularity":"MONTH","value":"1","source":"faults e2e"}\n',
        }),
        fetch(api.url.replace('/graphql', '/reports/SIX_TYPE_2012/ZONE/2012-Q1.md'), {
          headers: { authorization: `Bearer ${token}` },
        }),
      ]);
      for (const response of beside) {
        const body = await response.json();
        expect([response.status, response.headers.get('retry-after'), body.errors[0].extensions.code]).toEqual([
          503,
          '1',
          'DATABASE_BUSY',
        ]);
        expect(JSON.stringify(body)).not.toMatch(RAW_DRIVER_TEXT);
      }
      expect(slowSettled).toBe(false);

      // The lock is still held: what ends the slow ones is statement_timeout.
      for (const response of await Promise.all(slow)) {
        const body = await response.json();
        expect(body.errors[0].extensions.code).toBe('QUERY_TIMEOUT');
        expect(body.data?.organization ?? null).toBeNull();
        expect(JSON.stringify(body)).not.toMatch(RAW_DRIVER_TEXT);
      }
      expect(await waitingOnLock()).toBe(0);
    });
    expect(pg.log()).toContain('canceling statement due to statement timeout');
    const after = await (await post(zoneQuery)).json();
    expect(after.data.organization.name).toBe('经济开发区');
  });

  it('cancels the statement in PostgreSQL when the client disconnects', async () => {
    const cancelledBefore = pg.log().split('canceling statement due to user request').length;
    // Campaigns are read by the operation itself, after the credential check: execution is cancelled.
    await whileLocked(async () => {
      const abort = new AbortController();
      const campaignQuery = { query: '{ campaign(code: "SIX_TYPE_2012") { slogan } }' };
      const request = post(campaignQuery, abort.signal).catch((error: unknown) => error);
      await until(async () => (await waitingOnLock()) === 1, 'the statement to start');
      abort.abort();
      expect(await request).toMatchObject({ name: 'AbortError' });
      // PostgreSQL logs "user request" for a cancel and "statement timeout" for a timeout, so this
      // line, while the lock is still held, is the cancel; and the statement is gone.
      await until(
        () => pg.log().split('canceling statement due to user request').length > cancelledBefore,
        'PostgreSQL to log the cancel',
      );
      expect(await waitingOnLock()).toBe(0);
    }, 'campaigns');
  });

  it('drains a request in flight on SIGTERM: new connections are refused, the running one answers, subscriptions are closed, then exit 0', async () => {
    // A process of its own to stop, so the file's other tests keep theirs whatever the order.
    const shared = api;
    api = await startApiProcess(apiEnv());
    onTestFinished(() => {
      api.kill();
      api = shared;
    });
    const exitCode = api.exited();
    // A subscription stays open until the server closes it, after the grace period for requests.
    let streamOpen = false;
    const stream = (async () => {
      const events = createClient({ url: api.url, token }).subscribe(
        MetricUpdatedDocument,
        {},
        { onConnected: () => (streamOpen = true) },
      );
      try {
        for await (const _event of events);
        return 'completed';
      } catch (error) {
        return codeOf(error);
      }
    })();
    await until(() => streamOpen, 'the subscription to open', 5_000);

    const { answered } = await whileLocked(async () => {
      const inFlight = post(zoneQuery).then(async (response) => ({
        status: response.status,
        body: await response.json(),
      }));
      await until(async () => (await waitingOnLock()) === 1, 'the request to reach the database');
      api.child.kill('SIGTERM');
      await until(() => api.output().includes('shutting down'), 'the shutdown to begin', 5_000);
      // The listener closes right after (closing a socket completes on the next turn of the event loop).
      const port = Number(new URL(api.url).port);
      const connectOutcome = () =>
        new Promise<string>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve('connected');
          });
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        });
      await until(async () => (await connectOutcome()) === 'ECONNREFUSED', 'new connections to be refused', 2_000);
      // Still running: it waits for the lock this transaction holds.
      expect(api.child.exitCode).toBeNull();
      // Wrapped: returning the promise itself would hold the lock until it settles.
      return { answered: inFlight };
    });
    // The lock is released: the request in flight completes with its data before the process exits.
    const { status, body } = await answered;
    expect(status).toBe(200);
    expect(body.data.organization.name).toBe('经济开发区');
    expect(await exitCode).toBe(0);
    expect(api.output()).toContain('closing connections still open');
    expect(api.output()).toContain('"msg":"stopped"');
    expect(await stream).toBe('NETWORK_ERROR');
  });
});
