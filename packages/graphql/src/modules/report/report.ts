import { sql } from 'drizzle-orm';
import { builder } from '../../builder.ts';
import { directorySubtree, pathWithin, type ReportScope } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { rowsOf } from '../common/rows.ts';
import { codeSchema } from '../common/validation.ts';
import { GranularityEnum } from '../metrics/metrics.ts';
import { parseReportPeriod } from './period.ts';

export const ReportFormat = builder.enumType('ReportFormat', {
  values: { MARKDOWN: { value: 'md' }, HTML: { value: 'html' }, PDF: { value: 'pdf' } } as const,
});

/**
 * Where a report is downloaded (GET, with the same credentials as /graphql). Written once here, so
 * the GraphQL field, the API's route and the SDK agree: `/reports/<campaign>/<unit>/<period>.<ext>`,
 * `?scope=unit` for the unit alone.
 */
export function reportDownloadPath(scope: Omit<ReportScope, 'orgName'>, extension: 'md' | 'html' | 'pdf'): string {
  const path = `/reports/${encodeURIComponent(scope.campaignCode)}/${encodeURIComponent(scope.orgCode)}/${encodeURIComponent(scope.period.label)}.${extension}`;
  return scope.includeDescendants ? path : `${path}?scope=unit`;
}

const ReportPeriodRef = builder.objectRef<ReportScope['period']>('ReportPeriod').implement({
  description: 'A report’s period: a month, quarter or year labelled like metricSeries’ periods, or a date range.',
  fields: (t) => ({
    label: t.exposeString('label', { description: '2012, 2012-Q1, 2012-03, or 2012-01-01..2012-03-31.' }),
    granularity: t.expose('granularity', {
      type: GranularityEnum,
      description: 'The granularity of the figures reported (MONTH for a range).',
    }),
    start: t.expose('start', { type: 'Date' }),
    end: t.expose('end', { type: 'Date', description: 'The last day of the period.' }),
  }),
});

const CampaignReport = builder.objectRef<ReportScope>('CampaignReport').implement({
  description:
    'The campaign progress report of a unit for a period, written from the same fields this API answers (organisation, study, activities, supervision, rectification, results).',
  fields: (t) => ({
    campaignCode: t.exposeString('campaignCode'),
    orgCode: t.exposeString('orgCode'),
    orgName: t.exposeString('orgName'),
    includeDescendants: t.exposeBoolean('includeDescendants'),
    period: t.field({ type: ReportPeriodRef, resolve: (report) => report.period }),
    markdown: t.string({
      description: 'The report as Markdown (Chinese); its charts are linked to the HTML download.',
      resolve: (report, _args, ctx) => {
        if (!ctx.reports) throw graphQLError('INTERNAL_SERVER_ERROR', 'This server does not write reports');
        return ctx.reports.markdown(report, ctx);
      },
    }),
    downloadUrl: t.string({
      description: 'The path of the report’s download on this server (GET with the same credentials).',
      args: { format: t.arg({ type: ReportFormat, defaultValue: 'pdf' }) },
      resolve: (report, args) => reportDownloadPath(report, args.format ?? 'pdf'),
    }),
  }),
});

interface ScopeRow {
  org_name: string | null;
  org_path: string | null;
  campaign_found: boolean;
}

builder.queryField('campaignReport', (t) =>
  t.field({
    type: CampaignReport,
    description:
      'The progress report of a unit (by default with the units below it) for a campaign and a period. A unit outside the caller’s subtree is FORBIDDEN: the report names its cadres. Checking costs one statement; `markdown` gathers the figures through this schema’s own fields.',
    authScopes: { directoryRead: true },
    args: {
      campaignCode: t.arg.string({ required: true, validate: codeSchema }),
      orgCode: t.arg.string({ required: true, validate: codeSchema }),
      period: t.arg.string({
        required: true,
        description: '2012 (year), 2012-Q1 (quarter), 2012-03 (month) or 2012-01-01..2012-03-31 (range).',
      }),
      includeDescendants: t.arg.boolean({ defaultValue: true }),
    },
    resolve: async (_root, args, ctx) => {
      const period = parseReportPeriod(args.period);
      const [row] = rowsOf<ScopeRow>(
        await ctx.db.execute(sql`
select (select name from organizations where code = ${args.orgCode}) as org_name,
       (select path::text from organizations where code = ${args.orgCode}) as org_path,
       exists (select 1 from campaigns where code = ${args.campaignCode}) as campaign_found`),
      );
      if (!row?.org_path || row.org_name == null)
        throw graphQLError('NOT_FOUND', `No unit has the code ${args.orgCode}`);
      if (!row.campaign_found) throw graphQLError('NOT_FOUND', `No campaign has the code ${args.campaignCode}`);
      if (!pathWithin(row.org_path, directorySubtree(ctx.viewer))) {
        throw graphQLError('FORBIDDEN', `${args.orgCode} is outside the units whose reports you may read`);
      }
      return {
        campaignCode: args.campaignCode,
        orgCode: args.orgCode,
        orgName: row.org_name,
        includeDescendants: args.includeDescendants ?? true,
        period,
      };
    },
  }),
);
