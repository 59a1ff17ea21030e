import { eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { writeOccurrences } from '../recurrence.ts';
import { activities, campaigns } from '../schema/campaign.ts';
import { cadres, organizations } from '../schema/directory.ts';
import { metricDefinitions } from '../schema/metrics.ts';
import {
  type StudyMaterialKind,
  type StudyMethod,
  type StudyRequirementGroupKind,
  studyMaterials,
  studyPlans,
  studyPlanTopics,
  studyRecords,
  studyRequirementGroupMaterials,
  studyRequirementGroups,
  studyRequirements,
} from '../schema/study.ts';
import { demoCadres, type Provenance } from './directory.ts';

export const DEMO_STUDY_CAMPAIGN_CODE = 'SIX_TYPE_2012';
export const DEMO_STUDY_YEAR = 2012;

export interface DemoStudyMaterial {
  code: string;
  title: string;
  kind: StudyMaterialKind;
  provenance: Provenance;
}

/** 把学习十七大精神、省市委和区党工委重要会议精神作为必学内容 … 三本书中任选一本 (document order). */
export const demoStudyMaterials: readonly DemoStudyMaterial[] = [
  { code: 'CPC_17TH_NATIONAL_CONGRESS', title: '十七大精神', kind: 'POLICY', provenance: 'document' },
  {
    code: 'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS',
    title: '省市委和区党工委重要会议精神',
    kind: 'POLICY',
    provenance: 'document',
  },
  { code: 'BOOK_DETAILS_DETERMINE_SUCCESS', title: '《细节决定成败》', kind: 'BOOK', provenance: 'document' },
  { code: 'BOOK_NO_EXCUSES', title: '《没有任何借口》', kind: 'BOOK', provenance: 'document' },
  { code: 'BOOK_DO_A_LITTLE_MORE_EACH_DAY', title: '《每天多做一点点》', kind: 'BOOK', provenance: 'document' },
];

export interface DemoStudyRequirement {
  campaignCode: string;
  year: number;
  noteCharactersQuota: number;
  /** The document sets no hours quota (学时); null keeps it that way. */
  hoursQuota: string | null;
  description: string;
  groups: { name: string; kind: StudyRequirementGroupKind; minMaterials: number | null; materialCodes: string[] }[];
  provenance: Provenance;
}

/** The document's requirements, exactly: 必学内容, one of three books, notes of at least 20,000 characters. */
export const demoStudyRequirement: DemoStudyRequirement = {
  campaignCode: DEMO_STUDY_CAMPAIGN_CODE,
  year: DEMO_STUDY_YEAR,
  noteCharactersQuota: 20_000,
  hoursQuota: null,
  description: '认真记好学习笔记，每人全年不少于2万字',
  groups: [
    {
      name: '必学内容',
      kind: 'ALL',
      minMaterials: null,
      materialCodes: ['CPC_17TH_NATIONAL_CONGRESS', 'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS'],
    },
    {
      name: '三本书中任选一本',
      kind: 'CHOICE',
      minMaterials: 1,
      materialCodes: ['BOOK_DETAILS_DETERMINE_SUCCESS', 'BOOK_NO_EXCUSES', 'BOOK_DO_A_LITTLE_MORE_EACH_DAY'],
    },
  ],
  provenance: 'document',
};

/**
 * The study compliance rate as a metric, so dashboards read it through `metricSeries` like the
 * zone's other figures (the platform computes it; see the STUDY_COMPLIANCE_RATE derivation).
 */
export const demoStudyComplianceMetric = {
  code: 'STUDY_COMPLIANCE_RATE',
  name: '干部学习达标率',
  unit: '%',
  kind: 'STOCK',
  aggregation: 'NONE',
  direction: 'HIGHER_IS_BETTER',
  category: 'CAMPAIGN',
  reportingGranularity: 'MONTH',
  description: '机关干部中已完成全年学习要求（笔记不少于2万字、必学内容、三本书中任选一本）的比例',
  derivation: `STUDY_COMPLIANCE_RATE:${DEMO_STUDY_CAMPAIGN_CODE}`,
  // Not one of the document's results (§四): the report's study section gives the rate already.
  headline: false,
} as const;

/**
 * 党工委理论中心组: 12 个专题，每月集中学习. The document gives the count and the rhythm, not the
 * topics; the titles here are demo.
 */
export const demoStudyPlan = {
  orgCode: 'PARTY_WORKING_COMMITTEE',
  campaignCode: DEMO_STUDY_CAMPAIGN_CODE,
  year: DEMO_STUDY_YEAR,
  title: '党工委理论学习中心组2012年学习计划',
  topics: [
    '深入学习十七大精神（演示）',
    '省市委重要会议精神（演示）',
    '区党工委重要会议精神（演示）',
    '《细节决定成败》读书交流（演示）',
    '依法行政与履职能力（演示）',
    '开发区建设发展专题讲座（演示）',
    '招商引资与项目建设（演示）',
    '服务型机关建设（演示）',
    '党风廉政建设（演示）',
    '信访工作与社会稳定（演示）',
    '民生保障与社会事业（演示）',
    '全年学习总结与交流（演示）',
  ].map((title, index) => ({
    month: index + 1,
    title,
    readings: '必读文献（演示）',
    keyPoints: '学习要点（演示）',
    method: 'CONCENTRATED' as StudyMethod,
    // Demo progress: the sessions of January to March were held (the document reports on 1–3月).
    heldOn: index < 3 ? `2012-${String(index + 1).padStart(2, '0')}-20` : null,
  })),
  provenance: 'demo' as Provenance,
};

const NOTE_TEXT = '学习笔记（演示）：深入学习领会精神实质，联系本职工作查找差距，切实转变作风，提高服务能力。';

/** A demo note of exactly `length` characters. */
export function demoNote(length: number): string {
  return NOTE_TEXT.repeat(Math.ceil(length / NOTE_TEXT.length)).slice(0, length);
}

export interface DemoStudyRecord {
  employeeNumber: string;
  studiedOn: string;
  materialCode: string | null;
  method: StudyMethod;
  hours: string;
  noteLength: number;
  provenance: Provenance;
}

/**
 * Demo records (every one invented), in three kinds of cadre so the demo shows each outcome:
 * compliant (20,000 characters, both mandatory materials and one book), behind on characters,
 * and enough characters but no book chosen.
 */
export const demoStudyRecords: readonly DemoStudyRecord[] = demoCadres.flatMap((cadre, index) => {
  const record = (month: number, materialCode: string | null, noteLength: number): DemoStudyRecord => ({
    employeeNumber: cadre.employeeNumber,
    studiedOn: `2012-${String(month).padStart(2, '0')}-15`,
    materialCode,
    method: month % 2 === 0 ? 'SELF_STUDY' : 'CONCENTRATED',
    hours: '2.0',
    noteLength,
    provenance: 'demo',
  });
  const book =
    ['BOOK_DETAILS_DETERMINE_SUCCESS', 'BOOK_NO_EXCUSES', 'BOOK_DO_A_LITTLE_MORE_EACH_DAY'][index % 3] ?? null;
  switch (index % 3) {
    case 0:
      return [
        record(1, 'CPC_17TH_NATIONAL_CONGRESS', 5000),
        record(2, 'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS', 5000),
        record(3, book, 5000),
        record(4, null, 5000),
      ];
    case 1:
      return [record(1, 'CPC_17TH_NATIONAL_CONGRESS', 1500), record(2, book, 1200)];
    default:
      return [
        record(1, 'CPC_17TH_NATIONAL_CONGRESS', 8000),
        record(2, 'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS', 8000),
        record(3, null, 4500),
      ];
  }
});

/** Loads the study demo data; called by loadDemoData inside its transaction, after the directory. */
export async function loadStudyDemoData(tx: Executor): Promise<void> {
  const materialIds = new Map<string, number>();
  for (const [sortOrder, { provenance: _provenance, ...material }] of demoStudyMaterials.entries()) {
    const [row] = await tx
      .insert(studyMaterials)
      .values({ ...material, sortOrder })
      .returning({ id: studyMaterials.id });
    if (row) materialIds.set(material.code, row.id);
  }
  const materialId = (code: string) => {
    const id = materialIds.get(code);
    if (id === undefined) throw new Error(`demo study material ${code} is unknown`);
    return id;
  };

  const { groups, provenance: _provenance, ...requirement } = demoStudyRequirement;
  const [requirementRow] = await tx
    .insert(studyRequirements)
    .values(requirement)
    .returning({ id: studyRequirements.id });
  if (!requirementRow) throw new Error('demo study requirement was not inserted');
  for (const [sortOrder, { materialCodes, ...group }] of groups.entries()) {
    const [groupRow] = await tx
      .insert(studyRequirementGroups)
      .values({ ...group, requirementId: requirementRow.id, sortOrder })
      .returning({ id: studyRequirementGroups.id });
    if (!groupRow) throw new Error(`demo study group ${group.name} was not inserted`);
    await tx
      .insert(studyRequirementGroupMaterials)
      .values(
        materialCodes.map((code, order) => ({ groupId: groupRow.id, materialId: materialId(code), sortOrder: order })),
      );
  }

  await tx.insert(metricDefinitions).values({
    ...demoStudyComplianceMetric,
    sortOrder: sql`(select coalesce(max(${metricDefinitions.sortOrder}) + 1, 0) from ${metricDefinitions})`,
  });

  const [planOrg] = await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(inArray(organizations.code, [demoStudyPlan.orgCode]));
  if (planOrg) {
    const [plan] = await tx
      .insert(studyPlans)
      .values({
        organizationId: planOrg.id,
        campaignCode: demoStudyPlan.campaignCode,
        year: demoStudyPlan.year,
        title: demoStudyPlan.title,
      })
      .returning({ id: studyPlans.id });
    const [campaign] = await tx
      .select({ id: campaigns.id })
      .from(campaigns)
      .where(eq(campaigns.code, demoStudyPlan.campaignCode));
    if (plan) {
      // The topics already held were held at the center group's meetings (demo activities on those days).
      const heldTopics = demoStudyPlan.topics.filter((topic) => topic.heldOn !== null);
      const meetings =
        !campaign || heldTopics.length === 0
          ? []
          : await tx
              .insert(activities)
              .values(
                heldTopics.map((topic) => ({
                  campaignId: campaign.id,
                  organizerOrganizationId: planOrg.id,
                  kind: 'CENTER_GROUP_STUDY' as const,
                  title: `理论学习中心组集中学习：${topic.title}`,
                  startsAt: `${topic.heldOn}T09:00:00+08:00`,
                  summary: '演示数据',
                })),
              )
              .returning({ id: activities.id, startsAt: activities.startsAt, recurrence: activities.recurrence });
      for (const meeting of meetings) await writeOccurrences(tx, meeting, null);
      // RETURNING gives the rows in the order of the VALUES list.
      const meetingOf = new Map(heldTopics.map((topic, index) => [topic.month, meetings[index]?.id ?? null]));
      await tx.insert(studyPlanTopics).values(
        demoStudyPlan.topics.map((topic) => ({
          ...topic,
          planId: plan.id,
          activityId: meetingOf.get(topic.month) ?? null,
        })),
      );
    }
  }

  const cadreRows = await tx
    .select({ id: cadres.id, employeeNumber: cadres.employeeNumber })
    .from(cadres)
    .where(inArray(cadres.employeeNumber, [...new Set(demoStudyRecords.map((record) => record.employeeNumber))]));
  const cadreIds = new Map(cadreRows.map((row) => [row.employeeNumber, row.id]));
  await tx.insert(studyRecords).values(
    demoStudyRecords.map(({ employeeNumber, materialCode, noteLength, provenance: _p, ...record }) => ({
      ...record,
      cadreId: cadreIds.get(employeeNumber) ?? 0,
      materialId: materialCode ? materialId(materialCode) : null,
      note: demoNote(noteLength),
    })),
  );
}
