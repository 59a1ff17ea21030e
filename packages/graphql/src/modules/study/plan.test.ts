import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorCodes, openTestApi, type TestApi, userViewer } from '../../test-support.ts';

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
      topics { month title method heldOn }
    }
  }
`;

interface PlanData {
  studyPlan: {
    organization: { code: string };
    title: string;
    topicsHeld: number;
    topicsPlanned: number;
    topics: { month: number; title: string; method: string; heldOn: string | null }[];
  } | null;
}

describe('study plans', () => {
  it('serves the demo center group plan: 12 monthly topics, with progress, in one statement', async () => {
    const executed = await api.execute<PlanData>(PLAN, { orgCode: 'PARTY_WORKING_COMMITTEE' });
    expect(executed.statements).toHaveLength(1);
    const plan = dataOf(executed).studyPlan;
    expect(plan?.topics.map((topic) => topic.month)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(plan).toMatchObject({ organization: { code: 'PARTY_WORKING_COMMITTEE' }, topicsPlanned: 12, topicsHeld: 3 });
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
});
