import type { ChartSpec } from './charts.ts';

/** A report as blocks, rendered alike to Markdown, HTML and PDF. */
export type Block =
  | { kind: 'heading'; level: 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; columns: string[]; rows: string[][]; numeric?: boolean[] }
  /** `half`: a small chart laid out two to a row. */
  | { kind: 'chart'; id: string; title: string; spec: ChartSpec; half?: boolean };

export interface ReportDocument {
  title: string;
  subtitle: string;
  /** Where the Markdown links its charts (the HTML download, which holds them inline). */
  chartsHref: string;
  blocks: Block[];
}

/** Chart blocks with their rendered SVG, by id. */
export type RenderedCharts = Map<string, string>;

/** Level-2 headings: the table of contents. */
export function contents(document: ReportDocument): string[] {
  return document.blocks.flatMap((block) => (block.kind === 'heading' && block.level === 2 ? [block.text] : []));
}

/**
 * A decimal fraction as the API writes it ("0.4300") shown as a percentage ("43%"), by moving the
 * decimal point in the text: no floating-point arithmetic touches the figure.
 */
export function percent(fraction: string | null | undefined, signed = false): string {
  if (fraction == null) return '—';
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(fraction.trim());
  if (!match) return fraction;
  const [, sign, whole, decimals = ''] = match as unknown as [string, string, string, string | undefined];
  const digits = `${whole}${(decimals ?? '').padEnd(2, '0')}`;
  const integer = digits.slice(0, whole.length + 2).replace(/^0+(?=\d)/, '');
  const rest = digits.slice(whole.length + 2).replace(/0+$/, '');
  const text = rest ? `${integer}.${rest}` : integer;
  const zero = /^0(\.0*)?$/.test(text);
  return `${sign && !zero ? '-' : signed && !zero ? '+' : ''}${text}%`;
}

/** A figure as the API returned it, or a dash when there is none. */
export const figure = (value: string | number | null | undefined) => (value == null ? '—' : String(value));
