import { CHART_FONT } from './charts.ts';
import { contents, type RenderedCharts, type ReportDocument } from './document.ts';

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Inline only: the page loads nothing (closed networks). Chinese text uses the reader's CJK font.
const style = `
  @page { size: A4; margin: 18mm 16mm; }
  body { font-family: "${CHART_FONT}", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
         max-width: 190mm; margin: 2em auto; color: #222; line-height: 1.6; }
  h1 { font-size: 1.6em; margin-bottom: 0.2em; } .subtitle { color: #666; margin-top: 0; }
  h2 { border-bottom: 2px solid #c0392b; padding-bottom: 0.2em; margin-top: 1.6em; }
  table { border-collapse: collapse; margin: 0.6em 0 1em; width: 100%; font-size: 0.9em; }
  th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; } th { background: #f4f4f4; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  figure { margin: 1em 0; break-inside: avoid; } figure.half { display: inline-block; width: 48%; vertical-align: top; } figcaption { color: #666; font-size: 0.85em; }
  nav ol { padding-left: 1.4em; }
`;

/** A self-contained HTML page: styles and charts (SVG) inline, headings anchored for the table of contents. */
export function renderHtml(document: ReportDocument, charts: RenderedCharts): string {
  const headings = contents(document);
  const anchor = (text: string) => `section-${headings.indexOf(text) + 1}`;
  const body: string[] = [
    `<h1>${escapeHtml(document.title)}</h1>`,
    `<p class="subtitle">${escapeHtml(document.subtitle)}</p>`,
    `<nav><h2>目录</h2><ol>${headings.map((h) => `<li><a href="#${anchor(h)}">${escapeHtml(h)}</a></li>`).join('')}</ol></nav>`,
  ];
  for (const block of document.blocks) {
    switch (block.kind) {
      case 'heading':
        body.push(
          block.level === 2
            ? `<h2 id="${anchor(block.text)}">${escapeHtml(block.text)}</h2>`
            : `<h3>${escapeHtml(block.text)}</h3>`,
        );
        break;
      case 'paragraph':
        body.push(`<p>${escapeHtml(block.text)}</p>`);
        break;
      case 'list':
        body.push(`<ul>${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`);
        break;
      case 'table': {
        const head = block.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
        const rows = block.rows
          .map(
            (row) =>
              `<tr>${row.map((c, i) => `<td${block.numeric?.[i] ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`,
          )
          .join('');
        body.push(`<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`);
        break;
      }
      case 'chart':
        body.push(
          `<figure id="chart-${block.id}"${block.half ? ' class="half"' : ''}>${charts.get(block.id) ?? ''}<figcaption>${escapeHtml(block.title)}</figcaption></figure>`,
        );
        break;
    }
  }
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(document.title)}</title><style>${style}</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}
