// The charts' specifications; chart-svg.ts draws them (in the rendering process, isolated.ts).
import type { TopLevelSpec } from 'vega-lite';

/** The family charts name; the PDF maps it to the embedded font, the HTML page to the reader's CJK fonts. */
export const CHART_FONT = 'Noto Sans SC';

export type ChartSpec = TopLevelSpec;

/**
 * Room for axis labels: headless Vega measures text as Latin letters, so a Chinese label would be
 * cut; a CJK character takes a full em of the 10px label font.
 */
function labelExtent(labels: string[]): number {
  const ems = Math.max(
    0,
    ...labels.map((label) => [...label].reduce((sum, c) => sum + (c.charCodeAt(0) > 0x2e80 ? 1 : 0.55), 0)),
  );
  return Math.ceil(ems * 10) + 8;
}

const number = (text: string | null) => (text == null ? null : Number(text));

/** Horizontal bars: one per unit, the share of compliant cadres (percent). */
export function complianceChart(units: { orgName: string; complianceRate: string | null }[]): ChartSpec {
  return {
    width: 420,
    height: Math.max(60, units.length * 22),
    data: {
      values: units.map((unit) => ({
        单位: unit.orgName,
        达标率: unit.complianceRate == null ? 0 : (number(unit.complianceRate) ?? 0) * 100,
      })),
    },
    mark: { type: 'bar', color: '#c0392b' },
    encoding: {
      y: {
        field: '单位',
        type: 'nominal',
        sort: '-x',
        title: null,
        axis: { minExtent: labelExtent(units.map((u) => u.orgName)) },
      },
      x: { field: '达标率', type: 'quantitative', title: '达标率（%）', scale: { domain: [0, 100] } },
      tooltip: [{ field: '单位' }, { field: '达标率' }],
    },
  };
}

/** Bars of sessions held by kind. */
export function activitiesChart(kinds: { label: string; held: number }[]): ChartSpec {
  return {
    width: 420,
    height: Math.max(60, kinds.length * 22),
    data: { values: kinds.map((kind) => ({ 类型: kind.label, 次数: kind.held })) },
    mark: { type: 'bar', color: '#2e86c1' },
    encoding: {
      y: {
        field: '类型',
        type: 'nominal',
        sort: '-x',
        title: null,
        axis: { minExtent: labelExtent(kinds.map((k) => k.label)) },
      },
      x: { field: '次数', type: 'quantitative', title: '次数', axis: { tickMinStep: 1 } },
    },
  };
}

/** One headline metric over the last periods: this year's figures against the prior year's. */
export function trendChart(
  title: string,
  points: { period: { label: string }; value: string | null; priorYearValue: string | null }[],
): ChartSpec {
  return {
    title: { text: title, fontSize: 11 },
    width: 180,
    height: 100,
    data: {
      values: points.flatMap((point) => [
        { 期间: point.period.label, 系列: '本期', 数值: number(point.value) },
        { 期间: point.period.label, 系列: '上年同期', 数值: number(point.priorYearValue) },
      ]),
    },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: '期间',
        type: 'ordinal',
        title: null,
        // Every period of the window on the axis, those without a figure too.
        scale: { domain: points.map((point) => point.period.label) },
        axis: { labelAngle: -60, labelFontSize: 8 },
      },
      y: { field: '数值', type: 'quantitative', title: null, axis: { format: ',~r', minExtent: 36 } },
      color: {
        field: '系列',
        type: 'nominal',
        title: null,
        scale: { domain: ['本期', '上年同期'], range: ['#c0392b', '#95a5a6'] },
        legend: { orient: 'bottom', direction: 'horizontal' },
      },
    },
  } as ChartSpec;
}
