import { activities, campaigns, fixClock, organizations, resetClock } from '@sixtype/db';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  dataOf,
  errorCodes,
  openTestApi,
  rolledBackSuite,
  type TestApi,
  userViewer,
} from '../../test-support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
});
afterAll(async () => {
  await api?.close();
});

const CAMPAIGN = /* GraphQL */ `
  query Campaign($code: String!) {
    campaign(code: $code) {
      code
      name
      slogan
      dimensions { code name }
      capabilities { code name }
      expectedChanges
      conductCode { less more text }
      supervisionCadences { activityKind period description }
      leadingGroups {
        name
        organization { code }
        office { code }
        members { role cadre { name organization { code } } }
      }
    }
  }
`;

interface CampaignResult {
  campaign: {
    code: string;
    name: string;
    slogan: string;
    dimensions: { code: string; name: string }[];
    capabilities: { code: string; name: string }[];
    expectedChanges: string[];
    conductCode: { less: string; more: string; text: string }[];
    supervisionCadences: { activityKind: string; period: string; description: string }[];
    leadingGroups: {
      name: string;
      organization: { code: string };
      office: { code: string } | null;
      members: { role: string; cadre: { name: string; organization: { code: string } } }[];
    }[];
  } | null;
}

describe('campaign(code:)', () => {
  it('answers the demo campaign as the document lists it, in one statement', async () => {
    const executed = await api.execute<CampaignResult>(CAMPAIGN, { code: 'SIX_TYPE_2012' });
    const { campaign } = dataOf(executed);
    expect(executed.statements).toHaveLength(1);
    expect(campaign?.slogan).toBe('跨越赶超自我加压，凝心聚力决战2012');
    expect(campaign?.dimensions).toEqual([
      { code: 'LEARNING', name: '学习型' },
      { code: 'INNOVATIVE', name: '创新型' },
      { code: 'PRAGMATIC', name: '务实型' },
      { code: 'SERVICE', name: '服务型' },
      { code: 'HARMONIOUS', name: '和谐型' },
      { code: 'CLEAN', name: '廉洁型' },
    ]);
    expect(campaign?.capabilities).toEqual([
      { code: 'LEARNING_POWER', name: '学习力' },
      { code: 'EXECUTION', name: '执行力' },
      { code: 'COHESION', name: '凝聚力' },
      { code: 'INNOVATION', name: '创新力' },
      { code: 'IMMUNITY', name: '免疫力' },
    ]);
    expect(campaign?.expectedChanges).toEqual([
      '思想上明显进步',
      '作风上明显转变',
      '能力上明显加强',
      '效率上明显提高',
      '素质上明显强化',
      '形象上明显改观',
    ]);
    expect(campaign?.conductCode.map((pair) => pair.text)).toEqual([
      '少应酬、多学习',
      '少空谈、多实干',
      '少坐班、多下乡',
      '少说“不”、多说“行”',
      '少回避、多挑担',
      '少谋人、多谋事',
      '少享乐、多奉献',
      '少干预、多服务',
      '少添乱、多帮忙',
      '少设路障、多设路标',
    ]);
    expect(campaign?.supervisionCadences).toEqual([
      { activityKind: 'DISPATCH_MEETING', period: 'HALF_MONTH', description: '半月一调度' },
      { activityKind: 'INSPECTION', period: 'MONTH', description: '一月一检查' },
    ]);
  });

  it('sets up the zone’s leading group: 组长 from 党工委, 副组长 from 纪工委, office under 纪工委', async () => {
    const { campaign } = dataOf(await api.execute<CampaignResult>(CAMPAIGN, { code: 'SIX_TYPE_2012' }));
    const zone = campaign?.leadingGroups.find((group) => group.organization.code === 'ZONE');
    expect(zone?.office?.code).toBe('SIX_TYPE_OFFICE');
    expect(zone?.members[0]).toMatchObject({
      role: 'LEADER',
      cadre: { organization: { code: 'PARTY_WORKING_COMMITTEE' } },
    });
    expect(zone?.members[1]).toMatchObject({
      role: 'DEPUTY_LEADER',
      cadre: { organization: { code: 'DISCIPLINE_WORKING_COMMITTEE' } },
    });
    expect(zone?.members.slice(2).map((member) => member.cadre.organization.code)).toContain(
      'INVESTMENT_PROMOTION_BUREAU',
    );
  });

  it('is null for an unknown code and refuses a malformed one', async () => {
    expect(dataOf(await api.execute<CampaignResult>(CAMPAIGN, { code: 'NO_SUCH' })).campaign).toBeNull();
    expect(errorCodes(await api.execute(CAMPAIGN, { code: 'bad code' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('hides leading-group members outside a cadre’s subtree', async () => {
    const viewer = await userViewer(api.db, 'CADRE', { orgCode: 'PETITION_OFFICE' });
    const { campaign } = dataOf(await api.execute<CampaignResult>(CAMPAIGN, { code: 'SIX_TYPE_2012' }, viewer));
    expect(campaign?.leadingGroups.map((group) => group.organization.code)).toEqual(['PETITION_OFFICE']);
    expect(campaign?.dimensions).toHaveLength(6);
  });

  it('needs a credential', async () => {
    expect(errorCodes(await api.execute(CAMPAIGN, { code: 'SIX_TYPE_2012' }, ANONYMOUS))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('campaigns', () => {
  it('lists campaigns with their total in one statement', async () => {
    const executed = await api.execute<{ campaigns: { totalCount: number; nodes: { code: string }[] } }>(
      `{ campaigns(first: 10) { totalCount nodes { code dimensions { code } } } }`,
    );
    expect(dataOf(executed).campaigns).toMatchObject({ totalCount: 1, nodes: [{ code: 'SIX_TYPE_2012' }] });
    expect(executed.statements).toHaveLength(1);
  });
});

describe('organizationsWithoutLeadingGroup', () => {
  it('lists the units that have not set up their own group (the office of the zone’s group excepted)', async () => {
    const executed = await api.execute<{ organizationsWithoutLeadingGroup: { code: string }[] }>(
      `{ organizationsWithoutLeadingGroup(campaignCode: "SIX_TYPE_2012") { code } }`,
    );
    const codes = dataOf(executed).organizationsWithoutLeadingGroup.map((org) => org.code);
    expect(executed.statements).toHaveLength(1);
    expect(codes).toContain('FAMILY_PLANNING_OFFICE');
    expect(codes).toContain('EAST_SUBDISTRICT_OFFICE');
    expect(codes).not.toContain('INVESTMENT_PROMOTION_BUREAU');
    expect(codes).not.toContain('PETITION_OFFICE');
    expect(codes).not.toContain('SIX_TYPE_OFFICE');
    expect(codes).not.toContain('ZONE');
  });

  it('narrows the list to a unit and the units below it, in one statement', async () => {
    const within = async (orgCode: string) => {
      const executed = await api.execute<{ organizationsWithoutLeadingGroup: { code: string }[] }>(
        `query Within($orgCode: String) {
           organizationsWithoutLeadingGroup(campaignCode: "SIX_TYPE_2012", orgCode: $orgCode) { code } }`,
        { orgCode },
      );
      expect(executed.statements).toHaveLength(1);
      return dataOf(executed).organizationsWithoutLeadingGroup.map((org) => org.code);
    };
    const zone = await within('ZONE');
    expect(zone).toContain('FAMILY_PLANNING_OFFICE');
    expect(zone).toContain('EAST_SUBDISTRICT_OFFICE');
    expect(await within('EAST_SUBDISTRICT_OFFICE')).toEqual(['EAST_SUBDISTRICT_OFFICE']);
    expect(await within('NO_SUCH_UNIT')).toEqual([]);
  });
});

describe('cadenceGaps', () => {
  const GAPS = /* GraphQL */ `
    query Gaps($campaignCode: String! = "SIX_TYPE_2012", $orgCode: String!, $from: Date!, $to: Date!) {
      cadenceGaps(campaignCode: $campaignCode, orgCode: $orgCode, from: $from, to: $to) {
        activityKind
        period
        periodStart
        periodEnd
        label
      }
    }
  `;
  type Gap = { activityKind: string; period: string; periodStart: string; periodEnd: string; label: string };

  // The rows this block's beforeAll adds are its tests' only, rolled back after its last test.
  rolledBackSuite(() => api.scopes);
  beforeAll(async () => {
    // A unit of its own with meetings on chosen days, so the demo's meetings do not interfere.
    const [zone] = await api.db.select().from(organizations).where(eq(organizations.code, 'ZONE'));
    const [campaign] = await api.db.select().from(campaigns).where(eq(campaigns.code, 'SIX_TYPE_2012'));
    if (!zone || !campaign) throw new Error('demo data missing');
    const [unit] = await api.db
      .insert(organizations)
      .values({
        code: 'CADENCE_FIXTURE',
        name: '调度检查测试单位',
        kind: 'OFFICE',
        parentId: zone.id,
        path: 'ZONE.CADENCE_FIXTURE',
      })
      .returning();
    const [below] = await api.db
      .insert(organizations)
      .values({
        code: 'CADENCE_FIXTURE_CHILD',
        name: '下属单位',
        kind: 'OFFICE',
        parentId: unit?.id ?? 0,
        path: 'ZONE.CADENCE_FIXTURE.CADENCE_FIXTURE_CHILD',
      })
      .returning();
    await api.db.insert(organizations).values({
      code: 'CADENCE_CHILDLESS',
      name: '无活动测试单位',
      kind: 'OFFICE',
      parentId: zone.id,
      path: 'ZONE.CADENCE_CHILDLESS',
    });
    await api.db.insert(organizations).values({
      code: 'CADENCE_RECURRING',
      name: '双周调度测试单位',
      kind: 'OFFICE',
      parentId: zone.id,
      path: 'ZONE.CADENCE_RECURRING',
    });
    const meeting = (kind: 'DISPATCH_MEETING' | 'INSPECTION', startsAt: string, organizerId = unit?.id ?? 0) => ({
      campaignId: campaign.id,
      organizerOrganizationId: organizerId,
      kind,
      title: `${kind} ${startsAt}`,
      startsAt,
    });
    await api.db.insert(activities).values([
      meeting('DISPATCH_MEETING', '2012-01-15T17:00:00+08:00'), // last day of January's first half
      meeting('DISPATCH_MEETING', '2012-01-16T09:00:00+08:00', below?.id), // held by a unit below
      // 2012-02-16 01:00 in the zone is still 2012-02-15 in UTC: it belongs to the second half.
      meeting('DISPATCH_MEETING', '2012-02-16T01:00:00+08:00'),
      meeting('DISPATCH_MEETING', '2012-03-01T09:00:00+08:00'),
      // New Year's Day 00:30 in the zone is 2011-12-31 in UTC: it is January's inspection.
      meeting('INSPECTION', '2012-01-01T00:30:00+08:00'),
      meeting('INSPECTION', '2012-02-29T10:00:00+08:00'), // leap day: still February
    ]);
    // Campaigns with the same two rules: one without dates, one from 10 January to 20 February 2012.
    for (const [code, startsOn, endsOn] of [
      ['CADENCE_OPEN', null, null],
      ['CADENCE_SHORT', '2012-01-10', '2012-02-20'],
    ]) {
      const created = await api.execute<{ createCampaign: { __typename: string } }>(
        `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { __typename } }`,
        {
          input: {
            code,
            name: `${code}（测试）`,
            startsOn,
            endsOn,
            dimensions: [{ code: 'LEARNING', name: '学习型' }],
            supervisionCadences: [
              { activityKind: 'DISPATCH_MEETING', period: 'HALF_MONTH' },
              { activityKind: 'INSPECTION', period: 'MONTH' },
            ],
          },
        },
      );
      expect(dataOf(created).createCampaign.__typename).toBe('CreateCampaignPayload');
    }
  });
  afterEach(() => resetClock());

  it('returns exactly the half-months without a dispatch meeting and the months without an inspection', async () => {
    const executed = await api.execute<{ cadenceGaps: Gap[] }>(GAPS, {
      orgCode: 'CADENCE_FIXTURE',
      from: '2012-01-01',
      to: '2012-03-31',
    });
    expect(executed.statements).toHaveLength(1);
    expect(dataOf(executed).cadenceGaps).toEqual([
      {
        activityKind: 'DISPATCH_MEETING',
        period: 'HALF_MONTH',
        periodStart: '2012-02-01',
        periodEnd: '2012-02-15',
        label: '2012-02-H1',
      },
      {
        activityKind: 'INSPECTION',
        period: 'MONTH',
        periodStart: '2012-03-01',
        periodEnd: '2012-03-31',
        label: '2012-03',
      },
      {
        activityKind: 'DISPATCH_MEETING',
        period: 'HALF_MONTH',
        periodStart: '2012-03-16',
        periodEnd: '2012-03-31',
        label: '2012-03-H2',
      },
    ]);
  });

  it('counts every occurrence of a recurring meeting, not only its first', async () => {
    const created = dataOf(
      await api.execute<{ createActivity: { __typename: string } }>(
        `mutation { createActivity(input: { campaignCode: "SIX_TYPE_2012", organizerOrgCode: "CADENCE_RECURRING",
           kind: DISPATCH_MEETING, title: "双周调度会（测试）", startsAt: "2012-01-05T09:00:00+08:00",
           recurrence: "FREQ=WEEKLY;INTERVAL=2" }) { __typename } }`,
      ),
    );
    expect(created.createActivity.__typename).toBe('CreateActivityPayload');
    // Every other Thursday from 5 January: the 5th and 19th, 2 and 16 February, 1, 15 and 29 March —
    // at least one in each half-month, so only the inspections are missing.
    const gaps = dataOf(
      await api.execute<{ cadenceGaps: Gap[] }>(GAPS, {
        orgCode: 'CADENCE_RECURRING',
        from: '2012-01-01',
        to: '2012-03-31',
      }),
    ).cadenceGaps;
    expect(gaps.map((gap) => gap.label)).toEqual(['2012-01', '2012-02', '2012-03']);
    expect(gaps.every((gap) => gap.activityKind === 'INSPECTION')).toBe(true);
  });

  it('ends February on the 29th in a leap year and the 28th otherwise', async () => {
    const leap = dataOf(
      await api.execute<{ cadenceGaps: Gap[] }>(GAPS, {
        orgCode: 'CADENCE_FIXTURE_CHILD',
        from: '2012-02-01',
        to: '2012-02-29',
      }),
    ).cadenceGaps;
    expect(leap.map((gap) => [gap.label, gap.periodStart, gap.periodEnd])).toEqual([
      ['2012-02-H1', '2012-02-01', '2012-02-15'],
      ['2012-02', '2012-02-01', '2012-02-29'],
      ['2012-02-H2', '2012-02-16', '2012-02-29'],
    ]);
    const common = dataOf(
      await api.execute<{ cadenceGaps: Gap[] }>(GAPS, {
        campaignCode: 'CADENCE_OPEN',
        orgCode: 'CADENCE_FIXTURE',
        from: '2013-02-10',
        to: '2013-02-20',
      }),
    ).cadenceGaps;
    expect(common.map((gap) => [gap.label, gap.periodStart, gap.periodEnd])).toEqual([
      ['2013-02-H1', '2013-02-01', '2013-02-15'],
      ['2013-02', '2013-02-01', '2013-02-28'],
      ['2013-02-H2', '2013-02-16', '2013-02-28'],
    ]);
  });

  it('lists only the periods the campaign runs in', async () => {
    // 1 December 2011 to 31 March 2012 asked for; the campaign runs from 10 January to 20 February.
    const gaps = dataOf(
      await api.execute<{ cadenceGaps: Gap[] }>(GAPS, {
        campaignCode: 'CADENCE_SHORT',
        orgCode: 'CADENCE_CHILDLESS',
        from: '2011-12-01',
        to: '2012-03-31',
      }),
    ).cadenceGaps;
    expect(gaps.map((gap) => gap.label)).toEqual([
      '2012-01-H1',
      '2012-01',
      '2012-01-H2',
      '2012-02-H1',
      '2012-02',
      '2012-02-H2',
    ]);
  });

  it('lists no period that has not begun by today in the zone, and the period under way until it is held', async () => {
    const labels = async () =>
      dataOf(
        await api.execute<{ cadenceGaps: Gap[] }>(GAPS, {
          campaignCode: 'CADENCE_OPEN',
          orgCode: 'CADENCE_CHILDLESS',
          from: '2012-01-01',
          to: '2012-12-31',
        }),
      ).cadenceGaps.map((gap) => gap.label);
    // 00:30 on 16 February in the zone, still the 15th in UTC: the second half of February has begun.
    fixClock('2012-02-16T00:30:00+08:00');
    expect(await labels()).toEqual(['2012-01-H1', '2012-01', '2012-01-H2', '2012-02-H1', '2012-02', '2012-02-H2']);
    fixClock('2012-02-15T23:30:00+08:00');
    expect(await labels()).toEqual(['2012-01-H1', '2012-01', '2012-01-H2', '2012-02-H1', '2012-02']);
  });

  it('shows the demo zone lacking March’s second dispatch meeting and March’s inspection', async () => {
    const { cadenceGaps } = dataOf(
      await api.execute<{ cadenceGaps: Gap[] }>(GAPS, {
        orgCode: 'SIX_TYPE_OFFICE',
        from: '2012-01-01',
        to: '2012-03-31',
      }),
    );
    expect(cadenceGaps.map((gap) => gap.label)).toEqual(['2012-03', '2012-03-H2']);
  });

  it('refuses an unknown unit and a backwards range', async () => {
    expect(
      errorCodes(await api.execute(GAPS, { orgCode: 'NO_SUCH_UNIT', from: '2012-01-01', to: '2012-01-31' })),
    ).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(await api.execute(GAPS, { orgCode: 'CADENCE_FIXTURE', from: '2012-02-01', to: '2012-01-31' })),
    ).toEqual(['BAD_USER_INPUT']);
  });
});

describe('createCampaign', () => {
  const CREATE = /* GraphQL */ `
    mutation Create($input: CreateCampaignInput!) {
      createCampaign(input: $input) {
        __typename
        ... on CreateCampaignPayload { campaign { code dimensions { code name } expectedChanges conductCode { text } } }
        ... on UserError { code message }
      }
    }
  `;
  const fourTypes = {
    code: 'FOUR_TYPE_2013',
    name: '创建“四型机关”活动（测试）',
    dimensions: [
      { code: 'LEARNING', name: '学习型' },
      { code: 'SERVICE', name: '服务型' },
      { code: 'INNOVATIVE', name: '创新型' },
      { code: 'CLEAN', name: '廉洁型' },
    ],
    expectedChanges: ['作风上明显转变'],
    conductCode: [{ less: '少应酬', more: '多学习' }],
  };

  it('makes a variant campaign a matter of rows, with one audit row; admins only', async () => {
    const before = await api.lastAuditId();
    const { createCampaign } = dataOf(
      await api.execute<{
        createCampaign: { campaign: { dimensions: { code: string }[]; conductCode: { text: string }[] } };
      }>(CREATE, { input: fourTypes }),
    );
    expect(createCampaign.campaign.dimensions.map((d) => d.code)).toEqual([
      'LEARNING',
      'SERVICE',
      'INNOVATIVE',
      'CLEAN',
    ]);
    expect(createCampaign.campaign.conductCode).toEqual([{ text: '少应酬、多学习' }]);
    expect((await api.auditEventsAfter(before)).map((row) => row.operation)).toEqual(['createCampaign']);

    const again = dataOf(await api.execute<{ createCampaign: { __typename: string } }>(CREATE, { input: fourTypes }));
    expect(again.createCampaign.__typename).toBe('ConflictError');
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'ZONE' });
    expect(errorCodes(await api.execute(CREATE, { input: { ...fourTypes, code: 'OTHER' } }, manager))).toEqual([
      'FORBIDDEN',
    ]);
    expect((await api.auditEventsAfter(before)).length).toBe(1);
  });

  it('refuses a dimension code listed twice', async () => {
    const { createCampaign } = dataOf(
      await api.execute<{ createCampaign: { __typename: string } }>(CREATE, {
        input: { ...fourTypes, code: 'TWICE', dimensions: [fourTypes.dimensions[0], fourTypes.dimensions[0]] },
      }),
    );
    expect(createCampaign.__typename).toBe('ValidationError');
  });
});

describe('leading groups', () => {
  const CREATE = /* GraphQL */ `
    mutation Create($input: CreateLeadingGroupInput!) {
      createLeadingGroup(input: $input) {
        __typename
        ... on CreateLeadingGroupPayload { leadingGroup { id organization { code } members { role cadre { name } } } }
        ... on UserError { code message }
      }
    }
  `;
  const SET = /* GraphQL */ `
    mutation Set($input: SetLeadingGroupMemberInput!) {
      setLeadingGroupMember(input: $input) {
        __typename
        ... on SetLeadingGroupMemberPayload { leadingGroup { members { role cadre { name } } } }
        ... on UserError { code message }
      }
    }
  `;
  type Group = { id: string; members: { role: string; cadre: { name: string } }[] };

  it('sets up a unit’s group, then the unit no longer lacks one', async () => {
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'FAMILY_PLANNING_OFFICE' });
    const created = dataOf(
      await api.execute<{ createLeadingGroup: { __typename: string; leadingGroup: Group } }>(
        CREATE,
        {
          input: {
            campaignCode: 'SIX_TYPE_2012',
            orgCode: 'FAMILY_PLANNING_OFFICE',
            name: '计生办创建“六型机关”领导小组',
            members: [
              { employeeNumber: 'KFQ-0020', role: 'MEMBER' },
              { employeeNumber: 'KFQ-0018', role: 'LEADER' },
            ],
          },
        },
        manager,
      ),
    ).createLeadingGroup;
    expect(created.leadingGroup.members.map((m) => [m.role, m.cadre.name])).toEqual([
      ['LEADER', '宋红梅'],
      ['MEMBER', '韩冬'],
    ]);
    const missing = dataOf(
      await api.execute<{ organizationsWithoutLeadingGroup: { code: string }[] }>(
        `{ organizationsWithoutLeadingGroup(campaignCode: "SIX_TYPE_2012") { code } }`,
      ),
    ).organizationsWithoutLeadingGroup.map((org) => org.code);
    expect(missing).not.toContain('FAMILY_PLANNING_OFFICE');

    const set = async (employeeNumber: string, role: string | null) =>
      dataOf(
        await api.execute<{ setLeadingGroupMember: { __typename: string; leadingGroup?: Group } }>(
          SET,
          { input: { leadingGroupId: created.leadingGroup.id, employeeNumber, role } },
          manager,
        ),
      ).setLeadingGroupMember;
    expect((await set('KFQ-0019', 'DEPUTY_LEADER')).leadingGroup?.members.map((m) => m.role)).toEqual([
      'LEADER',
      'DEPUTY_LEADER',
      'MEMBER',
    ]);
    expect((await set('KFQ-0019', 'LEADER')).__typename).toBe('ConflictError');
    expect((await set('KFQ-0020', null)).leadingGroup?.members).toHaveLength(2);

    const again = dataOf(
      await api.execute<{ createLeadingGroup: { __typename: string } }>(
        CREATE,
        { input: { campaignCode: 'SIX_TYPE_2012', orgCode: 'FAMILY_PLANNING_OFFICE', name: '重复' } },
        manager,
      ),
    );
    expect(again.createLeadingGroup.__typename).toBe('ConflictError');
  });

  it('keeps a manager to their subtree', async () => {
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'PETITION_OFFICE' });
    const outside = await api.execute(
      CREATE,
      { input: { campaignCode: 'SIX_TYPE_2012', orgCode: 'FINANCE_BUREAU', name: '越权' } },
      manager,
    );
    expect(errorCodes(outside)).toEqual(['FORBIDDEN']);
  });
});
