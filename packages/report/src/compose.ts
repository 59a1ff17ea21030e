import { activitiesChart, complianceChart, trendChart } from './charts.ts';
import type { ReportData } from './data.ts';
import { type Block, figure, percent, type ReportDocument } from './document.ts';

/** Chinese names of the API's enums, as the document and the zone's offices write them. */
export const ACTIVITY_KIND_NAMES: Record<string, string> = {
  CONCENTRATED_STUDY: '集中学习',
  TOPIC_TUTORING: '专题辅导',
  SELF_STUDY: '个人自学',
  HEART_TO_HEART_TALK: '谈心交心',
  EXPERIENCE_EXCHANGE: '交流心得',
  EXPERT_LECTURE: '专题讲座',
  STUDY_TOUR: '学习考察',
  CENTER_GROUP_STUDY: '中心组学习',
  LANGUAGE_DAY: '外语学习日',
  BENCHMARKING_VISIT: '外挂观摩',
  FIELD_VISIT: '内联下访',
  DISPATCH_MEETING: '调度会',
  INSPECTION: '督导检查',
  OTHER: '其他',
};
const STATE_NAMES: Record<string, string> = {
  FOUND: '已查摆',
  RECTIFYING: '整改中',
  AWAITING_ACCEPTANCE: '待验收',
  CLOSED: '已整改销号',
  REOPENED: '重新整改',
};
const ROLE_NAMES = { LEADER: '组长', DEPUTY_LEADER: '副组长', MEMBER: '成员' } as const;
const CADENCE_NAMES = { HALF_MONTH: '半月一调度', MONTH: '一月一检查' } as const;
const QUARTERS = ['一', '二', '三', '四'];

/** 2012-Q1 → 2012年第一季度（2012-Q1）; the API's label stays in the title for lookups. */
export function periodTitle(period: ReportData['scope']['period']): string {
  const { label } = period;
  if (period.isRange) return `${period.start}至${period.end}`;
  if (period.granularity === 'YEAR') return `${label}年`;
  if (period.granularity === 'QUARTER')
    return `${label.slice(0, 4)}年第${QUARTERS[Number(label.slice(6)) - 1]}季度（${label}）`;
  return `${label.slice(0, 4)}年${Number(label.slice(5, 7))}月（${label}）`;
}

/** Months the period touches: the number of months and half-months a cadence expects. */
function monthsTouched(start: string, end: string): number {
  const index = (day: string) => Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7));
  return index(end) - index(start) + 1;
}

function organisationSection(data: ReportData): Block[] {
  const groups = data.campaign.leadingGroups;
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: '一、健全组织：领导小组与工作机构' }];
  blocks.push({
    kind: 'paragraph',
    text:
      groups.length === 0
        ? '本单位尚未登记创建活动领导小组。'
        : `已成立领导小组 ${groups.length} 个。${data.campaign.slogan ? `奋斗目标：“${data.campaign.slogan}”。` : ''}`,
  });
  if (groups.length > 0) {
    const names = (group: (typeof groups)[number], role: keyof typeof ROLE_NAMES) =>
      group.members
        .filter((member) => member.role === role)
        .map((member) => member.cadre.name)
        .join('、') || '—';
    blocks.push({
      kind: 'table',
      columns: ['单位', '领导小组', '组长', '副组长', '成员人数', '办公室', '成立日期'],
      rows: groups.map((group) => [
        group.organization.name,
        group.name,
        names(group, 'LEADER'),
        names(group, 'DEPUTY_LEADER'),
        String(group.members.filter((member) => member.role === 'MEMBER').length),
        group.office?.name ?? '—',
        group.establishedOn ?? '—',
      ]),
      numeric: [false, false, false, false, true, false, false],
    });
  }
  const missing = data.organizationsWithoutLeadingGroup;
  blocks.push({
    kind: 'paragraph',
    text:
      missing.length === 0
        ? '各办事处、区直各部门均已成立相应的领导机构。'
        : `尚未成立领导小组的单位 ${missing.length} 个：${missing.map((unit) => unit.name).join('、')}。`,
  });
  return blocks;
}

function studySection(data: ReportData): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: '二、学习：制度落实与达标情况' }];
  const requirement = data.studyRequirement;
  if (requirement) {
    const items = [
      `学习笔记每人全年不少于 ${requirement.noteCharactersQuota} 字${requirement.hoursQuota ? `，学时不少于 ${requirement.hoursQuota} 学时` : ''}。`,
      ...requirement.groups.map((group) =>
        group.kind === 'ALL'
          ? `${group.name.includes('必学') ? group.name : `必学内容（${group.name}）`}：${group.materials.map((m) => m.title).join('、')}。`
          : `${group.name}：在${group.materials.map((m) => `《${m.title.replace(/^《|》$/g, '')}》`).join('、')}中任选 ${group.minMaterials ?? 1} 本。`,
      ),
    ];
    blocks.push({ kind: 'list', items });
  } else {
    blocks.push({ kind: 'paragraph', text: '本年度尚未设定学习要求。' });
  }
  const { parent, entries } = data.studyComplianceRanking;
  blocks.push({
    kind: 'paragraph',
    text: `截至 ${data.scope.period.end}，${parent.orgName}应参学干部 ${parent.cadres} 人，全面达标 ${parent.compliant} 人，达标率 ${percent(parent.complianceRate)}。`,
  });
  if (entries.length > 0) {
    blocks.push({
      kind: 'table',
      columns: ['排名', '单位', '干部人数', '达标人数', '达标率'],
      rows: entries.map((unit) => [
        figure(unit.rank),
        unit.orgName,
        String(unit.cadres),
        String(unit.compliant),
        percent(unit.complianceRate),
      ]),
      numeric: [true, false, true, true, true],
    });
    blocks.push({ kind: 'chart', id: 'compliance', title: '各单位学习达标率', spec: complianceChart(entries) });
    const behind = entries
      .filter((unit) => unit.cadres > 0)
      .slice(-3)
      .reverse();
    if (behind.length > 0) {
      blocks.push({
        kind: 'paragraph',
        text: `达标率靠后的单位：${behind.map((unit) => `${unit.orgName}（${percent(unit.complianceRate)}）`).join('、')}。`,
      });
    }
  }
  const lagging = data.studyLagging;
  blocks.push({
    kind: 'heading',
    level: 3,
    text: `学习进度落后的干部（共 ${lagging.totalCount} 人${lagging.totalCount > lagging.nodes.length ? `，列出落后最多的 ${lagging.nodes.length} 人` : ''}）`,
  });
  if (lagging.nodes.length === 0) {
    blocks.push({ kind: 'paragraph', text: '无干部落后于按期进度。' });
  } else {
    blocks.push({
      kind: 'table',
      columns: ['姓名', '单位', '笔记字数', '应达字数', '差额', '学时', '必学内容', '选学书目'],
      rows: lagging.nodes.map((entry) => [
        entry.cadre.name,
        entry.cadre.organization.name,
        String(entry.noteCharacters),
        String(entry.expectedCharacters),
        String(entry.charactersBehind),
        entry.hoursQuota ? `${entry.hours}/${entry.hoursQuota}` : entry.hours,
        entry.mandatoryMaterialsCovered ? '已学' : '未学完',
        entry.chosenMaterials.map((m) => m.title).join('、') || (entry.choiceGroupsMet ? '—' : '未选'),
      ]),
      numeric: [false, false, true, true, true, true, false, false],
    });
  }
  return blocks;
}

function activitiesSection(data: ReportData): Block[] {
  const counts = data.activityCounts;
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: '三、活动开展情况' }];
  blocks.push({
    kind: 'paragraph',
    text: `本期共开展活动 ${counts.held} 次（涉及 ${counts.activities} 项活动，周期性活动每次均计入）。`,
  });
  if (counts.byKind.length > 0) {
    const kinds = counts.byKind.map((kind) => ({ label: ACTIVITY_KIND_NAMES[kind.kind] ?? kind.kind, ...kind }));
    blocks.push({
      kind: 'table',
      columns: ['活动类型', '开展次数', '活动项数'],
      rows: kinds.map((kind) => [kind.label, String(kind.held), String(kind.activities)]),
      numeric: [false, true, true],
    });
    blocks.push({ kind: 'chart', id: 'activities', title: '各类活动开展次数', spec: activitiesChart(kinds) });
  }
  const served = new Map(counts.byDimension.map((dimension) => [dimension.code, dimension]));
  blocks.push({ kind: 'heading', level: 3, text: '按“六型”分类' });
  blocks.push({
    kind: 'table',
    columns: ['创建方向', '开展次数', '活动项数'],
    rows: data.campaign.dimensions.map((dimension) => [
      dimension.name,
      String(served.get(dimension.code)?.held ?? 0),
      String(served.get(dimension.code)?.activities ?? 0),
    ]),
    numeric: [false, true, true],
  });
  if (data.attendanceRates.length > 0) {
    blocks.push({ kind: 'heading', level: 3, text: '出勤情况' });
    blocks.push({
      kind: 'table',
      columns: ['单位', '出席', '缺席', '请假', '出勤率'],
      rows: data.attendanceRates.map((row) => [
        row.orgName,
        String(row.present),
        String(row.absent),
        String(row.onLeave),
        row.rate == null ? '—' : `${Math.round(row.rate * 1000) / 10}%`,
      ]),
      numeric: [false, true, true, true, true],
    });
  }
  const plan = data.studyPlan;
  blocks.push({ kind: 'heading', level: 3, text: '理论中心组学习计划' });
  if (!plan) {
    blocks.push({ kind: 'paragraph', text: '本单位本年度未登记中心组学习计划。' });
  } else {
    const due = plan.topics.filter((topic) => topic.month <= Number(data.scope.period.end.slice(5, 7)));
    const heldByEnd = due.filter((topic) => topic.heldOn != null && topic.heldOn <= data.scope.period.end);
    blocks.push({
      kind: 'paragraph',
      text: `《${plan.title.replace(/^《|》$/g, '')}》共 ${plan.topicsPlanned} 个专题，已学习 ${plan.topicsHeld} 个；截至期末应学 ${due.length} 个，按期完成 ${heldByEnd.length} 个。`,
    });
    if (due.length > 0) {
      blocks.push({
        kind: 'table',
        columns: ['月份', '专题', '学习日期'],
        rows: due.map((topic) => [`${topic.month}月`, topic.title, topic.heldOn ?? '未学习']),
        numeric: [true, false, false],
      });
    }
  }
  return blocks;
}

function supervisionSection(data: ReportData): Block[] {
  const { start, end } = data.scope.period;
  const months = monthsTouched(start, end);
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: '四、督导检查' }];
  const cadences = data.campaign.supervisionCadences;
  if (cadences.length === 0) {
    blocks.push({ kind: 'paragraph', text: '本活动未设定督导频次。' });
    return blocks;
  }
  blocks.push({
    kind: 'table',
    columns: ['制度', '活动', '应开展', '已开展', '缺失'],
    rows: cadences.map((cadence) => {
      const expected = cadence.period === 'HALF_MONTH' ? months * 2 : months;
      const missed = data.cadenceGaps.filter(
        (gap) => gap.activityKind === cadence.activityKind && gap.period === cadence.period,
      );
      return [
        CADENCE_NAMES[cadence.period],
        ACTIVITY_KIND_NAMES[cadence.activityKind] ?? cadence.activityKind,
        String(expected),
        String(expected - missed.length),
        missed.length === 0 ? '无' : missed.map((gap) => gap.label).join('、'),
      ];
    }),
    numeric: [false, false, true, true, false],
  });
  return blocks;
}

function rectificationSection(data: ReportData): Block[] {
  const counts = data.problemCounts;
  const closed = counts.byState.find((state) => state.state === 'CLOSED')?.count ?? 0;
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: '五、查摆问题与整改' }];
  blocks.push({
    kind: 'paragraph',
    text: `截至 ${data.scope.period.end}，共查摆问题 ${counts.total} 个，已整改销号 ${closed} 个，逾期未整改 ${counts.overdue} 个。`,
  });
  blocks.push({
    kind: 'table',
    columns: ['问题类别', '查摆', '已整改销号', '逾期'],
    rows: counts.byCategory.map((category) => [
      `“${category.name}”`,
      String(category.count),
      String(category.closed),
      String(category.overdue),
    ]),
    numeric: [false, true, true, true],
  });
  if (counts.byState.length > 0) {
    blocks.push({
      kind: 'paragraph',
      text: `按整改状态：${counts.byState.map((state) => `${STATE_NAMES[state.state] ?? state.state} ${state.count} 个`).join('，')}。`,
    });
  }
  return blocks;
}

function resultsSection(data: ReportData): Block[] {
  const { period } = data.scope;
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: '六、工作成效：主要指标' }];
  const inPeriod = (point: { period: { start: string } }) =>
    point.period.start >= period.start.slice(0, 8).concat('01');
  const rows = data.series.flatMap((series) =>
    series.points
      .filter(inPeriod)
      .map((point) => [
        series.metric.name,
        ...(period.isRange ? [point.period.label] : []),
        figure(point.value),
        series.metric.unit,
        figure(point.target),
        percent(point.completionRate),
        figure(point.priorYearValue),
        percent(point.yoyGrowth, true),
        figure(point.yearToDate),
      ]),
  );
  blocks.push({
    kind: 'table',
    columns: [
      '指标',
      ...(period.isRange ? ['期间'] : []),
      '本期',
      '单位',
      '目标',
      '完成率',
      '上年同期',
      '同比',
      '年累计',
    ],
    rows,
    numeric: [false, ...(period.isRange ? [false] : []), true, false, true, true, true, true, true],
  });
  const headline = data.series.filter((series) => series.metric.derivation == null);
  if (headline.length > 0) blocks.push({ kind: 'heading', level: 3, text: '主要指标近 12 期走势（对比上年同期）' });
  for (const series of headline) {
    blocks.push({
      kind: 'chart',
      id: `trend-${series.metric.code}`,
      title: `${series.metric.name}（${series.metric.unit}）`,
      spec: trendChart(`${series.metric.name}（${series.metric.unit}）`, series.points.slice(-12)),
      half: true,
    });
  }
  const rankings = data.rankings.filter((ranking) => ranking.entries.some((entry) => entry.value != null));
  if (rankings.length > 0) {
    blocks.push({ kind: 'heading', level: 3, text: '下属单位排名' });
    for (const ranking of rankings) {
      blocks.push({ kind: 'paragraph', text: `${ranking.metric.name}（${ranking.metric.unit}）` });
      blocks.push({
        kind: 'table',
        columns: ['名次', '单位', '本期'],
        rows: ranking.entries.map((entry) => [figure(entry.rank), entry.orgName, figure(entry.value)]),
        numeric: [true, false, true],
      });
    }
  } else if (data.rankings.length > 0) {
    blocks.push({ kind: 'paragraph', text: '下属单位本期尚未报送主要指标，暂不排名。' });
  }
  return blocks;
}

/** The report in the source document's order: organisation, study, activities, supervision, rectification, results. */
export function composeReport(data: ReportData, chartsHref: string): ReportDocument {
  const { scope } = data;
  return {
    title: `${scope.orgName}${data.campaign.name}进展情况报告`,
    subtitle: `${periodTitle(scope.period)} · ${scope.includeDescendants ? '含下属单位' : '仅本单位'} · 数据来源：平台实时数据`,
    chartsHref,
    blocks: [
      ...organisationSection(data),
      ...studySection(data),
      ...activitiesSection(data),
      ...supervisionSection(data),
      ...rectificationSection(data),
      ...resultsSection(data),
    ],
  };
}
