import type { Executor, ReminderRuleCode, ReminderSubjectType } from '@sixtype/db';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { cadenceGapsSql } from '../campaign/cadence.sql.ts';
import { organizationsWithoutLeadingGroupSql } from '../campaign/campaign.service.ts';
import { rowsOf } from '../common/rows.ts';
import { complianceRowsSql, organizationComplianceSql } from '../study/compliance.sql.ts';
import { addDays, previousMonth } from './today.ts';

/** A reminder a rule found; recorded once per (rule, subject, period). */
export interface ReminderCandidate {
  ruleCode: ReminderRuleCode;
  subjectType: ReminderSubjectType;
  subjectId: number;
  periodKey: string;
  campaignCode: string;
  organizationId: number;
  cadreId: number | null;
  title: string;
  details: Record<string, unknown>;
}

const decimalText = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^\d+(\.\d+)?$/));

/**
 * Each rule's thresholds, validated when read from reminder_rule_settings, and the defaults
 * written there on the first run (README lists them).
 */
export const ruleThresholds = {
  STUDY_CADRE_BEHIND: {
    schema: z.object({ minCharactersBehind: z.number().int().min(1), minHoursBehind: decimalText }),
    defaults: { minCharactersBehind: 1, minHoursBehind: '1' },
  },
  STUDY_UNIT_COMPLIANCE: {
    schema: z.object({ minComplianceRate: decimalText }),
    defaults: { minComplianceRate: '0.6' },
  },
  PROBLEM_DEADLINE: {
    schema: z.object({ dueWithinDays: z.number().int().min(0).max(365) }),
    defaults: { dueWithinDays: 7 },
  },
  CADENCE_GAP: {
    schema: z.object({ lookbackDays: z.number().int().min(1).max(366) }),
    defaults: { lookbackDays: 45 },
  },
  LEADING_GROUP_MISSING: {
    schema: z.object({}),
    defaults: {},
  },
} as const satisfies Record<ReminderRuleCode, { schema: z.ZodType; defaults: object }>;

export type RuleThresholds<R extends ReminderRuleCode> = z.output<(typeof ruleThresholds)[R]['schema']>;

interface RunningCampaign {
  code: string;
  startsOn: string | null;
}

/** Campaigns running on `day` (no dates: always running). */
async function campaignsRunningOn(db: Executor, day: string): Promise<RunningCampaign[]> {
  return rowsOf<RunningCampaign>(
    await db.execute(sql`
select code, starts_on::text as "startsOn" from campaigns
where (starts_on is null or starts_on <= ${day}::date) and (ends_on is null or ends_on >= ${day}::date)
order by code`),
  );
}

/** A cadre behind the year's quota pro rata to the end of last month (characters, or hours). */
async function studyCadreBehind(
  db: Executor,
  today: string,
  t: RuleThresholds<'STUDY_CADRE_BEHIND'>,
): Promise<ReminderCandidate[]> {
  const month = previousMonth(today);
  const year = Number(month.lastDay.slice(0, 4));
  const out: ReminderCandidate[] = [];
  for (const campaign of await campaignsRunningOn(db, month.lastDay)) {
    const rows = rowsOf<{
      cadreId: number;
      organizationId: number;
      name: string;
      charactersBehind: number;
      hoursBehind: string | null;
      expectedCharacters: number;
      noteCharacters: number;
    }>(
      await db.execute(sql`
select x."cadreId", x."organizationId", c.name, x."charactersBehind", x."hoursBehind",
       x."expectedCharacters", x."noteCharacters"
from (${complianceRowsSql({ campaignCode: campaign.code, year, asOfDate: month.lastDay }, sql`true`)}) x
join cadres c on c.id = x."cadreId"
where x."charactersBehind" >= ${t.minCharactersBehind}
   or coalesce(x."hoursBehind"::numeric, 0) >= ${t.minHoursBehind}::numeric
order by x."cadreId"`),
    );
    for (const row of rows) {
      out.push({
        ruleCode: 'STUDY_CADRE_BEHIND',
        subjectType: 'CADRE',
        subjectId: row.cadreId,
        periodKey: month.label,
        campaignCode: campaign.code,
        organizationId: row.organizationId,
        cadreId: row.cadreId,
        title: `${row.name}: ${row.charactersBehind} characters behind the study quota at the end of ${month.label}`,
        details: {
          asOfDate: month.lastDay,
          noteCharacters: row.noteCharacters,
          expectedCharacters: row.expectedCharacters,
          charactersBehind: row.charactersBehind,
          hoursBehind: row.hoursBehind,
        },
      });
    }
  }
  return out;
}

/** A unit (its subtree rolled up) whose study compliance rate at the end of last month is below the threshold. */
async function studyUnitCompliance(
  db: Executor,
  today: string,
  t: RuleThresholds<'STUDY_UNIT_COMPLIANCE'>,
): Promise<ReminderCandidate[]> {
  const month = previousMonth(today);
  const year = Number(month.lastDay.slice(0, 4));
  const out: ReminderCandidate[] = [];
  for (const campaign of await campaignsRunningOn(db, month.lastDay)) {
    const query = { campaignCode: campaign.code, year, asOfDate: month.lastDay, parentOrgCode: null };
    const rows = rowsOf<{ organizationId: number; orgName: string; cadres: number; complianceRate: string }>(
      await db.execute(sql`
select u."organizationId", u."orgName", u.cadres, u."complianceRate"
from (${organizationComplianceSql(query)}) u
where u."complianceRate" is not null and u."complianceRate"::numeric < ${t.minComplianceRate}::numeric
order by u."organizationId"`),
    );
    for (const row of rows) {
      out.push({
        ruleCode: 'STUDY_UNIT_COMPLIANCE',
        subjectType: 'ORGANIZATION',
        subjectId: row.organizationId,
        periodKey: month.label,
        campaignCode: campaign.code,
        organizationId: row.organizationId,
        cadreId: null,
        title: `${row.orgName}: study compliance ${row.complianceRate} at the end of ${month.label}, below ${t.minComplianceRate}`,
        details: { asOfDate: month.lastDay, cadres: row.cadres, complianceRate: row.complianceRate },
      });
    }
  }
  return out;
}

/** A problem not closed whose deadline has passed, or falls within the next N days. */
async function problemDeadline(
  db: Executor,
  today: string,
  t: RuleThresholds<'PROBLEM_DEADLINE'>,
): Promise<ReminderCandidate[]> {
  const horizon = addDays(today, t.dueWithinDays);
  const rows = rowsOf<{
    id: number;
    organizationId: number;
    responsibleCadreId: number | null;
    campaignCode: string;
    deadline: string;
    state: string;
    description: string;
  }>(
    await db.execute(sql`
select p.id, p.organization_id as "organizationId", p.responsible_cadre_id as "responsibleCadreId",
       c.code as "campaignCode", p.deadline::text as deadline, p.state::text as state, p.description
from problems p join campaigns c on c.id = p.campaign_id
where p.state <> 'CLOSED' and p.deadline is not null and p.deadline <= ${horizon}::date
  and (c.starts_on is null or c.starts_on <= ${today}::date) and (c.ends_on is null or c.ends_on >= ${today}::date)
order by p.id`),
  );
  return rows.map((row) => {
    const overdue = row.deadline < today;
    return {
      ruleCode: 'PROBLEM_DEADLINE' as const,
      subjectType: 'PROBLEM' as const,
      subjectId: row.id,
      // A moved deadline is a new period: the reminder follows the deadline, not the problem alone.
      periodKey: `${overdue ? 'OVERDUE' : 'DUE'}:${row.deadline}`,
      campaignCode: row.campaignCode,
      organizationId: row.organizationId,
      cadreId: row.responsibleCadreId,
      title: `${overdue ? 'Overdue since' : 'Due on'} ${row.deadline}: ${row.description.slice(0, 200)}`,
      details: { problemId: row.id, deadline: row.deadline, state: row.state, overdue },
    };
  });
}

/**
 * A half month without its dispatch meeting, a month without its inspection, from the day after the
 * period ends, for each unit that runs a leading group's office (its subtree's activities count).
 */
async function cadenceGap(db: Executor, today: string, t: RuleThresholds<'CADENCE_GAP'>): Promise<ReminderCandidate[]> {
  const yesterday = addDays(today, -1);
  const out: ReminderCandidate[] = [];
  for (const campaign of await campaignsRunningOn(db, yesterday)) {
    const offices = rowsOf<{ id: number; code: string; name: string }>(
      await db.execute(sql`
select distinct o.id, o.code, o.name from leading_groups g
join campaigns c on c.id = g.campaign_id
join organizations o on o.id = coalesce(g.office_organization_id, g.organization_id)
where c.code = ${campaign.code} and g.office_organization_id is not null
order by o.id`),
    );
    let from = addDays(today, -t.lookbackDays);
    if (campaign.startsOn && campaign.startsOn > from) from = campaign.startsOn;
    if (from > yesterday) continue;
    for (const office of offices) {
      const gaps = rowsOf<{ activity_kind: string; period_start: string; period_end: string; label: string }>(
        await db.execute(
          cadenceGapsSql({
            campaignCode: campaign.code,
            orgCode: office.code,
            includeDescendants: true,
            from,
            to: yesterday,
          }),
        ),
      );
      for (const gap of gaps) {
        // Reported once the period is over; periods overlapping `from` whole are still reported.
        if (gap.period_end >= today) continue;
        out.push({
          ruleCode: 'CADENCE_GAP',
          subjectType: 'ORGANIZATION',
          subjectId: office.id,
          periodKey: `${gap.activity_kind}:${gap.label}`,
          campaignCode: campaign.code,
          organizationId: office.id,
          cadreId: null,
          title: `${office.name}: no ${gap.activity_kind === 'DISPATCH_MEETING' ? 'dispatch meeting' : 'inspection'} in ${gap.label} (${gap.period_start} – ${gap.period_end})`,
          details: {
            activityKind: gap.activity_kind,
            periodStart: gap.period_start,
            periodEnd: gap.period_end,
            label: gap.label,
          },
        });
      }
    }
  }
  return out;
}

/** A unit without its own leading group for a running campaign, reminded once a month. */
async function leadingGroupMissing(db: Executor, today: string): Promise<ReminderCandidate[]> {
  const out: ReminderCandidate[] = [];
  for (const campaign of await campaignsRunningOn(db, today)) {
    const rows = rowsOf<{ id: number; code: string; name: string }>(
      await db.execute(organizationsWithoutLeadingGroupSql(campaign.code, sql`true`)),
    );
    for (const row of rows) {
      out.push({
        ruleCode: 'LEADING_GROUP_MISSING',
        subjectType: 'ORGANIZATION',
        subjectId: row.id,
        periodKey: today.slice(0, 7),
        campaignCode: campaign.code,
        organizationId: row.id,
        cadreId: null,
        title: `${row.name}: no leading group for ${campaign.code} yet`,
        details: { orgCode: row.code },
      });
    }
  }
  return out;
}

type RuleFinder = (db: Executor, today: string, thresholds: never) => Promise<ReminderCandidate[]>;

/** What each rule looks for; the thresholds arrive validated against `ruleThresholds`. */
export const ruleFinders: Record<ReminderRuleCode, RuleFinder> = {
  STUDY_CADRE_BEHIND: studyCadreBehind,
  STUDY_UNIT_COMPLIANCE: studyUnitCompliance,
  PROBLEM_DEADLINE: problemDeadline,
  CADENCE_GAP: cadenceGap,
  LEADING_GROUP_MISSING: leadingGroupMissing,
};
