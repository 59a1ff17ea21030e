import {
  type Database,
  type Executor,
  type ReminderRuleCode,
  reminderRuleCodes,
  reminderRuleSettings,
  reminders,
} from '@sixtype/db';
import { sql } from 'drizzle-orm';
import type { EventBus, NotificationAddedEvent } from '../../context.ts';
import { rowsOf } from '../common/rows.ts';
import { enqueueWebhookEvents } from '../webhooks/webhooks.service.ts';
import { type ReminderCandidate, ruleFinders, ruleThresholds } from './rules.ts';

export interface ReminderRunOptions {
  /** The zone-time day the rule runs for (YYYY-MM-DD). */
  today: string;
  /** Marks what this run creates as demo data. */
  demo?: boolean;
}

export interface ReminderRunOutcome {
  ruleCode: ReminderRuleCode;
  /** Reminders the rule found, new or not. */
  found: number;
  /** Reminders this run created (0 on a rerun: the unique key holds). */
  created: number;
  notifications: NotificationAddedEvent[];
  /** The rule is switched off in reminder_rule_settings. */
  skipped: boolean;
}

/** Writes the default thresholds of rules without a settings row, so they are data from the first run on. */
export async function ensureRuleSettings(db: Executor): Promise<void> {
  await db
    .insert(reminderRuleSettings)
    .values(reminderRuleCodes.map((ruleCode) => ({ ruleCode, thresholds: ruleThresholds[ruleCode].defaults })))
    .onConflictDoNothing();
}

async function settingsOf(db: Executor, ruleCode: ReminderRuleCode) {
  await ensureRuleSettings(db);
  const [row] = await db.select().from(reminderRuleSettings).where(sql`${reminderRuleSettings.ruleCode} = ${ruleCode}`);
  const parsed = ruleThresholds[ruleCode].schema.safeParse(row?.thresholds ?? {});
  if (!parsed.success) {
    throw new Error(`reminder_rule_settings.thresholds of ${ruleCode} is invalid: ${parsed.error.message}`);
  }
  return { enabled: row?.enabled ?? true, thresholds: parsed.data };
}

/**
 * The recipients of new reminders, one statement: the cadre concerned, the managers of the unit and
 * of every unit above it, and the managers of the offices of the campaign's leading groups above it
 * (the campaign office, 创建办公室). Disabled accounts receive nothing.
 */
async function notifyRecipients(tx: Executor, reminderIds: number[]): Promise<NotificationAddedEvent[]> {
  if (reminderIds.length === 0) return [];
  return rowsOf<NotificationAddedEvent>(
    await tx.execute(sql`
insert into notifications (recipient_user_id, reminder_id)
select distinct u.id, r.id
from reminders r
join organizations subject_unit on subject_unit.id = r.organization_id
join users u on u.disabled_at is null and (
  (r.cadre_id is not null and u.cadre_id = r.cadre_id)
  or (u.role = 'ORG_MANAGER' and (
    u.organization_id in (select above.id from organizations above where above.path @> subject_unit.path)
    or u.organization_id in (
      select g.office_organization_id from leading_groups g
      join campaigns c on c.id = g.campaign_id
      join organizations group_unit on group_unit.id = g.organization_id
      where c.code = r.campaign_code and group_unit.path @> subject_unit.path))))
where r.id in (${sql.join(
      reminderIds.map((id) => sql`${id}`),
      sql`, `,
    )})
on conflict do nothing
returning id as "notificationId", recipient_user_id as "recipientUserId", reminder_id as "reminderId"`),
  ).map((row) => ({ ...row, notificationId: Number(row.notificationId), reminderId: Number(row.reminderId) }));
}

/**
 * Records what a rule found in one transaction: the reminders whose key is new, and their
 * notifications. A key that exists (a rerun, a retry, another worker) creates nothing; when two
 * workers insert the same key at once, the unique index makes the second wait and then skip it.
 */
export async function recordReminders(
  db: Executor,
  candidates: readonly ReminderCandidate[],
  options: { demo?: boolean } = {},
): Promise<{ created: number; notifications: NotificationAddedEvent[] }> {
  if (candidates.length === 0) return { created: 0, notifications: [] };
  // One order everywhere, so two transactions inserting the same keys never wait on each other in a cycle.
  const sorted = [...candidates].sort(
    (a, b) =>
      a.ruleCode.localeCompare(b.ruleCode) ||
      a.subjectType.localeCompare(b.subjectType) ||
      a.subjectId - b.subjectId ||
      a.periodKey.localeCompare(b.periodKey),
  );
  return (db as Database).transaction(async (tx) => {
    const inserted = await tx
      .insert(reminders)
      .values(sorted.map((candidate) => ({ ...candidate, isDemo: options.demo ?? false })))
      .onConflictDoNothing()
      .returning();
    await enqueueWebhookEvents(
      tx,
      inserted.map((reminder) => ({
        type: 'REMINDER_CREATED',
        organizationId: reminder.organizationId,
        data: {
          reminderId: reminder.id,
          rule: reminder.ruleCode,
          subjectType: reminder.subjectType,
          subjectId: reminder.subjectId,
          period: reminder.periodKey,
          campaignCode: reminder.campaignCode,
          title: reminder.title,
          details: reminder.details,
          isDemo: reminder.isDemo,
          createdAt: reminder.createdAt,
        },
      })),
    );
    const notifications = await notifyRecipients(
      tx,
      inserted.map((row) => row.id),
    );
    return { created: inserted.length, notifications };
  });
}

/** Runs one rule for one day: the task function both the worker and the API's timer call. */
export async function runReminderRule(
  db: Executor,
  ruleCode: ReminderRuleCode,
  options: ReminderRunOptions,
): Promise<ReminderRunOutcome> {
  const settings = await settingsOf(db, ruleCode);
  if (!settings.enabled) return { ruleCode, found: 0, created: 0, notifications: [], skipped: true };
  const candidates = await ruleFinders[ruleCode](db, options.today, settings.thresholds as never);
  const { created, notifications } = await recordReminders(db, candidates, options);
  return { ruleCode, found: candidates.length, created, notifications, skipped: false };
}

/** Announces new notifications to their recipients' subscriptions (after the transaction committed). */
export function publishNotifications(
  events: EventBus | undefined,
  outcome: { notifications: NotificationAddedEvent[] },
) {
  if (!events) return;
  for (const notification of outcome.notifications) events.publish('notificationAdded', notification);
}

/** Reminders by rule, every rule named (0 when it found nothing yet), for /metrics. */
export async function reminderCountsByRule(db: Executor): Promise<Record<ReminderRuleCode, number>> {
  const rows = await db
    .select({ rule: reminders.ruleCode, n: sql<number>`count(*)`.mapWith(Number) })
    .from(reminders)
    .groupBy(reminders.ruleCode);
  const counts = Object.fromEntries(reminderRuleCodes.map((code) => [code, 0])) as Record<ReminderRuleCode, number>;
  for (const row of rows) counts[row.rule] = row.n;
  return counts;
}

/** How many reminders carry the demo mark; the demo run happens once per database. */
export async function demoReminderCount(db: Executor): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(reminders)
    .where(sql`${reminders.isDemo}`);
  return row?.n ?? 0;
}

/** The demo zone's day for its reminders: the day after Q1 2012, when the document's figures stand. */
export const DEMO_REMINDER_DAY = '2012-04-01';

/**
 * Gives the demo zone reminders to show (a lagging cadre, overdue problems, the missed dispatch
 * meeting of late March), marked demo: every rule run once for DEMO_REMINDER_DAY. Runs only on a
 * database whose demo data was loaded and that has no demo reminders yet.
 */
export async function loadDemoReminders(db: Executor): Promise<number> {
  if ((await demoReminderCount(db)) > 0) return 0;
  let created = 0;
  for (const ruleCode of reminderRuleCodes) {
    created += (await runReminderRule(db, ruleCode, { today: DEMO_REMINDER_DAY, demo: true })).created;
  }
  return created;
}
