import type { Granularity, MetricAggregation, MetricDirection, MetricKind } from '../schema/metrics.ts';
import type { Provenance } from './directory.ts';

export interface DemoMetric {
  code: string;
  name: string;
  unit: string;
  kind: MetricKind;
  aggregation: MetricAggregation;
  direction: MetricDirection;
  category: string;
  reportingGranularity: Granularity;
  description: string;
}

/** The figures the document reports for 1–3月 2012, in the document's order (DESIGN.md §3). */
export const demoMetrics: readonly DemoMetric[] = [
  {
    code: 'FISCAL_REVENUE_TOTAL',
    name: '全区财政总收入',
    unit: '万元',
    kind: 'FLOW',
    aggregation: 'SUM',
    direction: 'HIGHER_IS_BETTER',
    category: 'FISCAL',
    reportingGranularity: 'QUARTER',
    description: '全区完成财政总收入',
  },
  {
    code: 'LOCAL_FISCAL_REVENUE',
    name: '地方财政收入',
    unit: '万元',
    kind: 'FLOW',
    aggregation: 'SUM',
    direction: 'HIGHER_IS_BETTER',
    category: 'FISCAL',
    reportingGranularity: 'QUARTER',
    description: '其中地方财政收入',
  },
  {
    code: 'NEW_PROJECT_CONTRACTS',
    name: '新签订项目合同',
    unit: '个',
    kind: 'FLOW',
    aggregation: 'SUM',
    direction: 'HIGHER_IS_BETTER',
    category: 'INVESTMENT',
    reportingGranularity: 'QUARTER',
    description: '新签订项目合同',
  },
  {
    code: 'HUNDRED_DAY_PROJECTS_UNDER_CONSTRUCTION',
    name: '百日攻坚在建项目',
    unit: '个',
    kind: 'STOCK',
    aggregation: 'SUM',
    direction: 'HIGHER_IS_BETTER',
    category: 'INVESTMENT',
    reportingGranularity: 'QUARTER',
    description: '“百日攻坚”认领项目在建',
  },
  {
    code: 'HUNDRED_DAY_PROJECTS_IN_NEGOTIATION',
    name: '百日攻坚在谈项目',
    unit: '个',
    kind: 'STOCK',
    aggregation: 'SUM',
    direction: 'HIGHER_IS_BETTER',
    category: 'INVESTMENT',
    reportingGranularity: 'QUARTER',
    description: '“百日攻坚”认领项目在谈',
  },
  {
    code: 'MINIMUM_LIVING_ALLOWANCE_RECIPIENTS',
    name: '城乡低保人数',
    unit: '人',
    kind: 'STOCK',
    aggregation: 'SUM',
    direction: 'HIGHER_IS_BETTER',
    category: 'SOCIAL',
    reportingGranularity: 'QUARTER',
    description: '城乡低保人群实现应保尽保',
  },
  {
    code: 'FIVE_GUARANTEES_CENTRAL_SUPPORT_RATE',
    name: '五保集中供养率',
    unit: '%',
    kind: 'RATIO',
    aggregation: 'AVG',
    direction: 'HIGHER_IS_BETTER',
    category: 'SOCIAL',
    reportingGranularity: 'QUARTER',
    description: '五保集中供养率',
  },
  {
    code: 'PETITIONS_TO_CAPITAL_OR_PROVINCE',
    name: '进京到省上访',
    unit: '起',
    kind: 'FLOW',
    aggregation: 'SUM',
    direction: 'LOWER_IS_BETTER',
    category: 'STABILITY',
    reportingGranularity: 'QUARTER',
    description: '全国“两会”期间进京、到省上访事件',
  },
];

export interface DemoObservation {
  metricCode: string;
  orgCode: string;
  granularity: Granularity;
  periodStart: string;
  value: string;
  source: string;
  provenance: Provenance;
}

const DOCUMENT_SOURCE = '开发区六型机关经验交流（2012年1-3月）';

/** The document's 2012-Q1 figures for the zone, exactly as given. */
const documentFigures: [code: string, value: string][] = [
  ['FISCAL_REVENUE_TOTAL', '15825'],
  ['LOCAL_FISCAL_REVENUE', '7430'],
  ['NEW_PROJECT_CONTRACTS', '4'],
  ['HUNDRED_DAY_PROJECTS_UNDER_CONSTRUCTION', '14'],
  ['HUNDRED_DAY_PROJECTS_IN_NEGOTIATION', '9'],
  ['MINIMUM_LIVING_ALLOWANCE_RECIPIENTS', '2717'],
  ['FIVE_GUARANTEES_CENTRAL_SUPPORT_RATE', '75'],
  ['PETITIONS_TO_CAPITAL_OR_PROVINCE', '0'],
];

export const demoObservations: readonly DemoObservation[] = [
  ...documentFigures.map(([metricCode, value]) => ({
    metricCode,
    orgCode: 'ZONE',
    granularity: 'QUARTER' as const,
    periodStart: '2012-01-01',
    value,
    source: DOCUMENT_SOURCE,
    provenance: 'document' as const,
  })),
  // Demo: the document gives only the growth (+43%); 7430 / 1.43 = 5195.8 (to one decimal) puts
  // the 2011-Q1 figure where that growth comes out as 0.4300.
  {
    metricCode: 'LOCAL_FISCAL_REVENUE',
    orgCode: 'ZONE',
    granularity: 'QUARTER',
    periodStart: '2011-01-01',
    value: '5195.8',
    source: '演示数据：由文中“较上年同期增长43%”反推',
    provenance: 'demo',
  },
];
