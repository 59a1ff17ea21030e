import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  snakeCase,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { users } from './access.ts';
import { cadres, organizations } from './directory.ts';

export const reminderRuleCodes = [
  'STUDY_CADRE_BEHIND',
  'STUDY_UNIT_COMPLIANCE',
  'PROBLEM_DEADLINE',
  'CADENCE_GAP',
  'LEADING_GROUP_MISSING',
] as const;
export type ReminderRuleCode = (typeof reminderRuleCodes)[number];
export const reminderRuleCode = pgEnum('reminder_rule_code', reminderRuleCodes);

export const reminderSubjectTypes = ['CADRE', 'ORGANIZATION', 'PROBLEM'] as const;
export type ReminderSubjectType = (typeof reminderSubjectTypes)[number];
export const reminderSubjectType = pgEnum('reminder_subject_type', reminderSubjectTypes);

/**
 * The thresholds of each reminder rule, as data an operator changes with SQL or the CLI rather than
 * constants in code. A rule without a row runs with the defaults the rules module writes here on
 * its first run.
 */
export const reminderRuleSettings = snakeCase.table('reminder_rule_settings', {
  ruleCode: reminderRuleCode().primaryKey(),
  enabled: boolean().notNull().default(true),
  thresholds: jsonb().notNull(),
  updatedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
});

/**
 * One reminder per rule, subject and period: the unique key makes a rerun, a retry or a second
 * worker create nothing new.
 */
export const reminders = snakeCase.table(
  'reminders',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    ruleCode: reminderRuleCode().notNull(),
    subjectType: reminderSubjectType().notNull(),
    subjectId: integer().notNull(),
    /** `2012-06` (a month), `2012-03-H2` (a half month), `OVERDUE:2012-03-31` (a deadline state). */
    periodKey: varchar({ length: 40 }).notNull(),
    campaignCode: varchar({ length: 64 }).notNull(),
    /** The unit the subject belongs to: whose managers hear of it, and which subtree may see it. */
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** The cadre the reminder is about or addressed to (the one behind, the one responsible), if any. */
    cadreId: integer().references(() => cadres.id, { onDelete: 'cascade' }),
    title: varchar({ length: 300 }).notNull(),
    details: jsonb().notNull(),
    isDemo: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex('reminders_rule_subject_period_key').on(t.ruleCode, t.subjectType, t.subjectId, t.periodKey),
    index('reminders_organization_idx').on(t.organizationId, t.id),
  ],
);

/** A reminder as one person's feed item; only the recipient ever reads it. */
export const notifications = snakeCase.table(
  'notifications',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    recipientUserId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    reminderId: bigint({ mode: 'number' })
      .notNull()
      .references(() => reminders.id, { onDelete: 'cascade' }),
    readAt: timestamp({ withTimezone: true, mode: 'string' }),
    createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex('notifications_reminder_recipient_key').on(t.reminderId, t.recipientUserId),
    index('notifications_recipient_idx').on(t.recipientUserId, t.id),
    index('notifications_unread_idx').on(t.recipientUserId).where(sql`${t.readAt} is null`),
  ],
);
