import { pino } from 'pino';
import { loadWorkerEnv } from './env.ts';
import { startWorker } from './worker.ts';

const env = loadWorkerEnv();
const logger = pino({ level: env.LOG_LEVEL, base: { service: 'sixtype-worker' } });

try {
  const worker = await startWorker(env, logger);
  logger.info(
    { port: worker.port, concurrency: env.WORKER_CONCURRENCY, nodeEnv: process.env.NODE_ENV },
    'worker started',
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining: finishing the jobs in progress, taking no new one');
    const timer = setTimeout(() => {
      logger.error(`jobs still running after ${env.WORKER_SHUTDOWN_TIMEOUT_MS} ms; exiting (they will run again)`);
      process.exit(1);
    }, env.WORKER_SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    worker.stop().then(
      () => {
        logger.info('stopped');
        logger.flush(() => process.exit(0));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'could not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
