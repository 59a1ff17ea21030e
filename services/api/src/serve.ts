import { loadTokenSecret, startWebhookSender, webhookSettingsOf } from '@sixtype/graphql';
import { firstAdminHint, openDatabase } from './bootstrap.ts';
import { serveCliSocket } from './cli-socket.ts';
import { loadEnv } from './env.ts';
import { createEventBus } from './events.ts';
import { createLogger } from './logger.ts';
import { startReminderTimer } from './reminder-timer.ts';
import { createApp, listen } from './server.ts';

const env = loadEnv();
const logger = createLogger(env);

try {
  const database = await openDatabase(env, logger);
  const tokenSecret = await loadTokenSecret(database.db, env.TOKEN_SECRET);
  const events = createEventBus(env.REDIS_URL);
  const app = createApp({ database, logger, env, tokenSecret, events: events.bus });
  const running = await listen(app, env.PORT);
  const cliSocket =
    database.kind === 'pglite' ? await serveCliSocket({ database, env, logger, dataDir: env.DATA_DIR }) : null;
  // On PostgreSQL the worker service runs the reminders (npm run start:worker); embedded, the API does.
  const reminderTimer =
    database.kind === 'pglite' && env.REMINDER_INTERVAL_MS > 0
      ? startReminderTimer({ db: database.db, logger, events: events.bus, intervalMs: env.REMINDER_INTERVAL_MS })
      : null;
  // Likewise the webhook outbox: the worker sends on PostgreSQL, the API itself on the embedded database.
  const webhookSender =
    database.kind === 'pglite'
      ? startWebhookSender({
          db: database.db,
          settings: webhookSettingsOf(env, tokenSecret),
          onAttempt: (result, delivery) =>
            logger[result.status === 'DELIVERED' ? 'info' : 'warn'](
              { job: 'webhook', delivery: delivery.id, ...result },
              'webhook delivery attempted',
            ),
          onError: (error) => logger.error({ job: 'webhook', err: error }, 'webhook sender failed'),
        })
      : null;
  const hint = await firstAdminHint(database);
  if (hint) logger.warn(hint);
  // Last, so that whoever waits for this line has seen everything startup had to say.
  logger.info(`GraphiQL at http://localhost:${new URL(running.url).port}/graphql`);
  // Under `start:cluster` the primary counts these to say when every process is serving.
  process.send?.({ kind: 'sixtype:ready', port: Number(new URL(running.url).port) });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    // Subscriptions (event streams) never finish by themselves: after a grace period for ordinary
    // requests, whatever is still open is closed (an SDK subscriber then resubscribes elsewhere).
    const grace = setTimeout(() => {
      logger.info('closing connections still open after 5 s (subscriptions)');
      running.server.closeAllConnections();
    }, 5_000);
    grace.unref();
    const timer = setTimeout(() => {
      logger.error('requests still running after 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    await running.stop();
    await reminderTimer?.stop();
    await webhookSender?.stop();
    clearTimeout(grace);
    await cliSocket?.close();
    await events.close();
    await database.close();
    logger.info('stopped');
    // Exit once the log line is written: the last word of a stopped process should not be lost.
    logger.flush(() => process.exit(0));
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
