import { None, parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CHART_FONT, type ChartSpec } from './charts.ts';

const config = {
  font: CHART_FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 10, titleFontSize: 11, labelLimit: 160 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start' },
} as const;

/**
 * Renders a Vega-Lite chart to SVG with Vega's headless SVG renderer (no browser, no canvas). The
 * numbers charts draw are parsed from the API's decimal strings; tables beside them print the strings.
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  const { spec: vegaSpec } = compile({ ...spec, config: { ...config, ...(spec.config ?? {}) } } as TopLevelSpec, {
    logger: silent,
  });
  const view = new View(parseVega(vegaSpec), { renderer: 'none', logLevel: None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// Chart warnings (e.g. an empty series) are not the reader's concern; the report says when data is missing.
const silent = {
  level: () => silent,
  error: () => silent,
  warn: () => silent,
  info: () => silent,
  debug: () => silent,
} as never;
