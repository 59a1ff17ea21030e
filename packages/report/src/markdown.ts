import { contents, type RenderedCharts, type ReportDocument } from './document.ts';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** GitHub-style anchor of a heading: what a Markdown viewer links `#…` to. */
export const anchorOf = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s+/g, '-');

/**
 * The report as Markdown. Charts are links to the HTML download (which holds them inline) unless
 * their SVG is given, then they are embedded as data: images so the file stands alone.
 */
export function renderMarkdown(document: ReportDocument, charts?: RenderedCharts): string {
  const lines: string[] = [`# ${document.title}`, '', document.subtitle, '', '## 目录', ''];
  for (const heading of contents(document)) lines.push(`- [${heading}](#${anchorOf(heading)})`);
  lines.push('');
  for (const block of document.blocks) {
    switch (block.kind) {
      case 'heading':
        lines.push(`${'#'.repeat(block.level)} ${block.text}`, '');
        break;
      case 'paragraph':
        lines.push(block.text, '');
        break;
      case 'list':
        for (const item of block.items) lines.push(`- ${item}`);
        lines.push('');
        break;
      case 'table': {
        const align = block.columns.map((_, i) => (block.numeric?.[i] ? '---:' : '---'));
        lines.push(`| ${block.columns.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`);
        for (const row of block.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
        lines.push('');
        break;
      }
      case 'chart': {
        const svg = charts?.get(block.id);
        lines.push(
          svg
            ? `![${block.title}](data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')})`
            : `[图表：${block.title}](${document.chartsHref}#chart-${block.id})`,
          '',
        );
        break;
      }
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
