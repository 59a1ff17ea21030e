import { fileURLToPath } from 'node:url';
import { DEFAULT_TIME_ZONE, isTimeZoneName } from '@sixtype/db';
import { DEFAULT_NODE_ENV } from '@sixtype/db/node-env';
import { webhookEnvShape } from '@sixtype/graphql';
import { z } from 'zod';
import { DEFAULT_PERSISTED_OPERATIONS_FILE } from './persisted-operations.ts';
import { DEFAULT_ANONYMOUS_RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE } from './rate-limit.ts';
import { DEFAULT_UPLOAD_QUEUE_TIMEOUT_MS } from './upload-slots.ts';

/** The repository root, so the default data folder does not depend on where npm was started. */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  DATA_DIR: optionalString.transform((value) => value ?? `${repositoryRoot}.data`),
  REDIS_URL: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Production unless asked: introspection for admins only and masked errors (`npm run dev` sets development).
  NODE_ENV: z.enum(['development', 'production', 'test']).default(DEFAULT_NODE_ENV),
  /** The installation's one time zone: every "today" and every activity's day (see the db package's clock.ts). */
  TIME_ZONE: optionalString
    .transform((value) => value ?? DEFAULT_TIME_ZONE)
    .pipe(z.string().refine(isTimeZoneName, 'must be an IANA time zone name, e.g. Asia/Shanghai')),
  SEED_DEMO: optionalString.transform((value) => value === '1' || value === 'true'),
  /** Signs session tokens; when unset a random secret is kept in the database. */
  TOKEN_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Connections of each PostgreSQL pool (the primary's and each replica's), per API process. */
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
  /** How long a statement waits for a free connection before the request fails with DATABASE_BUSY. */
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** Bulk uploads written at once per process (each holds a connection); unset: half the pool, at least 1. */
  BULK_UPLOAD_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /** How long an upload waits for its turn before it is answered DATABASE_BUSY. */
  BULK_UPLOAD_QUEUE_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_UPLOAD_QUEUE_TIMEOUT_MS),
  /** Comma-separated postgres:// URLs of read replicas: queries read there, mutations use DATABASE_URL. */
  DATABASE_REPLICA_URLS: optionalString.pipe(
    z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((url) => url.trim())
          .filter((url) => url !== ''),
      )
      .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\//, 'must be postgres:// URLs separated by commas'))),
  ),
  /**
   * `pgbouncer`: a pooler in transaction mode sits in front of PostgreSQL (DATABASE_URL and the
   * replica URLs point at it). Statements are then sent unnamed, statement_timeout is not sent at
   * connect (set it on the role: docs/scaling.md) and cancels go through the pooler.
   */
  DATABASE_POOLER: z.enum(['none', 'pgbouncer']).default('none'),
  /** How often each replica's health and replay position are checked, in milliseconds. */
  DATABASE_REPLICA_CHECK_MS: z.coerce.number().int().positive().default(500),
  /** `npm run start:cluster`: how many API processes share the port (default: one per CPU). */
  CLUSTER_WORKERS: z.coerce.number().int().positive().optional(),
  /** Requests per minute for each API client and each signed-in user; 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(DEFAULT_RATE_LIMIT_PER_MINUTE),
  /** Requests per minute for anonymous callers, per client address; 0 turns the limit off. */
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(0).default(DEFAULT_ANONYMOUS_RATE_LIMIT_PER_MINUTE),
  /** Behind a reverse proxy: take an anonymous caller's address from the last x-forwarded-for entry. */
  TRUST_PROXY: optionalString.transform((value) => value === '1' || value === 'true'),
  /**
   * Embedded database only: how often the API runs the reminder rules itself (on PostgreSQL the
   * worker's cron does); 0 turns the timer off.
   */
  REMINDER_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** The SDK's persisted-operation manifest (hash → document), the only operations API clients may run. */
  PERSISTED_OPERATIONS_FILE: optionalString.transform((value) => value ?? DEFAULT_PERSISTED_OPERATIONS_FILE),
  /** Webhooks: the secrets' key, the allow-list, timeouts and retries (README, "Webhooks"). */
  ...webhookEnvShape,
});

export type Env = z.infer<typeof envSchema>;

/** Every variable the API reads (README's Configuration table and turbo.json's globalEnv list each one). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** The only place that reads process.env; everything else receives an Env. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid environment:\n${problems}`);
  }
  return parsed.data;
}

/**
 * Where the operator typed the command: `npm run cli` runs in services/api, and npm names the
 * directory it was started from in INIT_CWD. File names given to the CLI are meant from there.
 */
export function operatorDirectory(source: NodeJS.ProcessEnv = process.env): string {
  return source.INIT_CWD ?? process.cwd();
}

/** The environment a tool the API starts (pg_dump, pg_restore) runs in: this process's, plus `extra`. */
export function childProcessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
