import { activities, campaigns, organizations, studyPlans, studyPlanTopics } from '@sixtype/db';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorCodes, globalId, openTestApi, type TestApi, userViewer } from '../../test-support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
});

afterAll(async () => {
  await api?.close();
});

const PLAN = /* GraphQL */ `
  query Plan($orgCode: String!) {
    studyPlan(orgCode: $orgCode, campaignCode: "SIX_TYPE_2012", year: 2012) {
      organization { code }
      title
      topicsHeld
      topicsPlanned
      topics { month title method heldOn activity { startsAt } }
    }
  }
`;

interface PlanData {
  studyPlan: {
    organization: { code: string };
    title: string;
    topicsHeld: number;
    topicsPlanned: number;
    topics: {
      month: number;
      title: string;
      method: string;
      heldOn: string | null;
      activity: { startsAt: string } | null;
    }[];
  } | null;
}

describe('study plans', () => {
  it('serves the demo center group plan: 12 monthly topics, with progress, in one statement', async () => {
    const executed = await api.execute<PlanData>(PLAN, { orgCode: 'PARTY_WORKING_COMMITTEE' });
    expect(executed.statements).toHaveLength(1);
    const plan = dataOf(executed).studyPlan;
    expect(plan?.topics.map((topic) => topic.month)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(plan).toMatchObject({ organization: { code: 'PARTY_WORKING_COMMITTEE' }, topicsPlanned: 12, topicsHeld: 3 });
    // The topics held were held at the center group's (demo) meetings on those days.
    expect(plan?.topics.slice(0, 4).map((topic) => [topic.heldOn, topic.activity?.startsAt ?? null])).toEqual([
      ['2012-01-20', '2012-01-20T01:00:00.000Z'],
      ['2012-02-20', '2012-02-20T01:00:00.000Z'],
      ['2012-03-20', '2012-03-20T01:00:00.000Z'],
      [null, null],
    ]);
    expect(dataOf(await api.execute<PlanData>(PLAN, { orgCode: 'PETITION_OFFICE' })).studyPlan).toBeNull();
  });

  it('lets a manager plan for their subtree and mark topics held, and nothing outside it', async () => {
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'PETITION_OFFICE' });
    const CREATE = /* GraphQL */ `
      mutation C($input: CreateStudyPlanInput!) {
        createStudyPlan(input: $input) {
          __typename
          ... on CreateStudyPlanPayload { plan { topicsPlanned topics { month title } } }
          ... on UserError { code message }
        }
      }
    `;
    const input = {
      orgCode: 'PETITION_OFFICE',
      campaignCode: 'SIX_TYPE_2012',
      year: 2012,
      title: '信访办学习计划',
      topics: [
        { month: 1, title: '《信访条例》', readings: '《信访条例》全文' },
        { month: 2, title: '信访事项的受理', keyPoints: '受理、办理、督办' },
      ],
    };
    const created = dataOf(await api.execute<{ createStudyPlan: unknown }>(CREATE, { input }, manager));
    expect(created.createStudyPlan).toMatchObject({ __typename: 'CreateStudyPlanPayload', plan: { topicsPlanned: 2 } });
    const again = dataOf(await api.execute<{ createStudyPlan: unknown }>(CREATE, { input }, manager));
    expect(again.createStudyPlan).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });

    const outside = await api.execute(CREATE, { input: { ...input, orgCode: 'FAMILY_PLANNING_OFFICE' } }, manager);
    expect(errorCodes(outside)).toEqual(['FORBIDDEN']);

    const duplicateMonth = dataOf(
      await api.execute<{ createStudyPlan: unknown }>(
        CREATE,
        { input: { ...input, year: 2013, topics: [input.topics[0], input.topics[0]] } },
        manager,
      ),
    );
    expect(duplicateMonth.createStudyPlan).toMatchObject({ __typename: 'ValidationError', code: 'BAD_USER_INPUT' });

    const MARK = /* GraphQL */ `
      mutation M($input: MarkStudyPlanTopicHeldInput!) {
        markStudyPlanTopicHeld(input: $input) {
          __typename
          ... on MarkStudyPlanTopicHeldPayload { plan { topicsHeld } }
          ... on UserError { code }
        }
      }
    `;
    const marked = dataOf(
      await api.execute<{ markStudyPlanTopicHeld: unknown }>(
        MARK,
        {
          input: {
            orgCode: 'PETITION_OFFICE',
            campaignCode: 'SIX_TYPE_2012',
            year: 2012,
            month: 1,
            heldOn: '2012-01-10',
          },
        },
        manager,
      ),
    );
    expect(marked.markStudyPlanTopicHeld).toMatchObject({ plan: { topicsHeld: 1 } });
    const missing = dataOf(
      await api.execute<{ markStudyPlanTopicHeld: unknown }>(
        MARK,
        {
          input: {
            orgCode: 'PETITION_OFFICE',
            campaignCode: 'SIX_TYPE_2012',
            year: 2012,
            month: 7,
            heldOn: '2012-07-10',
          },
        },
        manager,
      ),
    );
    expect(missing.markStudyPlanTopicHeld).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('records a topic held at an activity of the unit or a unit above it, on a day the activity takes place', async () => {
    const [campaign] = await api.db.select().from(campaigns).where(eq(campaigns.code, 'SIX_TYPE_2012'));
    const units = new Map(
      (
        await api.db
          .select()
          .from(organizations)
          .where(inArray(organizations.code, ['ZONE', 'PARTY_WORKING_COMMITTEE', 'PETITION_OFFICE']))
      ).map((unit) => [unit.code, unit.id]),
    );
    const activity = async (orgCode: string, startsAt: string, recurrence: string | null = null) => {
      const [row] = await api.db
        .insert(activities)
        .values({
          campaignId: campaign?.id ?? 0,
          organizerOrganizationId: units.get(orgCode) ?? 0,
          kind: 'CENTER_GROUP_STUDY',
          title: `中心组学习（测试）${orgCode}`,
          startsAt,
          recurrence,
        })
        .returning();
      return globalId('Activity', row?.id ?? 0);
    };
    const byZone = await activity('ZONE', '2012-04-20T09:00:00+08:00');
    const monthly = await activity(
      'PARTY_WORKING_COMMITTEE',
      '2012-05-25T09:00:00+08:00',
      'FREQ=MONTHLY;BYMONTHDAY=25',
    );
    const bySibling = await activity('PETITION_OFFICE', '2012-06-20T09:00:00+08:00');

    const MARK = /* GraphQL */ `
      mutation M($input: MarkStudyPlanTopicHeldInput!) {
        markStudyPlanTopicHeld(input: $input) {
          __typename
          ... on MarkStudyPlanTopicHeldPayload { plan { topicsHeld topics { month heldOn activity { title } } } }
          ... on UserError { code message }
        }
      }
    `;
    type Marked = {
      markStudyPlanTopicHeld: {
        __typename: string;
        message?: string;
        plan?: {
          topicsHeld: number;
          topics: { month: number; heldOn: string | null; activity: { title: string } | null }[];
        };
      };
    };
    const mark = async (month: number, activityId: string, heldOn?: string) =>
      dataOf(
        await api.execute<Marked>(MARK, {
          input: {
            orgCode: 'PARTY_WORKING_COMMITTEE',
            campaignCode: 'SIX_TYPE_2012',
            year: 2012,
            month,
            activityId,
            heldOn,
          },
        }),
      ).markStudyPlanTopicHeld;
    const topicRows = async () =>
      api.db
        .select({
          month: studyPlanTopics.month,
          heldOn: studyPlanTopics.heldOn,
          activityId: studyPlanTopics.activityId,
        })
        .from(studyPlanTopics)
        .innerJoin(studyPlans, eq(studyPlans.id, studyPlanTopics.planId))
        .where(and(eq(studyPlans.organizationId, units.get('PARTY_WORKING_COMMITTEE') ?? 0)))
        .orderBy(studyPlanTopics.month);

    // A one-off session of the zone: the day defaults to the session's.
    const april = await mark(4, byZone);
    expect(april.plan?.topicsHeld).toBe(4);
    expect(april.plan?.topics[3]).toEqual({
      month: 4,
      heldOn: '2012-04-20',
      activity: { title: '中心组学习（测试）ZONE' },
    });

    const before = await topicRows();
    // A recurring one needs the day named, and that day must be one of its occurrences.
    expect(await mark(5, monthly)).toMatchObject({ __typename: 'ValidationError' });
    expect(await mark(5, monthly, '2012-05-24')).toMatchObject({ __typename: 'ValidationError' });
    // A sibling unit's session is not this unit's center group.
    expect(await mark(6, bySibling)).toMatchObject({ __typename: 'ValidationError' });
    expect(await mark(6, globalId('Activity', 999_999))).toMatchObject({ __typename: 'NotFoundError' });
    expect(await topicRows()).toEqual(before);

    const may = await mark(5, monthly, '2012-05-25');
    expect(may.plan?.topics[4]).toMatchObject({
      heldOn: '2012-05-25',
      activity: { title: '中心组学习（测试）PARTY_WORKING_COMMITTEE' },
    });
  });

  it('refuses a plan for a campaign that does not exist', async () => {
    const created = dataOf(
      await api.execute<{ createStudyPlan: unknown }>(
        `mutation { createStudyPlan(input: { orgCode: "PETITION_OFFICE", campaignCode: "NO_SUCH_CAMPAIGN", year: 2012,
           title: "计划", topics: [] }) { __typename ... on UserError { code } } }`,
      ),
    );
    expect(created.createStudyPlan).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });
});
