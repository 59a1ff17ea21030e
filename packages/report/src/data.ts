import { answerableBy, type GraphQLContext, METRICS_PER_SERIES, type ReportScope, schema } from '@sixtype/graphql';
import { type DocumentNode, execute, GraphQLError, parse } from 'graphql';

/**
 * A report's figures, gathered by executing this API's own fields in process with the caller's
 * context: the same SQL, the same subtree rules and the same strings the API returns. Nothing here
 * computes a figure; it only selects and arranges.
 */

const scopeQuery = parse(`
  query ReportScope($campaignCode: String!, $orgCode: String!, $period: String!, $includeDescendants: Boolean!) {
    campaignReport(campaignCode: $campaignCode, orgCode: $orgCode, period: $period, includeDescendants: $includeDescendants) {
      campaignCode orgCode orgName includeDescendants
      period { label granularity start end }
    }
  }
`);

const dataQuery = parse(`
  query ReportData(
    $campaignCode: String!, $orgCode: String!, $includeDescendants: Boolean!, $from: Date!, $to: Date!,
    $year: Int!, $historyFrom: Date!, $granularity: Granularity!
  ) {
    organization(code: $orgCode) { code name children { code name } }
    campaign(code: $campaignCode) {
      code name slogan
      dimensions { code name }
      supervisionCadences { activityKind period description }
      leadingGroups {
        name establishedOn
        organization { code name ancestors { code } }
        office { name }
        members { role cadre { name position } }
      }
    }
    organizationsWithoutLeadingGroup(campaignCode: $campaignCode, orgCode: $orgCode) { code name }
    studyRequirement(campaignCode: $campaignCode, year: $year) {
      noteCharactersQuota hoursQuota
      groups { kind name minMaterials materials { title } }
    }
    studyComplianceRanking(campaignCode: $campaignCode, year: $year, parentOrgCode: $orgCode, asOfDate: $to) {
      parent { orgCode orgName cadres compliant complianceRate rank }
      entries { orgCode orgName cadres compliant complianceRate rank }
    }
    studyLagging(campaignCode: $campaignCode, year: $year, asOfDate: $to, orgCode: $orgCode,
                 includeDescendants: $includeDescendants, first: 10) {
      totalCount
      nodes {
        cadre { name organization { name } }
        noteCharacters expectedCharacters charactersBehind noteCharactersQuota
        hours hoursQuota hoursBehind mandatoryMaterialsCovered choiceGroupsMet
        chosenMaterials { title }
      }
    }
    studyPlan(campaignCode: $campaignCode, orgCode: $orgCode, year: $year) {
      title topicsHeld topicsPlanned
      topics { month title heldOn }
    }
    activityCounts(campaignCode: $campaignCode, orgCode: $orgCode, includeDescendants: $includeDescendants, from: $from, to: $to) {
      held activities
      byKind { kind held activities }
      byDimension { code name held activities }
    }
    attendanceRates(groupBy: ORGANIZATION, campaignCode: $campaignCode, orgCode: $orgCode,
                    includeDescendants: $includeDescendants, from: $from, to: $to) {
      orgCode orgName present absent onLeave rate
    }
    cadenceGaps(campaignCode: $campaignCode, orgCode: $orgCode, includeDescendants: $includeDescendants, from: $from, to: $to) {
      activityKind period label
    }
    problemCounts(campaignCode: $campaignCode, orgCode: $orgCode, includeDescendants: $includeDescendants, today: $to) {
      total overdue
      byCategory { code name count closed overdue }
      byState { state count overdue }
    }
    metricDefinitions(headline: true) { code name unit direction derivation reportingGranularity }
  }
`);

const seriesQuery = parse(`
  query ReportSeries($metricCodes: [String!]!, $orgCode: String!, $includeDescendants: Boolean!, $from: Date!, $to: Date!, $granularity: Granularity!) {
    metricSeries(input: { metricCodes: $metricCodes, orgCode: $orgCode, includeDescendants: $includeDescendants,
                          from: $from, to: $to, granularity: $granularity }) {
      metric { code name unit direction derivation }
      points {
        period { label start end }
        value target completionRate priorYearValue yoyGrowth yearToDate
      }
    }
  }
`);

/** Aliased fields per operation: the API's cost limit bounds one operation's work. */
const RANKINGS_PER_OPERATION = 10;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/** One metricRanking per headline metric, aliased, in one operation (RANKINGS_PER_OPERATION at most). */
function rankingQuery(count: number): DocumentNode {
  const variables = Array.from({ length: count }, (_, i) => `$m${i}: String!`).join(', ');
  const fields = Array.from(
    { length: count },
    (
      _,
      i,
    ) => `r${i}: metricRanking(input: { metricCode: $m${i}, parentOrgCode: $orgCode, granularity: $granularity, periodStart: $periodStart }) {
      metric { code name unit } entries { orgCode orgName rank value }
    }`,
  ).join('\n');
  return parse(
    `query ReportRankings($orgCode: String!, $granularity: Granularity!, $periodStart: Date!, ${variables}) { ${fields} }`,
  );
}

export interface MetricPoint {
  period: { label: string; start: string; end: string };
  value: string | null;
  target: string | null;
  completionRate: string | null;
  priorYearValue: string | null;
  yoyGrowth: string | null;
  yearToDate: string | null;
}
export interface MetricInfo {
  code: string;
  name: string;
  unit: string;
  direction: 'HIGHER_IS_BETTER' | 'LOWER_IS_BETTER';
  derivation: string | null;
  reportingGranularity: 'MONTH' | 'QUARTER' | 'YEAR';
}
export interface Ranking {
  metric: { code: string; name: string; unit: string };
  entries: { orgCode: string; orgName: string; rank: number | null; value: string | null }[];
}
export interface UnitCompliance {
  orgCode: string;
  orgName: string;
  cadres: number;
  compliant: number;
  complianceRate: string | null;
  rank: number | null;
}

export interface ReportData {
  scope: ReportScope;
  organization: { code: string; name: string; children: { code: string; name: string }[] };
  campaign: {
    code: string;
    name: string;
    slogan: string | null;
    dimensions: { code: string; name: string }[];
    supervisionCadences: { activityKind: string; period: 'HALF_MONTH' | 'MONTH'; description: string | null }[];
    leadingGroups: {
      name: string;
      establishedOn: string | null;
      organization: { code: string; name: string; ancestors: { code: string }[] };
      office: { name: string } | null;
      members: { role: 'LEADER' | 'DEPUTY_LEADER' | 'MEMBER'; cadre: { name: string; position: string | null } }[];
    }[];
  };
  organizationsWithoutLeadingGroup: { code: string; name: string }[];
  studyRequirement: {
    noteCharactersQuota: number;
    hoursQuota: string | null;
    groups: { kind: 'ALL' | 'CHOICE'; name: string; minMaterials: number | null; materials: { title: string }[] }[];
  } | null;
  studyComplianceRanking: { parent: UnitCompliance; entries: UnitCompliance[] };
  studyLagging: {
    totalCount: number;
    nodes: {
      cadre: { name: string; organization: { name: string } };
      noteCharacters: number;
      expectedCharacters: number;
      charactersBehind: number;
      noteCharactersQuota: number;
      hours: string;
      hoursQuota: string | null;
      hoursBehind: string | null;
      mandatoryMaterialsCovered: boolean;
      choiceGroupsMet: boolean;
      chosenMaterials: { title: string }[];
    }[];
  };
  studyPlan: {
    title: string;
    topicsHeld: number;
    topicsPlanned: number;
    topics: { month: number; title: string; heldOn: string | null }[];
  } | null;
  activityCounts: {
    held: number;
    activities: number;
    byKind: { kind: string; held: number; activities: number }[];
    byDimension: { code: string; name: string; held: number; activities: number }[];
  };
  attendanceRates: {
    orgCode: string;
    orgName: string;
    present: number;
    absent: number;
    onLeave: number;
    rate: number | null;
  }[];
  cadenceGaps: { activityKind: string; period: 'HALF_MONTH' | 'MONTH'; label: string }[];
  problemCounts: {
    total: number;
    overdue: number;
    byCategory: { code: string; name: string; count: number; closed: number; overdue: number }[];
    byState: { state: string; count: number; overdue: number }[];
  };
  series: { metric: MetricInfo; points: MetricPoint[] }[];
  rankings: Ranking[];
}

/** The error the API would have answered, kept as a GraphQLError so callers map its code. */
async function run<T>(document: DocumentNode, variables: Record<string, unknown>, context: GraphQLContext): Promise<T> {
  const result = await execute({ schema, document, variableValues: variables, contextValue: context });
  const [error] = result.errors ?? [];
  if (error) throw error instanceof GraphQLError ? error : new GraphQLError(String(error));
  return result.data as T;
}

export interface ReportRequest {
  campaignCode: string;
  orgCode: string;
  period: string;
  includeDescendants: boolean;
}

/** Checks the caller's right to the report (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT as the API answers). */
export async function resolveReportScope(request: ReportRequest, context: GraphQLContext): Promise<ReportScope> {
  const data = await run<{
    campaignReport: Omit<ReportScope, 'period'> & { period: Omit<ReportScope['period'], 'isRange'> };
  }>(scopeQuery, { ...request }, context);
  const { period, ...rest } = data.campaignReport;
  return { ...rest, period: { ...period, isRange: period.label.includes('..') } };
}

const MONTHS = { MONTH: 1, QUARTER: 3, YEAR: 12 } as const;

/** The first day of the 12th period back from the one starting at `start` (the charts' window). */
export function historyStart(granularity: keyof typeof MONTHS, start: string): string {
  const months = Number(start.slice(0, 4)) * 12 + Number(start.slice(5, 7)) - 1 - 11 * MONTHS[granularity];
  return `${Math.floor(months / 12)}-${String((months % 12) + 1).padStart(2, '0')}-01`;
}

/** Gathers every section's figures: three operations (four with rankings), each root field one statement. */
export async function gatherReportData(
  scope: ReportScope,
  context: GraphQLContext,
  onStep: (step: string) => void = () => {},
): Promise<ReportData> {
  const { period } = scope;
  const common = {
    campaignCode: scope.campaignCode,
    orgCode: scope.orgCode,
    includeDescendants: scope.includeDescendants,
  };
  const seriesStart = period.isRange ? period.start.slice(0, 8).concat('01') : period.start;
  const historyFrom = historyStart(period.granularity, period.isRange ? `${period.end.slice(0, 8)}01` : period.start);
  onStep('campaign');
  const data = await run<Omit<ReportData, 'scope' | 'series' | 'rankings'> & { metricDefinitions: MetricInfo[] }>(
    dataQuery,
    {
      ...common,
      from: period.start,
      to: period.end,
      year: Number(period.end.slice(0, 4)),
      historyFrom,
      granularity: period.granularity,
    },
    context,
  );
  onStep('metrics');
  // A figure reported by quarter has no monthly value (metricSeries refuses to split it): a
  // monthly report shows the figures reported monthly.
  const answerable = data.metricDefinitions.filter((metric) =>
    answerableBy(metric.reportingGranularity, period.granularity),
  );
  // Submitted figures come with the last 12 periods for their charts; derived ones (computed from
  // the platform's records, each period afresh: study compliance at L reads a million records per
  // period) for the report's period alone, as they are not charted. More metrics than one call
  // takes (METRICS_PER_SERIES) are asked for in parts; the results keep the catalogue's order.
  const byCode = new Map<string, ReportData['series'][number]>();
  const submitted = answerable.filter((metric) => metric.derivation == null);
  const derived = answerable.filter((metric) => metric.derivation != null);
  for (const [metrics, from] of [
    [submitted, [historyFrom, seriesStart].sort()[0] as string],
    [derived, seriesStart],
  ] as const) {
    for (const part of chunks(metrics, METRICS_PER_SERIES)) {
      const answer = await run<{ metricSeries: ReportData['series'] }>(
        seriesQuery,
        {
          metricCodes: part.map((metric) => metric.code),
          orgCode: scope.orgCode,
          includeDescendants: scope.includeDescendants,
          from,
          to: period.end,
          granularity: period.granularity,
        },
        context,
      );
      for (const series of answer.metricSeries) byCode.set(series.metric.code, series);
    }
  }
  const metricSeries = answerable.flatMap((metric) => byCode.get(metric.code) ?? []);
  onStep('rankings');
  // Units below are ranked for a calendar period only (metricRanking takes one period start).
  const headline = answerable.filter((metric) => metric.derivation == null);
  const rankings: Ranking[] = [];
  if (!period.isRange && scope.includeDescendants && data.organization.children.length > 0 && headline.length > 0) {
    for (const part of chunks(headline, RANKINGS_PER_OPERATION)) {
      const answer = await run<Record<string, Ranking>>(
        rankingQuery(part.length),
        {
          orgCode: scope.orgCode,
          granularity: period.granularity,
          periodStart: period.start,
          ...Object.fromEntries(part.map((metric, i) => [`m${i}`, metric.code])),
        },
        context,
      );
      rankings.push(...part.map((_, i) => answer[`r${i}`] as Ranking));
    }
  }
  const { metricDefinitions: _definitions, ...sections } = data;
  // Leading groups come for the caller's whole subtree; the report keeps those of its own unit.
  const inScope = (unit: { code: string; ancestors: { code: string }[] }) =>
    unit.code === scope.orgCode || (scope.includeDescendants && unit.ancestors.some((a) => a.code === scope.orgCode));
  return {
    ...sections,
    scope,
    campaign: {
      ...sections.campaign,
      leadingGroups: sections.campaign.leadingGroups.filter((g) => inScope(g.organization)),
    },
    organizationsWithoutLeadingGroup: scope.includeDescendants
      ? sections.organizationsWithoutLeadingGroup
      : sections.organizationsWithoutLeadingGroup.filter((unit) => unit.code === scope.orgCode),
    series: metricSeries,
    rankings,
  };
}
