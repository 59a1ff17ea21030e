import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { contents, type RenderedCharts, type ReportDocument } from './document.ts';

// Noto Sans SC (GB 2312 repertoire, OFL-1.1) as OpenType/CFF from an npm package: pdfkit embeds a
// subset of the glyphs used, with a ToUnicode map, so the text extracts as the same characters.
const fontsFolder = join(dirname(createRequire(import.meta.url).resolve('@embedpdf/fonts-sc')), '..', 'fonts');
export const PDF_FONTS = {
  regular: join(fontsFolder, 'NotoSansHans-Regular.otf'),
  bold: join(fontsFolder, 'NotoSansHans-Bold.otf'),
};

const MARGIN = 56;
const FOOTER = 28;
const colors = { text: '#222222', muted: '#666666', rule: '#c0392b', grid: '#bbbbbb', head: '#f1f1f1' };

/** How wide a text is in em: CJK and full-width characters count double, for column widths. */
function textUnits(text: string): number {
  let units = 0;
  for (const character of text) units += /[\u1100-\uffff]/u.test(character) ? 2 : 1;
  return units;
}

type Doc = PDFKit.PDFDocument;

/** Gives `extra` to the columns marked, in proportion to their width (text columns, not figures). */
function spread(widths: number[], extra: number, takes: boolean[]): number[] {
  const share = widths.reduce((sum, w, i) => sum + (takes[i] ? w : 0), 0);
  if (share === 0) return widths.map((w) => w + extra / widths.length);
  return widths.map((w, i) => (takes[i] ? w + (w / share) * extra : w));
}

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > doc.page.height - MARGIN - FOOTER) doc.addPage();
}

function drawTable(doc: Doc, columns: string[], rows: string[][], numeric: boolean[] = []): void {
  const width = doc.page.width - MARGIN * 2;
  const fontSize = columns.length > 6 ? 8 : 9;
  const padding = 3;
  // Columns get their header's width (at least 4 em) first; the rest of the line goes to the
  // columns whose cells are longer than that, in proportion to how much longer.
  const em = fontSize * 0.62;
  const natural = columns.map(
    (column, i) =>
      Math.min(44, Math.max(textUnits(column), 4, ...rows.map((row) => textUnits(row[i] ?? '')))) * em +
      padding * 2 +
      1,
  );
  const floor = columns.map((column, i) =>
    Math.min(natural[i] ?? 0, Math.max(textUnits(column), 4) * em + padding * 2 + 1),
  );
  const naturalTotal = natural.reduce((sum, w) => sum + w, 0);
  const floorTotal = floor.reduce((sum, w) => sum + w, 0);
  const widths =
    naturalTotal <= width
      ? spread(
          natural,
          width - naturalTotal,
          columns.map((_, i) => !numeric[i]),
        )
      : natural.map((w, i) => {
          const min = floor[i] ?? 0;
          return min + ((w - min) / (naturalTotal - floorTotal || 1)) * Math.max(0, width - floorTotal);
        });
  const rowHeight = (cells: string[], bold: boolean) => {
    doc.font(bold ? 'cjk-bold' : 'cjk').fontSize(fontSize);
    return (
      Math.max(...cells.map((text, i) => doc.heightOfString(text, { width: (widths[i] ?? 0) - padding * 2 }))) +
      padding * 2
    );
  };
  const drawRow = (cells: string[], header: boolean) => {
    const height = rowHeight(cells, header);
    const top = doc.y;
    let x = MARGIN;
    cells.forEach((text, i) => {
      const cellWidth = widths[i] ?? 0;
      if (header) doc.rect(x, top, cellWidth, height).fill(colors.head);
      doc.rect(x, top, cellWidth, height).lineWidth(0.5).stroke(colors.grid);
      doc
        .fillColor(colors.text)
        .font(header ? 'cjk-bold' : 'cjk')
        .fontSize(fontSize)
        .text(text, x + padding, top + padding, {
          width: cellWidth - padding * 2,
          align: !header && numeric[i] ? 'right' : 'left',
          lineBreak: true,
        });
      x += cellWidth;
    });
    doc.x = MARGIN;
    doc.y = top + height;
  };
  ensureSpace(doc, rowHeight(columns, true) + (rows[0] ? rowHeight(rows[0], false) : 0));
  drawRow(columns, true);
  for (const row of rows) {
    const height = rowHeight(row, false);
    if (doc.y + height > doc.page.height - MARGIN - FOOTER) {
      doc.addPage();
      drawRow(columns, true);
    }
    drawRow(row, false);
  }
  doc.moveDown(0.6);
}

function svgSize(svg: string): { width: number; height: number } {
  const tag = /<svg[^>]*>/.exec(svg)?.[0] ?? '';
  return {
    width: Number(/\swidth="([\d.]+)"/.exec(tag)?.[1] ?? 400),
    height: Number(/\sheight="([\d.]+)"/.exec(tag)?.[1] ?? 200),
  };
}

const fontCallback = (family: string, bold: boolean) => (bold || /bold/i.test(family) ? 'cjk-bold' : 'cjk');

/** Charts in a row, each scaled to its share of the line (and of the page's height). */
function drawCharts(doc: Doc, charts: { svg: string; title: string }[], perRow: number): void {
  const gap = 12;
  const slot = (doc.page.width - MARGIN * 2 - gap * (perRow - 1)) / perRow;
  const pageRoom = doc.page.height - MARGIN * 2 - FOOTER - 20;
  const sized = charts.map((chart) => {
    const size = svgSize(chart.svg);
    const scale = Math.min(1, slot / size.width, pageRoom / size.height);
    return { ...chart, width: size.width * scale, height: size.height * scale };
  });
  const height = Math.max(...sized.map((chart) => chart.height));
  ensureSpace(doc, height + 16);
  const top = doc.y;
  sized.forEach((chart, i) => {
    const x = MARGIN + i * (slot + gap);
    SVGtoPDF(doc, chart.svg, x, top, { width: chart.width, height: chart.height, assumePt: true, fontCallback });
    if (perRow === 1) {
      doc
        .font('cjk')
        .fontSize(8)
        .fillColor(colors.muted)
        .text(chart.title, x, top + height + 2, { width: slot, lineBreak: false });
    }
  });
  doc.fillColor(colors.text);
  doc.x = MARGIN;
  doc.y = top + height + 14;
  doc.moveDown(0.6);
}

/**
 * An A4 PDF: title page with the table of contents (page numbers filled in once the sections are
 * laid out), the sections with their tables and charts, bookmarks, and "第 n 页 / 共 N 页" on every page.
 */
export function renderPdf(document: ReportDocument, charts: RenderedCharts): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: { Title: document.title, Subject: document.subtitle, Creator: 'Six-Type Agency platform' },
    lang: 'zh-CN',
    displayTitle: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('cjk', PDF_FONTS.regular);
  doc.registerFont('cjk-bold', PDF_FONTS.bold);

  doc.font('cjk-bold').fontSize(20).fillColor(colors.text).text(document.title, { align: 'center' });
  doc.moveDown(0.4);
  doc.font('cjk').fontSize(11).fillColor(colors.muted).text(document.subtitle, { align: 'center' });
  doc.moveDown(1.5);
  doc.font('cjk-bold').fontSize(14).fillColor(colors.text).text('目录');
  doc.moveDown(0.5);
  const contentsTop = doc.y;
  const headings = contents(document);

  doc.addPage();
  const headingPages: number[] = [];
  const pendingHalves: { svg: string; title: string }[] = [];
  const flushHalves = () => {
    if (pendingHalves.length > 0) drawCharts(doc, pendingHalves.splice(0), 2);
  };
  for (const block of document.blocks) {
    if (block.kind !== 'chart' || !block.half) flushHalves();
    switch (block.kind) {
      case 'heading': {
        if (block.level === 2) {
          ensureSpace(doc, 80);
          headingPages.push(doc.bufferedPageRange().start + doc.bufferedPageRange().count);
          doc.outline.addItem(block.text);
          doc.moveDown(0.4);
          doc.font('cjk-bold').fontSize(15).fillColor(colors.text).text(block.text, MARGIN);
          const y = doc.y + 2;
          doc
            .moveTo(MARGIN, y)
            .lineTo(doc.page.width - MARGIN, y)
            .lineWidth(1.2)
            .stroke(colors.rule);
          doc.moveDown(0.6);
        } else {
          ensureSpace(doc, 50);
          doc.moveDown(0.3);
          doc.font('cjk-bold').fontSize(12).fillColor(colors.text).text(block.text, MARGIN);
          doc.moveDown(0.3);
        }
        break;
      }
      case 'paragraph':
        ensureSpace(doc, 20);
        doc.font('cjk').fontSize(10.5).fillColor(colors.text).text(block.text, MARGIN, doc.y, { lineGap: 3 });
        doc.moveDown(0.5);
        break;
      case 'list':
        for (const item of block.items) {
          ensureSpace(doc, 20);
          doc
            .font('cjk')
            .fontSize(10.5)
            .text(`• ${item}`, MARGIN + 8, doc.y, { lineGap: 3, indent: 0 });
        }
        doc.x = MARGIN;
        doc.moveDown(0.5);
        break;
      case 'table':
        drawTable(doc, block.columns, block.rows, block.numeric);
        break;
      case 'chart': {
        const svg = charts.get(block.id);
        if (!svg) break;
        if (!block.half) drawCharts(doc, [{ svg, title: block.title }], 1);
        else {
          pendingHalves.push({ svg, title: block.title });
          if (pendingHalves.length === 2) flushHalves();
        }
        break;
      }
    }
  }
  flushHalves();

  doc.switchToPage(0);
  let y = contentsTop;
  headings.forEach((heading, i) => {
    const page = String(headingPages[i] ?? '');
    doc.font('cjk').fontSize(11).fillColor(colors.text);
    const pageWidth = doc.widthOfString(page);
    doc.text(heading, MARGIN, y, { lineBreak: false });
    doc.text(page, doc.page.width - MARGIN - pageWidth, y, { lineBreak: false });
    y += 22;
  });

  const { start, count } = doc.bufferedPageRange();
  for (let index = start; index < start + count; index++) {
    doc.switchToPage(index);
    // Written inside the bottom margin: without lifting it pdfkit would start a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('cjk')
      .fontSize(9)
      .fillColor(colors.muted)
      .text(`第 ${index + 1} 页 / 共 ${count} 页`, MARGIN, doc.page.height - MARGIN + 10, {
        width: doc.page.width - MARGIN * 2,
        align: 'center',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
