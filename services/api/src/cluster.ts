import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadTokenSecret } from '@sixtype/graphql';
import { openDatabase } from './bootstrap.ts';
import { loadEnv } from './env.ts';
import { createLogger } from './logger.ts';

/**
 * `npm run start:cluster`: CLUSTER_WORKERS API processes (default one per CPU) sharing PORT through
 * node:cluster. Each worker is `main.ts` (its own pool of DATABASE_POOL_MAX connections, its own
 * graceful shutdown); with REDIS_URL they share rate limits and subscription events. The primary
 * migrates (and seeds, with SEED_DEMO) once before the workers start, forwards SIGTERM/SIGINT to
 * them and replaces a worker that dies.
 */
const env = loadEnv();
const logger = createLogger(env);
const RESTART_DELAY_MS = 1_000;

if (!env.DATABASE_URL) {
  logger.fatal('start:cluster needs DATABASE_URL: the embedded database belongs to a single process (use npm start)');
  process.exit(1);
}
if (!env.REDIS_URL) {
  logger.warn('REDIS_URL is not set: each process counts rate limits and delivers subscription events on its own');
}

try {
  const database = await openDatabase(env, logger);
  // Created here once when unset, so the workers do not race to create different ones.
  await loadTokenSecret(database.db, env.TOKEN_SECRET);
  await database.close();
} catch (error) {
  logger.fatal({ err: error }, 'could not prepare the database');
  process.exit(1);
}

const size = env.CLUSTER_WORKERS ?? availableParallelism();
// Beside this file: main.ts under tsx (the tests), main.mjs in the bundle `npm run start:cluster` runs.
const workerEntry = import.meta.url.endsWith('.ts') ? './main.ts' : './main.mjs';
cluster.setupPrimary({ exec: fileURLToPath(new URL(workerEntry, import.meta.url)) });

let stopping = false;
let ready = 0;
let alive = 0;
const fork = () => {
  alive += 1;
  cluster.fork();
};

cluster.on('message', (_worker: Worker, message: { kind?: string; port?: number }) => {
  if (message?.kind !== 'sixtype:ready') return;
  ready += 1;
  if (ready === size) {
    logger.info({ workers: size }, `API cluster ready: ${size} processes at http://localhost:${message.port}/graphql`);
  }
});

cluster.on('exit', (worker, code, signal) => {
  alive -= 1;
  if (stopping) {
    if (alive === 0) {
      logger.info('cluster stopped');
      logger.flush(() => process.exit(0));
    }
    return;
  }
  logger.error({ pid: worker.process.pid, code, signal }, 'API process died; starting another');
  setTimeout(fork, RESTART_DELAY_MS).unref();
});

const shutdown = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping the cluster: each process finishes its requests in flight');
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

for (let index = 0; index < size; index += 1) fork();
