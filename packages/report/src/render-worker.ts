// One report's rendering in a process of its own (see isolated.ts): Vega, pdfkit and the CJK font
// load here, and their memory goes with the process when it ends.
import type { ReportDocument } from './document.ts';
import { type ReportFileFormat, renderReportFiles } from './render.ts';

process.once('message', (request: { document: ReportDocument; formats: ReportFileFormat[] }) => {
  renderReportFiles(request.document, request.formats, () => process.send?.({ step: 'render' })).then(
    (files) => process.send?.({ files }),
    (error: unknown) =>
      process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
