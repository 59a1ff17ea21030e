import { webhookEnvShape } from '@sixtype/graphql';
import { z } from 'zod';

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const envSchema = z.object({
  /** The worker runs on PostgreSQL only; on the embedded database the API runs the same tasks itself. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (the worker needs PostgreSQL)'),
  /** Jobs run at once by this process. */
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /** /health and /metrics; 0 picks a free port. */
  WORKER_PORT: z.coerce.number().int().min(0).max(65_535).default(4100),
  /** When the reminder rules run (crontab syntax, in the worker's TZ; `off`: never); each rule's key makes reruns harmless. */
  REMINDER_CRON: z.string().default('0 1 * * *'),
  /** When the monthly campaign reports are written for the month before (crontab syntax; `off`: never); a stored month is never written or announced again. */
  REPORT_CRON: z.string().default('0 6 1 * *'),
  /** How often a worker beats, and after how many missed beats another worker frees its jobs. */
  WORKER_HEARTBEAT_MS: z.coerce.number().int().positive().default(5_000),
  WORKER_STALE_AFTER_MS: z.coerce.number().int().positive().default(30_000),
  /** Failed attempts of a job before it is given up (graphile-worker retries with exponential backoff). */
  WORKER_MAX_ATTEMPTS: z.coerce.number().int().positive().default(10),
  /** How long SIGTERM waits for running jobs before exiting anyway. */
  WORKER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** With the API's REDIS_URL, new notifications reach the API's notificationAdded subscribers. */
  REDIS_URL: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The API's TOKEN_SECRET when it sets one: the webhook secrets' key is derived from it unless WEBHOOK_SECRET_KEY is set. */
  TOKEN_SECRET: optionalString,
  /** Webhook delivery: the same variables as the API's (README, "Webhooks"). */
  ...webhookEnvShape,
});

export type WorkerEnv = z.infer<typeof envSchema>;

/** Every variable the worker reads (README's Configuration table and turbo.json's globalEnv list each one). */
export const WORKER_ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** The only reader of process.env in the worker. */
export function loadWorkerEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid worker environment: ${problems}`);
  }
  return parsed.data;
}
