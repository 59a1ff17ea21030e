import { inArray } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { writeOccurrences } from '../recurrence.ts';
import {
  type ActivityKind,
  type AttendanceStatus,
  activities,
  activityAttendance,
  activityDimensions,
  activityParticipants,
  campaignCapabilities,
  campaignConductPairs,
  campaignDimensions,
  campaignExpectedChanges,
  campaigns,
  type LeadingGroupRole,
  leadingGroupMembers,
  leadingGroups,
  type ProblemSeverity,
  type ProblemSource,
  type ProblemState,
  problemCategories,
  problems,
  problemTransitions,
  supervisionCadences,
} from '../schema/campaign.ts';
import { cadres } from '../schema/directory.ts';
import { demoCadres, type Provenance } from './directory.ts';

export const DEMO_CAMPAIGN_CODE = 'SIX_TYPE_2012';

/** The campaign as the document states it: every list in the document's own order. */
export const demoCampaign = {
  code: DEMO_CAMPAIGN_CODE,
  name: '创建“六型机关”活动',
  slogan: '跨越赶超自我加压，凝心聚力决战2012',
  // The document names the year of the campaign (决战2012), not its dates: these are demo.
  startsOn: '2012-01-01',
  endsOn: '2012-12-31',
  dimensions: [
    ['LEARNING', '学习型'],
    ['INNOVATIVE', '创新型'],
    ['PRAGMATIC', '务实型'],
    ['SERVICE', '服务型'],
    ['HARMONIOUS', '和谐型'],
    ['CLEAN', '廉洁型'],
  ],
  capabilities: [
    ['LEARNING_POWER', '学习力'],
    ['EXECUTION', '执行力'],
    ['COHESION', '凝聚力'],
    ['INNOVATION', '创新力'],
    ['IMMUNITY', '免疫力'],
  ],
  expectedChanges: [
    '思想上明显进步',
    '作风上明显转变',
    '能力上明显加强',
    '效率上明显提高',
    '素质上明显强化',
    '形象上明显改观',
  ],
  // 十多十少, as the document lists them under 提高执行力.
  conductCode: [
    ['少应酬', '多学习'],
    ['少空谈', '多实干'],
    ['少坐班', '多下乡'],
    ['少说“不”', '多说“行”'],
    ['少回避', '多挑担'],
    ['少谋人', '多谋事'],
    ['少享乐', '多奉献'],
    ['少干预', '多服务'],
    ['少添乱', '多帮忙'],
    ['少设路障', '多设路标'],
  ],
  supervision: [
    { activityKind: 'DISPATCH_MEETING', period: 'HALF_MONTH', description: '半月一调度' },
    { activityKind: 'INSPECTION', period: 'MONTH', description: '一月一检查' },
  ],
} as const;

/** The five problems the 2011 survey found (调研 findings), in the document's order. */
export const demoProblemCategories = [
  { code: 'MUDDLING', name: '混', description: '缺乏工作的热情和激情，得过且过，只求过得去，不求过得硬' },
  { code: 'FEAR', name: '怕', description: '怕挑重担、怕负责任、怕挨批评、怕担风险、怕得罪人' },
  { code: 'SHIRKING', name: '推', description: '一拖二压三扯皮，该干的事不干，该尽的责不尽' },
  { code: 'EMPTINESS', name: '空', description: '门难进、脸难看、话难听、事难办，说的多、做的少' },
  { code: 'LAXITY', name: '散', description: '内部管理不严，纪律松散，上班迟到、早退' },
] as const;

interface DemoLeadingGroup {
  orgCode: string;
  name: string;
  officeOrgCode: string | null;
  /** Members by name (demo cadres), with their role. */
  members: [name: string, role: LeadingGroupRole][];
  provenance: Provenance;
}

const departmentHeads = demoCadres
  .filter(
    (cadre) =>
      cadre.isLeader &&
      !['PARTY_WORKING_COMMITTEE', 'DISCIPLINE_WORKING_COMMITTEE', 'SIX_TYPE_OFFICE'].includes(cadre.organizationCode),
  )
  .filter((cadre, index, all) => all.findIndex((other) => other.organizationCode === cadre.organizationCode) === index)
  .map((cadre): [string, LeadingGroupRole] => [cadre.name, 'MEMBER']);

/**
 * The zone's group as the document sets it up (组长 from 党工委, 副组长 from 纪工委, department
 * heads as members, its office under 纪工委); the people are demo cadres. Two units' own groups
 * are demo, so the other units show up as not yet having one.
 */
export const demoLeadingGroups: readonly DemoLeadingGroup[] = [
  {
    orgCode: 'ZONE',
    name: '创建“六型机关”工作领导小组',
    officeOrgCode: 'SIX_TYPE_OFFICE',
    members: [['王建国', 'LEADER'], ['周正义', 'DEPUTY_LEADER'], ...departmentHeads],
    provenance: 'document',
  },
  {
    orgCode: 'INVESTMENT_PROMOTION_BUREAU',
    name: '区招商局创建“六型机关”领导小组（演示）',
    officeOrgCode: null,
    members: [
      ['黄振华', 'LEADER'],
      ['何雪梅', 'DEPUTY_LEADER'],
      ['林涛', 'MEMBER'],
    ],
    provenance: 'demo',
  },
  {
    orgCode: 'PETITION_OFFICE',
    name: '区信访办公室创建“六型机关”领导小组（演示）',
    officeOrgCode: null,
    members: [
      ['马国庆', 'LEADER'],
      ['罗敏', 'MEMBER'],
    ],
    provenance: 'demo',
  },
];

export interface DemoActivity {
  key: string;
  orgCode: string;
  kind: ActivityKind;
  title: string;
  startsAt: string;
  endsAt?: string;
  place?: string;
  summary?: string;
  recurrence?: string;
  dimensions: string[];
  /** Participants by name, with what a field or benchmarking visit pairs them with. */
  participants: { name: string; village?: string; enterprise?: string; community?: string; hostUnit?: string }[];
  attendance?: { occursOn: string; absent?: string[]; onLeave?: string[] }[];
  provenance: Provenance;
}

const everyoneOf = (orgCode: string) =>
  demoCadres.filter((cadre) => cadre.organizationCode === orgCode).map((cadre) => ({ name: cadre.name }));

// Times are in the zone's time (+08:00). The document tells what each unit does; the dates,
// times and places it does not give are demo.
export const demoActivities: readonly DemoActivity[] = [
  {
    key: 'language-day',
    orgCode: 'INVESTMENT_PROMOTION_BUREAU',
    kind: 'LANGUAGE_DAY',
    title: '外语学习日',
    startsAt: '2012-01-03T16:00:00+08:00',
    endsAt: '2012-01-03T17:30:00+08:00',
    place: '招商局会议室（演示）',
    summary: '每周二全体员工外语学习日，重点学习英语和韩语；每位同志自发购买外文书籍，互相学习，取长补短。',
    recurrence: 'FREQ=WEEKLY;BYDAY=TU',
    dimensions: ['LEARNING'],
    participants: everyoneOf('INVESTMENT_PROMOTION_BUREAU'),
    attendance: [
      { occursOn: '2012-01-03' },
      { occursOn: '2012-01-10', absent: ['林涛'] },
      { occursOn: '2012-01-17', onLeave: ['高媛'] },
    ],
    provenance: 'document',
  },
  {
    key: 'petition-regulations',
    orgCode: 'PETITION_OFFICE',
    kind: 'CONCENTRATED_STUDY',
    title: '《信访条例》专题学习',
    startsAt: '2012-02-14T09:00:00+08:00',
    endsAt: '2012-02-14T11:30:00+08:00',
    summary: '从信访事项的提出、受理到办理和督办及法律责任，逐章学习《信访条例》。',
    dimensions: ['LEARNING', 'SERVICE'],
    participants: everyoneOf('PETITION_OFFICE'),
    attendance: [{ occursOn: '2012-02-14' }],
    provenance: 'document',
  },
  ...(
    [
      ['市计生委', '谢军'],
      ['滨城区计生局', '韩冬'],
      ['邹平计生局', '宋红梅'],
    ] as const
  ).map(
    ([hostUnit, name], index): DemoActivity => ({
      key: `benchmarking-${index}`,
      orgCode: 'FAMILY_PLANNING_OFFICE',
      kind: 'BENCHMARKING_VISIT',
      title: `“外挂”见习观摩：${hostUnit}`,
      startsAt: `2012-03-0${index + 6}T09:00:00+08:00`,
      place: hostUnit,
      summary: '到一流单位感受一流气氛，学习一流业务。',
      dimensions: ['INNOVATIVE', 'LEARNING'],
      participants: [{ name, hostUnit }],
      provenance: 'document',
    }),
  ),
  {
    key: 'field-visits',
    orgCode: 'FAMILY_PLANNING_OFFICE',
    kind: 'FIELD_VISIT',
    title: '“内联”定期下访',
    startsAt: '2012-01-10T09:00:00+08:00',
    summary: '每位同志包辖区内一个村、一个企业、一个住宅小区，定期下访，及时了解最基层的信息。',
    // The document says 定期 (regularly); monthly on the 10th is demo.
    recurrence: 'FREQ=MONTHLY;BYMONTHDAY=10',
    dimensions: ['SERVICE', 'PRAGMATIC'],
    // The villages, enterprises and communities are invented.
    participants: [
      {
        name: '宋红梅',
        village: '东张村（演示）',
        enterprise: '开发区纺织公司（演示）',
        community: '幸福小区（演示）',
      },
      { name: '谢军', village: '西李村（演示）', enterprise: '开发区化工公司（演示）', community: '和平小区（演示）' },
      { name: '韩冬', village: '南王村（演示）', enterprise: '开发区机械公司（演示）', community: '阳光小区（演示）' },
    ],
    provenance: 'document',
  },
  {
    key: 'dubai-tour',
    orgCode: 'MANAGEMENT_COMMITTEE',
    kind: 'STUDY_TOUR',
    title: '赴阿联酋迪拜学习考察',
    startsAt: '2012-05-08T08:00:00+08:00',
    endsAt: '2012-05-15T18:00:00+08:00',
    place: '阿联酋迪拜',
    dimensions: ['LEARNING', 'INNOVATIVE'],
    participants: [{ name: '陈志强' }, { name: '刘海燕' }],
    provenance: 'document',
  },
  // 半月一调度, 一月一检查: the document gives the rule; these meetings are demo, with the second
  // half of March lacking its dispatch meeting and March its inspection.
  ...['2012-01-05', '2012-01-18', '2012-02-03', '2012-02-20', '2012-03-06'].map(
    (day, index): DemoActivity => ({
      key: `dispatch-${index}`,
      orgCode: 'SIX_TYPE_OFFICE',
      kind: 'DISPATCH_MEETING',
      title: `创建活动调度会（演示）第${index + 1}次`,
      startsAt: `${day}T15:00:00+08:00`,
      dimensions: [],
      participants: [{ name: '郑晓东' }, { name: '冯丽' }],
      provenance: 'demo',
    }),
  ),
  ...['2012-01-31', '2012-02-28'].map(
    (day, index): DemoActivity => ({
      key: `inspection-${index}`,
      orgCode: 'SIX_TYPE_OFFICE',
      kind: 'INSPECTION',
      title: `创建活动月度检查（演示）${day.slice(5, 7)}月`,
      startsAt: `${day}T09:00:00+08:00`,
      dimensions: [],
      participants: [{ name: '郑晓东' }],
      provenance: 'demo',
    }),
  ),
];

export interface DemoProblem {
  orgCode: string;
  categoryCode: string;
  source: ProblemSource;
  description: string;
  severity: ProblemSeverity;
  responsible: string;
  deadline: string;
  measures: string;
  /** States after FOUND, in order. */
  path: ProblemState[];
  inspectionKey?: string;
}

/** Invented ledger entries, one per category, so the ledger has something to show (all demo). */
export const demoProblems: readonly DemoProblem[] = [
  {
    orgCode: 'FINANCE_BUREAU',
    categoryCode: 'MUDDLING',
    source: 'SURVEY',
    description: '个别科室工作标准不高，材料报送多次退回（演示）',
    severity: 'MEDIUM',
    responsible: '唐伟',
    deadline: '2012-03-31',
    measures: '建立材料报送首问负责制（演示）',
    path: ['RECTIFYING', 'AWAITING_ACCEPTANCE', 'CLOSED'],
  },
  {
    orgCode: 'CIVIL_AFFAIRS_BUREAU',
    categoryCode: 'FEAR',
    source: 'SURVEY',
    description: '疑难救助事项推给上级，不愿担责（演示）',
    severity: 'HIGH',
    responsible: '曹红',
    deadline: '2012-02-29',
    measures: '疑难事项集体研究，限时答复（演示）',
    path: ['RECTIFYING'],
  },
  {
    orgCode: 'EAST_SUBDISTRICT_OFFICE',
    categoryCode: 'SHIRKING',
    source: 'PUBLIC_REPORT',
    description: '企业请求事项拖着不批（演示）',
    severity: 'HIGH',
    responsible: '曾志远',
    deadline: '2012-04-15',
    measures: '实行限时办结（演示）',
    path: [],
  },
  {
    orgCode: 'WEST_SUBDISTRICT_OFFICE',
    categoryCode: 'EMPTINESS',
    source: 'SELF_CHECK',
    description: '窗口服务态度生硬，群众反映事难办（演示）',
    severity: 'MEDIUM',
    responsible: '蒋大伟',
    deadline: '2012-05-31',
    measures: '推行微笑服务和一次性告知（演示）',
    path: ['RECTIFYING', 'AWAITING_ACCEPTANCE'],
  },
  {
    orgCode: 'FINANCE_BUREAU',
    categoryCode: 'LAXITY',
    source: 'INSPECTION',
    description: '上班时间上网聊天（演示）',
    severity: 'LOW',
    responsible: '唐伟',
    deadline: '2012-02-15',
    measures: '严格考勤，纳入月度检查（演示）',
    path: [],
    inspectionKey: 'inspection-0',
  },
];

/** Loads the campaign demo; runs inside loadDemoData's transaction, after the directory data. */
export async function loadCampaignDemo(tx: Executor, orgIds: ReadonlyMap<string, { id: number }>): Promise<void> {
  const orgId = (code: string) => {
    const id = orgIds.get(code)?.id;
    if (id === undefined) throw new Error(`campaign demo names unknown unit ${code}`);
    return id;
  };
  const cadreRows = await tx
    .select({ id: cadres.id, name: cadres.name })
    .from(cadres)
    .where(
      inArray(
        cadres.employeeNumber,
        demoCadres.map((cadre) => cadre.employeeNumber),
      ),
    );
  const cadreId = (name: string) => {
    const row = cadreRows.find((cadre) => cadre.name === name);
    if (!row) throw new Error(`campaign demo names unknown cadre ${name}`);
    return row.id;
  };

  const c = demoCampaign;
  const [campaign] = await tx
    .insert(campaigns)
    .values({ code: c.code, name: c.name, slogan: c.slogan, startsOn: c.startsOn, endsOn: c.endsOn })
    .returning({ id: campaigns.id });
  if (!campaign) throw new Error('demo campaign was not inserted');
  const campaignId = campaign.id;

  const dimensionRows = await tx
    .insert(campaignDimensions)
    .values(c.dimensions.map(([code, name], sortOrder) => ({ campaignId, code, name, sortOrder })))
    .returning({ id: campaignDimensions.id, code: campaignDimensions.code });
  await tx
    .insert(campaignCapabilities)
    .values(c.capabilities.map(([code, name], sortOrder) => ({ campaignId, code, name, sortOrder })));
  await tx
    .insert(campaignExpectedChanges)
    .values(c.expectedChanges.map((text, sortOrder) => ({ campaignId, text, sortOrder })));
  await tx
    .insert(campaignConductPairs)
    .values(c.conductCode.map(([less, more], sortOrder) => ({ campaignId, less, more, sortOrder })));
  await tx.insert(supervisionCadences).values(c.supervision.map((rule) => ({ campaignId, ...rule })));

  const categoryRows = await tx
    .insert(problemCategories)
    .values(demoProblemCategories.map((category, sortOrder) => ({ ...category, sortOrder })))
    .returning({ id: problemCategories.id, code: problemCategories.code });

  for (const group of demoLeadingGroups) {
    const [row] = await tx
      .insert(leadingGroups)
      .values({
        campaignId,
        organizationId: orgId(group.orgCode),
        name: group.name,
        officeOrganizationId: group.officeOrgCode ? orgId(group.officeOrgCode) : null,
        establishedOn: '2012-01-01',
      })
      .returning({ id: leadingGroups.id });
    if (!row) throw new Error(`demo leading group of ${group.orgCode} was not inserted`);
    await tx.insert(leadingGroupMembers).values(
      group.members.map(([name, role], sortOrder) => ({
        leadingGroupId: row.id,
        cadreId: cadreId(name),
        role,
        sortOrder,
      })),
    );
  }

  const activityIds = new Map<string, number>();
  for (const activity of demoActivities) {
    const [row] = await tx
      .insert(activities)
      .values({
        campaignId,
        organizerOrganizationId: orgId(activity.orgCode),
        kind: activity.kind,
        title: activity.title,
        startsAt: activity.startsAt,
        endsAt: activity.endsAt ?? null,
        place: activity.place ?? null,
        summary: activity.summary ?? null,
        recurrence: activity.recurrence ?? null,
      })
      .returning({ id: activities.id });
    if (!row) throw new Error(`demo activity ${activity.key} was not inserted`);
    await writeOccurrences(
      tx,
      { id: row.id, startsAt: activity.startsAt, recurrence: activity.recurrence ?? null },
      c.endsOn,
    );
    activityIds.set(activity.key, row.id);
    const dimensionIds = activity.dimensions.map((code) => dimensionRows.find((d) => d.code === code)?.id ?? 0);
    if (dimensionIds.length > 0) {
      await tx
        .insert(activityDimensions)
        .values(dimensionIds.map((dimensionId) => ({ activityId: row.id, dimensionId })));
    }
    await tx.insert(activityParticipants).values(
      activity.participants.map((p) => ({
        activityId: row.id,
        cadreId: cadreId(p.name),
        pairedVillage: p.village ?? null,
        pairedEnterprise: p.enterprise ?? null,
        pairedCommunity: p.community ?? null,
        hostUnit: p.hostUnit ?? null,
      })),
    );
    for (const occurrence of activity.attendance ?? []) {
      await tx.insert(activityAttendance).values(
        activity.participants.map((p) => {
          const status: AttendanceStatus = occurrence.absent?.includes(p.name)
            ? 'ABSENT'
            : occurrence.onLeave?.includes(p.name)
              ? 'ON_LEAVE'
              : 'PRESENT';
          return { activityId: row.id, cadreId: cadreId(p.name), occursOn: occurrence.occursOn, status };
        }),
      );
    }
  }

  for (const problem of demoProblems) {
    const [row] = await tx
      .insert(problems)
      .values({
        campaignId,
        organizationId: orgId(problem.orgCode),
        categoryId: categoryRows.find((category) => category.code === problem.categoryCode)?.id ?? 0,
        source: problem.source,
        description: problem.description,
        severity: problem.severity,
        responsibleCadreId: cadreId(problem.responsible),
        deadline: problem.deadline,
        measures: problem.measures,
        state: problem.path.at(-1) ?? 'FOUND',
        inspectionActivityId: problem.inspectionKey ? (activityIds.get(problem.inspectionKey) ?? null) : null,
      })
      .returning({ id: problems.id });
    if (!row) throw new Error('demo problem was not inserted');
    const states: (ProblemState | null)[] = [null, 'FOUND', ...problem.path];
    await tx.insert(problemTransitions).values(
      states.slice(1).map((toState, index) => ({
        problemId: row.id,
        fromState: states[index] ?? null,
        toState: toState as ProblemState,
        actorKind: 'SYSTEM' as const,
        actorId: 'demo',
        comment: index === 0 ? '调研查摆（演示）' : '整改推进（演示）',
      })),
    );
  }
}
