import { type GraphQLContext, type ReportScope, type ReportWriter, reportDownloadPath } from '@sixtype/graphql';
import { composeReport } from './compose.ts';
import { gatherReportData } from './data.ts';
import { openRenderer } from './isolated.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportFileFormat } from './render.ts';

export type { ReportFileFormat } from './render.ts';

export const REPORT_CONTENT_TYPES: Record<ReportFileFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** The steps a report goes through, for the CLI's progress bar. */
export const REPORT_STEPS = ['campaign', 'metrics', 'rankings', 'charts', 'render'] as const;
export type ReportStep = (typeof REPORT_STEPS)[number];

/**
 * Writes the report of `scope` (already checked by resolveReportScope) in one format, from figures
 * gathered afresh through the schema with the caller's context: no cache, so a corrected
 * observation shows in the next report.
 */
export async function writeReport(
  scope: ReportScope,
  context: GraphQLContext,
  format: ReportFileFormat,
  onStep: (step: ReportStep) => void = () => {},
): Promise<string | Buffer> {
  const files = await writeReportFiles(scope, context, [format], onStep);
  return files.get(format) as string | Buffer;
}

/**
 * The report of `scope` in several formats from one gathering of its figures and one rendering of
 * its charts (what the monthly job stores).
 */
export async function writeReportFiles(
  scope: ReportScope,
  context: GraphQLContext,
  formats: readonly ReportFileFormat[],
  onStep: (step: ReportStep) => void = () => {},
): Promise<Map<ReportFileFormat, string | Buffer>> {
  const renderer = openRenderer();
  try {
    const data = await gatherReportData(scope, context, (step) => onStep(step as ReportStep));
    const document = composeReport(data, reportDownloadPath(scope, 'html'));
    onStep('charts');
    return await renderer.render(document, formats, () => onStep('render'));
  } finally {
    renderer.close();
  }
}

/** What the schema's `campaignReport.markdown` calls: charts linked to the HTML download, not rendered. */
export const reportWriter: ReportWriter = {
  async markdown(scope, context) {
    const data = await gatherReportData(scope, context);
    return renderMarkdown(composeReport(data, reportDownloadPath(scope, 'html')));
  },
};
