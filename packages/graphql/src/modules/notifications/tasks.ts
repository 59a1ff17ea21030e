import { type Executor, type ReminderRuleCode, reminderRuleCodes } from '@sixtype/db';
import type { EventBus } from '../../context.ts';
import { publishNotifications, type ReminderRunOutcome, runReminderRule } from './reminders.service.ts';
import { reminderToday } from './today.ts';

/** The job engine's name of each rule's task (graphile-worker task identifiers). */
export const reminderTaskNames: Readonly<Record<ReminderRuleCode, string>> = Object.fromEntries(
  reminderRuleCodes.map((code) => [code, `reminder_${code.toLowerCase()}`]),
) as Record<ReminderRuleCode, string>;

export interface ReminderTaskPayload {
  /** The zone-time day to run for; today when absent. */
  today?: string;
}

/**
 * Runs one reminder rule as a job: the same function under graphile-worker on PostgreSQL and under
 * the API's timer on the embedded database. Notifications are announced after the rule's
 * transaction committed.
 */
export async function runReminderTask(
  db: Executor,
  ruleCode: ReminderRuleCode,
  payload: ReminderTaskPayload,
  events?: EventBus,
): Promise<ReminderRunOutcome> {
  const today =
    typeof payload.today === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(payload.today) ? payload.today : reminderToday();
  const outcome = await runReminderRule(db, ruleCode, { today });
  publishNotifications(events, outcome);
  return outcome;
}
