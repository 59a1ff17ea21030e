import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  cadres,
  fixClock,
  generatedReports,
  notifications,
  organizations,
  reminders,
  resetClock,
  studyRecords,
  users,
  webhookDeliveries,
} from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { createWebhookEndpoint, loadTokenSecret, webhookSettingsOf } from '@sixtype/graphql';
import { and, eq, sql } from 'drizzle-orm';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkerEnv } from './env.ts';
import {
  METRIC_PARTITIONS_CRONTAB,
  METRIC_PARTITIONS_TASK,
  MONTHLY_REPORT_TASK,
  type RunningWorker,
  reminderCrontab,
  startWorker,
  workerCrontab,
} from './worker.ts';

// The worker is PostgreSQL's: these tests run with TEST_DATABASE_URL and are skipped on PGlite.
const postgres = Boolean(process.env.TEST_DATABASE_URL);
const TASK = 'reminder_study_cadre_behind';
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

let database: TestDatabase;
let utils: WorkerUtils;
let url: string;
let cadreId = 0;
let step = 0;

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function jobRows(): Promise<{ id: string; key: string | null; locked_by: string | null; attempts: number }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('select id::text, key, locked_by, attempts from graphile_worker.jobs')).rows;
  } finally {
    await client.end();
  }
}

const cadreReminders = () =>
  database.db
    .select()
    .from(reminders)
    .where(and(eq(reminders.ruleCode, 'STUDY_CADRE_BEHIND'), eq(reminders.subjectId, cadreId)));

/** A cadre 1,000 characters behind the pro-rated quota at the end of the month before `today`. */
async function addLaggingCadre(employeeNumber: string) {
  const [finance] = await database.db.select().from(organizations).where(eq(organizations.code, 'FINANCE_BUREAU'));
  const [cadre] = await database.db
    .insert(cadres)
    .values({ employeeNumber, name: '测试落后', gender: 'MALE', organizationId: finance?.id ?? 0, position: '科员' })
    .returning({ id: cadres.id });
  cadreId = cadre?.id ?? 0;
  // 1 January – 30 June 2012 is 182 of 366 days: ceil(20000 × 182 / 366) = 9,946 expected.
  await database.db
    .insert(studyRecords)
    .values({ cadreId, studiedOn: '2012-06-10', method: 'SELF_STUDY', note: '学'.repeat(8_946) });
  await database.db
    .insert(users)
    .values({ username: `u${employeeNumber}`, passwordHash: 'x', role: 'CADRE', cadreId })
    .onConflictDoNothing();
}

/** The worker's process; a variable given as undefined is left out of its environment. */
function spawnWorker(
  extraEnv: Record<string, string | undefined> = {},
): Promise<{ child: ChildProcess; output: string[] }> {
  const output: string[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    WORKER_PORT: '0',
    WORKER_HEARTBEAT_MS: '300',
    WORKER_STALE_AFTER_MS: '1500',
    // Only the jobs a test adds run; the cron is covered by reminderCrontab's test.
    REMINDER_CRON: 'off',
    REPORT_CRON: 'off',
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(extraEnv)) if (value === undefined) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return waitFor(
    async () => output.some((line) => line.includes('"worker started"')) && { child, output },
    'the worker to start',
  );
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** Holds an exclusive lock on reminders, so a reminder job stops inside its transaction until released. */
async function blockReminderWrites() {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  await client.query('lock table reminders in exclusive mode');
  return async () => {
    await client.query('rollback');
    await client.end();
  };
}

describe('reminderCrontab', () => {
  it('schedules every rule daily, catching up a day missed while no worker ran', () => {
    expect(reminderCrontab('0 1 * * *').split('\n')).toEqual([
      '0 1 * * * reminder_study_cadre_behind ?fill=1d&max=5',
      '0 1 * * * reminder_study_unit_compliance ?fill=1d&max=5',
      '0 1 * * * reminder_problem_deadline ?fill=1d&max=5',
      '0 1 * * * reminder_cadence_gap ?fill=1d&max=5',
      '0 1 * * * reminder_leading_group_missing ?fill=1d&max=5',
    ]);
  });

  it('adds the monthly report on its own schedule, and leaves out a schedule set to off', () => {
    expect(workerCrontab({ REMINDER_CRON: 'off', REPORT_CRON: '0 6 1 * *' }).split('\n')).toEqual([
      '0 6 1 * * report_monthly ?fill=7d&max=5',
      '0 3 * * * metric_partitions ?fill=1d&max=1',
    ]);
    expect(workerCrontab({ REMINDER_CRON: '0 1 * * *', REPORT_CRON: 'off' }).split('\n')).toEqual([
      ...reminderCrontab('0 1 * * *').split('\n'),
      METRIC_PARTITIONS_CRONTAB,
    ]);
    expect(loadWorkerEnv({ DATABASE_URL: 'postgres://localhost/x' }).REPORT_CRON).toBe('0 6 1 * *');
  });
});

describe.skipIf(!postgres)('worker on PostgreSQL', () => {
  beforeAll(async () => {
    database = await openTestDatabase();
    url = database.url ?? '';
    utils = await makeWorkerUtils({ connectionString: url });
    await utils.migrate();
  });
  afterAll(async () => {
    await utils?.release();
    await database?.close();
  });
  beforeEach(async () => {
    step += 1;
    await addLaggingCadre(`T-W-${step}`);
  });

  it('two workers running the rule at once give a cadre 1,000 characters behind exactly one reminder', async () => {
    const logger = pino({ level: 'silent' });
    const env = loadWorkerEnv({ DATABASE_URL: url, WORKER_PORT: '0', REMINDER_CRON: 'off', REPORT_CRON: 'off' });
    const workers: RunningWorker[] = await Promise.all([startWorker(env, logger), startWorker(env, logger)]);
    try {
      await Promise.all(
        ['a', 'b', 'c', 'd'].map((key) =>
          utils.addJob(TASK, { today: '2012-07-01' }, { jobKey: `two-workers-${key}` }),
        ),
      );
      await waitFor(async () => (await jobRows()).length === 0, 'the jobs to finish');
      const rows = await cadreReminders();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.details).toMatchObject({ charactersBehind: 1000 });
      const health = await fetch(`http://127.0.0.1:${workers[0]?.port}/health`);
      expect(health.status).toBe(200);
      const texts = await Promise.all(
        workers.map((worker) => fetch(`http://127.0.0.1:${worker.port}/metrics`).then((response) => response.text())),
      );
      const runs = texts
        .map((text) =>
          Number(
            /sixtype_worker_jobs_total\{task="reminder_study_cadre_behind",outcome="success"\} (\d+)/.exec(text)?.[1] ??
              0,
          ),
        )
        .reduce((a, b) => a + b, 0);
      expect(runs).toBe(4);
      const created = texts
        .map((text) =>
          Number(/sixtype_reminders_created_total\{rule="STUDY_CADRE_BEHIND"\} (\d+)/.exec(text)?.[1] ?? 0),
        )
        .reduce((a, b) => a + b, 0);
      expect(created).toBeGreaterThan(0);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  it('its metric_partitions job gives a year waiting in the default partition a partition of its own', async () => {
    const partOf = async () =>
      (
        (await database.db.execute(
          sql`select tableoid::regclass::text as part from metric_observations where period_start = '2043-02-01'`,
        )) as unknown as { rows: { part: string }[] }
      ).rows.map((row) => row.part);
    const worker = await startWorker(
      loadWorkerEnv({ DATABASE_URL: url, WORKER_PORT: '0', REMINDER_CRON: 'off', REPORT_CRON: 'off' }),
      pino({ level: 'silent' }),
    );
    try {
      // Written after the worker started (its migrate keeps the partitions too).
      await database.db.execute(sql`insert into metric_observations
          (metric_id, organization_id, granularity, period_start, value, revision, source, submitted_by_kind)
        select (select min(id) from metric_definitions), (select min(id) from organizations), 'MONTH',
               '2043-02-01', 1, 1, 'worker test', 'SYSTEM'`);
      expect(await partOf()).toEqual(['metric_observations_default']);
      await utils.addJob(METRIC_PARTITIONS_TASK, {}, { jobKey: 'partitions' });
      await waitFor(async () => (await jobRows()).length === 0, 'the partition job to finish');
      expect(await partOf()).toEqual(['metric_observations_y2043']);
    } finally {
      await worker.stop();
    }
  });

  it('a worker killed in the middle of a job (SIGKILL) and started again runs the job once', async () => {
    const release = await blockReminderWrites();
    const first = await spawnWorker();
    await utils.addJob(TASK, { today: '2012-08-01' }, { jobKey: 'killed-mid-job' });
    await waitFor(async () => (await jobRows()).some((job) => job.locked_by !== null), 'the job to start');
    first.child.kill('SIGKILL');
    await exited(first.child);
    await release();
    expect(await cadreReminders()).toHaveLength(0);

    const second = await spawnWorker();
    try {
      await waitFor(async () => (await jobRows()).length === 0, 'the freed job to run again');
      const rows = await cadreReminders();
      expect(rows.map((row) => row.periodKey)).toEqual(['2012-07']);
      const delivered = await database.db
        .select()
        .from(notifications)
        .where(eq(notifications.reminderId, rows[0]?.id ?? 0));
      expect(delivered.length).toBeGreaterThan(0);
      expect(new Set(delivered.map((row) => row.recipientUserId)).size).toBe(delivered.length);
      expect(second.output.some((line) => line.includes('freed the jobs of workers that stopped beating'))).toBe(true);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  }, 90_000);

  it('runs under NODE_ENV=production when none is set, as the API does (graphql-js reads it as it loads)', async () => {
    const started = (output: string[]) =>
      JSON.parse(output.find((line) => line.includes('"worker started"')) as string) as { nodeEnv?: string };
    const unset = await spawnWorker({ NODE_ENV: undefined });
    const asked = await spawnWorker({ NODE_ENV: 'development' });
    for (const { child } of [unset, asked]) child.kill('SIGTERM');
    expect(await Promise.all([exited(unset.child), exited(asked.child)])).toEqual([0, 0]);
    expect(started(unset.output).nodeEnv).toBe('production');
    expect(started(asked.output).nodeEnv).toBe('development');
  });

  it('on SIGTERM finishes the job in progress, takes no new one, and exits 0; one JSON line per job', async () => {
    const release = await blockReminderWrites();
    const worker = await spawnWorker();
    await utils.addJob(TASK, { today: '2012-09-01' }, { jobKey: 'drained' });
    await waitFor(async () => (await jobRows()).some((job) => job.locked_by !== null), 'the job to start');
    worker.child.kill('SIGTERM');
    await waitFor(async () => worker.output.some((line) => line.includes('draining')), 'the drain to begin');
    await utils.addJob(TASK, { today: '2012-10-01' }, { jobKey: 'after-sigterm' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(worker.child.exitCode).toBeNull();
    await release();
    expect(await exited(worker.child)).toBe(0);
    expect((await cadreReminders()).map((row) => row.periodKey)).toEqual(['2012-08']);
    // The job added during the drain waits for the next worker.
    expect((await jobRows()).find((job) => job.key === 'after-sigterm')).toMatchObject({
      locked_by: null,
      attempts: 0,
    });
    const jobLines = worker.output.filter((line) => line.includes('"job finished"')).map((line) => JSON.parse(line));
    expect(jobLines).toEqual([
      expect.objectContaining({ task: TASK, outcome: 'success', attempt: 1, service: 'sixtype-worker' }),
    ]);
    await utils.completeJobs((await jobRows()).map((job) => job.id));
  });

  it('sends the webhook of a reminder it created and counts deliveries by status on /metrics', async () => {
    const received: string[] = [];
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push(String(request.headers['webhook-id']));
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hooks = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '50' };
    const settings = webhookSettingsOf(
      loadWorkerEnv({ DATABASE_URL: url, ...hooks }),
      await loadTokenSecret(database.db),
    );
    await createWebhookEndpoint(database.db, { kind: 'SYSTEM', id: 'test' }, settings, {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      eventTypes: ['REMINDER_CREATED'],
    });
    const worker = await startWorker(
      loadWorkerEnv({ DATABASE_URL: url, WORKER_PORT: '0', REMINDER_CRON: 'off', REPORT_CRON: 'off', ...hooks }),
      pino({ level: 'silent' }),
    );
    try {
      await utils.addJob(TASK, { today: '2012-11-01' }, { jobKey: 'webhook' });
      await waitFor(async () => received.length > 0 && (await jobRows()).length === 0, 'the delivery');
      // Every reminder of the run is one event: the outbox empties, each delivery counted once.
      const text = await waitFor(async () => {
        const body = await fetch(`http://127.0.0.1:${worker.port}/metrics`).then((response) => response.text());
        const delivered = Number(/sixtype_webhook_deliveries\{status="DELIVERED"\} (\d+)/.exec(body)?.[1]);
        return body.includes('sixtype_webhook_deliveries{status="PENDING"} 0') && delivered === received.length && body;
      }, 'the outbox to empty');
      expect(new Set(received).size).toBe(received.length);
      expect(text).toContain(`sixtype_webhook_attempts_total{status="DELIVERED"} ${received.length}`);
      expect(text).toContain('sixtype_webhook_deliveries{status="DEAD"} 0');
    } finally {
      await worker.stop();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
  it('writes the month’s report on 1 April 2012, stores it and enqueues one report.ready; a rerun adds nothing', async () => {
    const settings = webhookSettingsOf(loadWorkerEnv({ DATABASE_URL: url }), await loadTokenSecret(database.db));
    await createWebhookEndpoint(database.db, { kind: 'SYSTEM', id: 'test' }, settings, {
      url: 'https://oa.example/reports',
      eventTypes: ['REPORT_READY'],
    });
    const readyEvents = () =>
      database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventType, 'REPORT_READY'));
    // The worker runs in this process, so it reads the clock fixed here (the cron passes no day).
    fixClock('2012-04-01T06:00:00+08:00');
    const worker = await startWorker(
      loadWorkerEnv({ DATABASE_URL: url, WORKER_PORT: '0', REMINDER_CRON: 'off', REPORT_CRON: 'off' }),
      pino({ level: 'silent' }),
    );
    try {
      await utils.addJob(MONTHLY_REPORT_TASK, {}, { jobKey: 'monthly-first' });
      await waitFor(async () => (await jobRows()).length === 0, 'the monthly report', 120_000);
      const stored = await database.db.select().from(generatedReports);
      expect(stored.map((row) => `${row.periodLabel}.${row.format}`).sort()).toEqual([
        '2012-03.html',
        '2012-03.md',
        '2012-03.pdf',
      ]);
      const markdown = Buffer.from(stored.find((row) => row.format === 'md')?.content ?? []).toString('utf8');
      expect(markdown).toContain('2012-03');
      expect(markdown).toMatch(/本期共开展活动 [1-9]\d* 次/);
      const events = await readyEvents();
      expect(events).toHaveLength(1);
      expect(events[0]?.payload).toMatchObject({
        type: 'report.ready',
        data: {
          campaignCode: 'SIX_TYPE_2012',
          organizationCode: 'ZONE',
          period: '2012-03',
          downloadUrl: '/reports/generated/SIX_TYPE_2012/ZONE/2012-03.pdf',
        },
      });

      await utils.addJob(MONTHLY_REPORT_TASK, {}, { jobKey: 'monthly-again' });
      await waitFor(async () => (await jobRows()).length === 0, 'the rerun', 120_000);
      const again = await database.db.select().from(generatedReports);
      expect(again.map((row) => row.id).sort()).toEqual(stored.map((row) => row.id).sort());
      expect(await readyEvents()).toHaveLength(1);
      const text = await fetch(`http://127.0.0.1:${worker.port}/metrics`).then((response) => response.text());
      expect(text).toContain('sixtype_reports_generated_total 1');
      expect(text).toContain('sixtype_worker_jobs_total{task="report_monthly",outcome="success"} 2');
    } finally {
      await worker.stop();
      resetClock();
    }
  }, 180_000);
});
