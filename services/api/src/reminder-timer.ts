import type { Executor } from '@sixtype/db';
import { reminderRuleCodes } from '@sixtype/db';
import { type EventBus, runReminderTask } from '@sixtype/graphql';
import type { Logger } from './logger.ts';

export interface ReminderTimer {
  /** Resolves once the run in progress (if any) has finished; no run starts after it. */
  stop(): Promise<void>;
}

/**
 * On the embedded database there is no worker process: the API runs the reminder tasks itself,
 * once at start and then every `intervalMs`, one rule after the other, so a new user sees
 * reminders without starting anything else. The rules' unique keys make each run idempotent.
 */
export function startReminderTimer(options: {
  db: Executor;
  logger: Logger;
  events?: EventBus | undefined;
  intervalMs: number;
}): ReminderTimer {
  let running: Promise<void> | null = null;
  let stopped = false;
  const runAll = async () => {
    for (const ruleCode of reminderRuleCodes) {
      if (stopped) return;
      const started = performance.now();
      try {
        const outcome = await runReminderTask(options.db, ruleCode, {}, options.events);
        options.logger.info(
          {
            job: 'reminder',
            rule: ruleCode,
            found: outcome.found,
            created: outcome.created,
            notified: outcome.notifications.length,
            ms: Math.round(performance.now() - started),
          },
          'reminder rule ran',
        );
      } catch (error) {
        options.logger.error({ job: 'reminder', rule: ruleCode, err: error }, 'reminder rule failed');
      }
    }
  };
  const tick = () => {
    if (stopped || running) return;
    running = runAll().finally(() => {
      running = null;
    });
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
