import { renderChartSvg } from './chart-svg.ts';
import type { RenderedCharts, ReportDocument } from './document.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { renderPdf } from './pdf.ts';

export type ReportFileFormat = 'md' | 'html' | 'pdf';

async function renderCharts(document: ReportDocument): Promise<RenderedCharts> {
  const blocks = document.blocks.filter((block) => block.kind === 'chart');
  const svgs = await Promise.all(blocks.map((block) => renderChartSvg(block.spec)));
  return new Map(blocks.map((block, i) => [block.id, svgs[i] as string]));
}

/** A composed report's charts and files, in this process (render-worker.ts runs it in a process of its own). */
export async function renderReportFiles(
  document: ReportDocument,
  formats: readonly ReportFileFormat[],
  onChartsRendered: () => void = () => {},
): Promise<Map<ReportFileFormat, string | Uint8Array>> {
  const charts = await renderCharts(document);
  onChartsRendered();
  const files = new Map<ReportFileFormat, string | Uint8Array>();
  for (const format of formats) {
    if (format === 'md') files.set(format, renderMarkdown(document, charts));
    else if (format === 'html') files.set(format, renderHtml(document, charts));
    else files.set(format, await renderPdf(document, charts));
  }
  return files;
}
