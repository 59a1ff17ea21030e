import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  adoptRecordedTimeZone,
  createDb,
  type DatabaseHandle,
  jobWorkerHeartbeats,
  maintainMetricPartitions,
  type ReminderRuleCode,
  reminderRuleCodes,
} from '@sixtype/db';
import {
  loadTokenSecret,
  reminderTaskNames,
  runReminderTask,
  startWebhookSender,
  webhookDeliveryCounts,
  webhookSettingsOf,
} from '@sixtype/graphql';
import { sql } from 'drizzle-orm';
import {
  Logger as GraphileLogger,
  makeWorkerUtils,
  type Runner,
  run,
  type TaskList,
  type WorkerEvents,
  type WorkerUtils,
} from 'graphile-worker';
import type { pino } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { WorkerEnv } from './env.ts';
import { createWorkerEventBus } from './events.ts';

export interface RunningWorker {
  /** The port of /health and /metrics. */
  port: number;
  runner: Runner;
  database: DatabaseHandle;
  /** Drains: finishes the jobs in progress, takes no new one, then closes everything. */
  stop(): Promise<void>;
}

function workerMetrics() {
  const registry = new Registry();
  const jobs = new Counter({
    name: 'sixtype_worker_jobs_total',
    help: 'Jobs run to the end, by task and outcome (success, failure).',
    labelNames: ['task', 'outcome'],
    registers: [registry],
  });
  const retried = new Counter({
    name: 'sixtype_worker_jobs_retried_total',
    help: 'Failed attempts that the engine will retry, by task.',
    labelNames: ['task'],
    registers: [registry],
  });
  const reminders = new Counter({
    name: 'sixtype_reminders_created_total',
    help: 'Reminders created, by rule.',
    labelNames: ['rule'],
    registers: [registry],
  });
  const running = new Gauge({ name: 'sixtype_worker_jobs_running', help: 'Jobs in progress.', registers: [registry] });
  const webhookAttempts = new Counter({
    name: 'sixtype_webhook_attempts_total',
    help: 'Webhook delivery attempts this worker made, by the status they left (DELIVERED, FAILED, DEAD).',
    labelNames: ['status'],
    registers: [registry],
  });
  const reports = new Counter({
    name: 'sixtype_reports_generated_total',
    help: 'Monthly campaign reports stored (each announced by one report.ready event).',
    registers: [registry],
  });
  return { registry, jobs, retried, reminders, running, webhookAttempts, reports };
}

/** The crontab: every rule once a day; `fill` catches up a run missed while no worker was up. */
export function reminderCrontab(cron: string): string {
  return reminderRuleCodes.map((code) => `${cron} ${reminderTaskNames[code]} ?fill=1d&max=5`).join('\n');
}

/** The task that writes, stores and announces (`report.ready`) the campaign reports of the month before. */
export const MONTHLY_REPORT_TASK = 'report_monthly';

/** The monthly report's line: a run missed in the last week (no worker was up) is caught up. */
export function reportCrontab(cron: string): string {
  return `${cron} ${MONTHLY_REPORT_TASK} ?fill=7d&max=5`;
}

/** The task that keeps `metric_observations`' year partitions (`maintainMetricPartitions`). */
export const METRIC_PARTITIONS_TASK = 'metric_partitions';

/** Daily at 03:00: next year's partition exists long before its first figure arrives. */
export const METRIC_PARTITIONS_CRONTAB = `0 3 * * * ${METRIC_PARTITIONS_TASK} ?fill=1d&max=1`;

/** The whole crontab from the two schedules, leaving out the one set to `off`, and the partition line. */
export function workerCrontab(env: Pick<WorkerEnv, 'REMINDER_CRON' | 'REPORT_CRON'>): string {
  return [
    env.REMINDER_CRON === 'off' ? '' : reminderCrontab(env.REMINDER_CRON),
    env.REPORT_CRON === 'off' ? '' : reportCrontab(env.REPORT_CRON),
    METRIC_PARTITIONS_CRONTAB,
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Starts graphile-worker with the reminder tasks, the monthly report task and their cron, the HTTP side (/health,
 * /metrics) and the heartbeat that frees the jobs of workers that died.
 */
export async function startWorker(env: WorkerEnv, logger: pino.Logger): Promise<RunningWorker> {
  const database = await createDb({ databaseUrl: env.DATABASE_URL, maxConnections: env.WORKER_CONCURRENCY + 2 });
  await database.migrate();
  // "Today" (the reminders' and the monthly report's) is the day in the installation's zone.
  await adoptRecordedTimeZone(database.db);
  const events = createWorkerEventBus(env.REDIS_URL);
  const metrics = workerMetrics();

  const taskList: TaskList = {};
  for (const ruleCode of reminderRuleCodes) {
    taskList[reminderTaskNames[ruleCode]] = async (payload) => {
      const outcome = await runReminderTask(database.db, ruleCode as ReminderRuleCode, payload ?? {}, events.bus);
      metrics.reminders.inc({ rule: ruleCode }, outcome.created);
      logger.debug({ rule: ruleCode, found: outcome.found, created: outcome.created }, 'reminder rule ran');
    };
  }

  taskList[MONTHLY_REPORT_TASK] = async (payload) => {
    // Loaded on the first run: the charts and the PDF's font are not needed before.
    const { generateMonthlyReports } = await import('@sixtype/report');
    const day = (payload as { today?: unknown } | null)?.today;
    const outcome = await generateMonthlyReports(
      database.db,
      typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) ? { today: day } : {},
    );
    metrics.reports.inc(outcome.written.length);
    logger.info({ task: MONTHLY_REPORT_TASK, period: outcome.period, written: outcome.written }, 'monthly reports ran');
  };

  taskList[METRIC_PARTITIONS_TASK] = async () => {
    const made = await maintainMetricPartitions(database.db);
    logger.info({ task: METRIC_PARTITIONS_TASK, made }, 'metric partitions kept');
  };

  // Listeners go on before run(): its workers are created (worker:create) before it returns.
  const engineEvents = new EventEmitter() as WorkerEvents;
  const started = new Map<string, number>();
  const workerIds = new Set<string>();
  // Jobs are locked by the pool's id (its local queue fetches for all its workers) or a worker's.
  engineEvents.on('pool:create', ({ workerPool }) => workerIds.add(workerPool.id));
  engineEvents.on('worker:create', ({ worker }) => workerIds.add(worker.workerId));
  engineEvents.on('job:start', ({ job }) => {
    started.set(job.id, performance.now());
    metrics.running.inc();
  });
  engineEvents.on('job:complete', ({ job, error }) => {
    const begun = started.get(job.id);
    started.delete(job.id);
    metrics.running.dec();
    const outcome = error ? 'failure' : 'success';
    metrics.jobs.inc({ task: job.task_identifier, outcome });
    const willRetry = Boolean(error) && job.attempts < job.max_attempts;
    if (willRetry) metrics.retried.inc({ task: job.task_identifier });
    // One structured line per job.
    logger[error ? 'warn' : 'info'](
      {
        job: job.id,
        task: job.task_identifier,
        attempt: job.attempts,
        maxAttempts: job.max_attempts,
        outcome,
        willRetry,
        ms: begun === undefined ? undefined : Math.round(performance.now() - begun),
        err: error ?? undefined,
      },
      'job finished',
    );
  });

  const runner = await run({
    events: engineEvents,
    connectionString: env.DATABASE_URL,
    concurrency: env.WORKER_CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 1_000,
    taskList,
    crontab: workerCrontab(env),
    // graphile-worker's own lines go through pino too, so every line of the worker is JSON.
    logger: new GraphileLogger(() => (level, message, meta) => {
      logger[level === 'warning' ? 'warn' : level === 'error' ? 'error' : level === 'info' ? 'info' : 'debug'](
        { engine: 'graphile-worker', ...meta },
        message,
      );
    }),
  });
  const utils: WorkerUtils = await makeWorkerUtils({ connectionString: env.DATABASE_URL });

  // The webhook outbox: each delivery an attempt of its own, up to WEBHOOK_CONCURRENCY at once.
  const webhookSettings = webhookSettingsOf(env, await loadTokenSecret(database.db, env.TOKEN_SECRET));
  new Gauge({
    name: 'sixtype_webhook_deliveries',
    help: 'Webhook deliveries in the outbox, by status',
    labelNames: ['status'],
    registers: [metrics.registry],
    async collect() {
      const counts = await webhookDeliveryCounts(database.db).catch(() => ({}));
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
  const webhookSender = startWebhookSender({
    db: database.db,
    settings: webhookSettings,
    onAttempt: (result, delivery) => {
      metrics.webhookAttempts.inc({ status: result.status });
      // One structured line per delivery attempt, like the jobs'.
      logger[result.status === 'DELIVERED' ? 'info' : 'warn'](
        { task: 'webhook_delivery', delivery: delivery.id, ...result },
        'webhook delivery attempted',
      );
    },
    onError: (error) => logger.error({ task: 'webhook_delivery', err: error }, 'webhook sender failed'),
  });

  // Heartbeats: our workers' beats, and freeing the jobs of workers whose beat went stale.
  const beat = async () => {
    const ids = [...workerIds];
    if (ids.length > 0) {
      await database.db
        .insert(jobWorkerHeartbeats)
        .values(ids.map((workerId) => ({ workerId })))
        .onConflictDoUpdate({ target: jobWorkerHeartbeats.workerId, set: { beatAt: sql`now()` } });
    }
    const stale = await database.db
      .delete(jobWorkerHeartbeats)
      .where(sql`${jobWorkerHeartbeats.beatAt} < now() - make_interval(secs => ${env.WORKER_STALE_AFTER_MS / 1000})`)
      .returning({ workerId: jobWorkerHeartbeats.workerId });
    const dead = stale.map((row) => row.workerId).filter((id) => !workerIds.has(id));
    if (dead.length > 0) {
      await utils.forceUnlockWorkers(dead);
      logger.warn({ workers: dead }, 'freed the jobs of workers that stopped beating');
    }
  };
  await beat().catch((error: unknown) => logger.error({ err: error }, 'heartbeat failed'));
  const heartbeat = setInterval(() => {
    beat().catch((error: unknown) => logger.error({ err: error }, 'heartbeat failed'));
  }, env.WORKER_HEARTBEAT_MS);
  heartbeat.unref();

  let draining = false;
  const server: Server = createServer((request, response) => {
    if (request.url === '/health') {
      response.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: draining ? 'draining' : 'ok', jobsRunning: started.size }));
      return;
    }
    if (request.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.end(text);
        },
        () => {
          response.writeHead(500);
          response.end();
        },
      );
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(env.WORKER_PORT, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    runner,
    database,
    async stop() {
      draining = true;
      clearInterval(heartbeat);
      // graphile-worker's graceful shutdown: no new job is taken, the running ones finish.
      await Promise.all([runner.stop(), webhookSender.stop()]);
      // A job whose completion the engine had not written back before stopping would stay locked
      // for four hours; released, it runs again (the rules' keys make that harmless).
      await utils.forceUnlockWorkers([...workerIds]).catch(() => {});
      await database.db
        .delete(jobWorkerHeartbeats)
        .where(sql`${jobWorkerHeartbeats.workerId} in ${[...workerIds, '']}`)
        .catch(() => {});
      await utils.release();
      await events.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
