import { sql } from 'drizzle-orm';
import { bigint, bytea, check, integer, snakeCase, timestamp, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { campaigns } from './campaign.ts';
import { organizations } from './directory.ts';

/** The files a stored report is kept as. */
export const generatedReportFormats = ['md', 'html', 'pdf'] as const;
export type GeneratedReportFormat = (typeof generatedReportFormats)[number];

/**
 * A campaign report written on a schedule (the worker's monthly job), kept as the file it was
 * served as: one row per campaign, unit, period and format. The unique key makes a rerun, a retry
 * or a second worker store nothing new (and so announce nothing twice).
 */
export const generatedReports = snakeCase.table(
  'generated_reports',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    campaignId: integer()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    /** The unit reported on, with the units below it. */
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** Labelled like metricSeries' periods: `2012-03`. */
    periodLabel: varchar({ length: 40 }).notNull(),
    format: varchar({ length: 8 }).$type<GeneratedReportFormat>().notNull(),
    content: bytea().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex('generated_reports_campaign_org_period_format_key').on(
      t.campaignId,
      t.organizationId,
      t.periodLabel,
      t.format,
    ),
    check('generated_reports_format_known', sql`${t.format} in ('md', 'html', 'pdf')`),
  ],
);
