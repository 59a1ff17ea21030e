import {
  type AuditActor,
  today as clockToday,
  type Database,
  type Executor,
  type GeneratedReportFormat,
  generatedReportFormats,
  generatedReports,
  writeAuditEvent,
} from '@sixtype/db';
import { enqueueWebhookEvents, type GraphQLContext, rowsOf } from '@sixtype/graphql';
import { sql } from 'drizzle-orm';
import { resolveReportScope } from './data.ts';
import { writeReportFiles } from './write.ts';

/** Who writes the monthly reports, in the audit log and as the viewer the figures are read with. */
const ACTOR: AuditActor = { kind: 'SYSTEM', id: 'report.monthly' };

/**
 * Where a stored report is downloaded (GET, with the same credentials and subtree rules as the live
 * `/reports/…` route): `/reports/generated/<campaign>/<unit>/<period>.<md|html|pdf>`.
 */
export function generatedReportPath(
  campaignCode: string,
  orgCode: string,
  period: string,
  format: GeneratedReportFormat,
): string {
  const part = encodeURIComponent;
  return `/reports/generated/${part(campaignCode)}/${part(orgCode)}/${part(period)}.${format}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The calendar month before the one `day` (YYYY-MM-DD) falls in. */
function monthBefore(day: string): { label: string; start: string; end: string } {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  const [y, m] = month === 1 ? [year - 1, 12] : [year, month - 1];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { label: `${y}-${pad(m)}`, start: `${y}-${pad(m)}-01`, end: `${y}-${pad(m)}-${pad(last)}` };
}

interface DueRow {
  campaign_id: number;
  campaign_code: string;
  organization_id: number;
  org_code: string;
}

/**
 * The campaigns running in the month with the units their reports are written for, less those
 * already stored: a campaign's root units are those of its leading groups with no leading group of
 * the campaign above them (the zone's for the demo campaign); a campaign without leading groups is
 * reported for the root of the tree.
 */
function dueReportsSql(month: { label: string; start: string; end: string }) {
  return sql`
select c.id as campaign_id, c.code as campaign_code, o.id as organization_id, o.code as org_code
from campaigns c
cross join lateral (
  select o.id, o.code, o.path from organizations o
  where exists (select 1 from leading_groups g where g.campaign_id = c.id and g.organization_id = o.id)
    and not exists (
      select 1 from leading_groups g join organizations above on above.id = g.organization_id
      where g.campaign_id = c.id and above.path @> o.path and above.id <> o.id)
  union all
  select o.id, o.code, o.path from organizations o
  where o.parent_id is null and not exists (select 1 from leading_groups g where g.campaign_id = c.id)
) o
where (c.starts_on is null or c.starts_on <= ${month.end}::date)
  and (c.ends_on is null or c.ends_on >= ${month.start}::date)
  and not exists (
    select 1 from generated_reports r
    where r.campaign_id = c.id and r.organization_id = o.id and r.period_label = ${month.label})
order by c.code, o.path`;
}

export interface MonthlyReportOutcome {
  /** The month reported, `2012-03`. */
  period: string;
  /** The reports stored by this run (each announced by one `report.ready` event). */
  written: { campaignCode: string; orgCode: string }[];
}

/**
 * The monthly job: for every campaign running in the month before `today` (the shared clock's day
 * in the installation's zone unless given), writes the report of that calendar month for the
 * campaign's root unit with its subtree, stores it as Markdown, HTML and PDF, and enqueues one
 * `report.ready` webhook event in the same transaction. A report already stored is neither written
 * again nor announced again; two runs at once store and announce it once (the unique key of
 * `generated_reports` serializes them, and only the run whose insert wrote rows sends the event).
 */
export async function generateMonthlyReports(
  db: Executor,
  options: { today?: string } = {},
): Promise<MonthlyReportOutcome> {
  const month = monthBefore(options.today ?? clockToday());
  const rows = rowsOf<DueRow>(await db.execute(dueReportsSql(month)));
  const context: GraphQLContext = { db, viewer: { kind: 'SYSTEM', name: ACTOR.id ?? 'report' }, requestId: 'report' };
  const written: MonthlyReportOutcome['written'] = [];
  for (const row of rows) {
    const scope = await resolveReportScope(
      { campaignCode: row.campaign_code, orgCode: row.org_code, period: month.label, includeDescendants: true },
      context,
    );
    const files = await writeReportFiles(scope, context, generatedReportFormats);
    const stored = await (db as Database).transaction(async (tx) => {
      const inserted = await tx
        .insert(generatedReports)
        .values(
          generatedReportFormats.map((format) => {
            const body = files.get(format) ?? '';
            return {
              campaignId: row.campaign_id,
              organizationId: row.organization_id,
              periodLabel: month.label,
              format,
              content: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
            };
          }),
        )
        .onConflictDoNothing()
        .returning({ id: generatedReports.id, format: generatedReports.format });
      if (inserted.length === 0) return false;
      const downloads = Object.fromEntries(
        generatedReportFormats.map((format) => [
          format,
          generatedReportPath(row.campaign_code, row.org_code, month.label, format),
        ]),
      ) as Record<GeneratedReportFormat, string>;
      await writeAuditEvent(tx, ACTOR, {
        operation: 'generateMonthlyReport',
        entityType: 'GeneratedReport',
        entityId: inserted[0]?.id ?? 0,
        after: {
          campaignCode: row.campaign_code,
          orgCode: row.org_code,
          period: month.label,
          reports: inserted,
        },
      });
      await enqueueWebhookEvents(tx, [
        {
          type: 'REPORT_READY',
          organizationId: row.organization_id,
          // The outbox statement adds campaignCode and organizationCode.
          campaignId: row.campaign_id,
          data: {
            period: month.label,
            periodStart: month.start,
            periodEnd: month.end,
            organizationName: scope.orgName,
            includeDescendants: true,
            downloadUrl: downloads.pdf,
            downloads,
          },
        },
      ]);
      return true;
    });
    if (stored) written.push({ campaignCode: row.campaign_code, orgCode: row.org_code });
  }
  return { period: month.label, written };
}

export interface GeneratedReportFile {
  content: Buffer;
  createdAt: string;
}

/** A stored report's file, or undefined when none was stored for that campaign, unit, period and format. */
export async function readGeneratedReport(
  db: Executor,
  key: { campaignCode: string; orgCode: string; period: string; format: GeneratedReportFormat },
): Promise<GeneratedReportFile | undefined> {
  const [row] = rowsOf<{ content: Uint8Array | string; created_at: string }>(
    await db.execute(sql`
select r.content, r.created_at::text as created_at from generated_reports r
join campaigns c on c.id = r.campaign_id
join organizations o on o.id = r.organization_id
where c.code = ${key.campaignCode} and o.code = ${key.orgCode}
  and r.period_label = ${key.period} and r.format = ${key.format}`),
  );
  if (!row) return undefined;
  return { content: bytesOf(row.content), createdAt: row.created_at };
}

/** node-postgres answers a bytea as a Buffer, PGlite as a Uint8Array; raw text is its `\x` hex form. */
function bytesOf(value: Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value.replace(/^\\x/, ''), 'hex');
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
