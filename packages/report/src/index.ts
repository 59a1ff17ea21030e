/**
 * The campaign progress report: composed from the schema's own fields (data.ts, compose.ts), rendered
 * to Markdown, HTML and PDF with charts (markdown.ts, html.ts, pdf.ts, charts.ts), and the monthly
 * reports the worker stores (monthly.ts). Shared by the API (its download route, CLI and
 * `campaignReport.markdown`) and the worker.
 */
export { type ReportRequest, resolveReportScope } from './data.ts';
export { figure, percent } from './document.ts';
export {
  type GeneratedReportFile,
  generatedReportPath,
  generateMonthlyReports,
  type MonthlyReportOutcome,
  readGeneratedReport,
} from './monthly.ts';
export {
  REPORT_CONTENT_TYPES,
  REPORT_STEPS,
  type ReportFileFormat,
  type ReportStep,
  reportWriter,
  writeReport,
  writeReportFiles,
} from './write.ts';
