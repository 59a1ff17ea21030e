import {
  activities,
  activityAttendance,
  activityOccurrences,
  auditEvents,
  expandOccurrences,
  isValidRecurrence,
  MAX_OCCURRENCES,
} from '@sixtype/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorCodes, openTestApi, type TestApi, userViewer } from '../../test-support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
});
afterAll(async () => {
  await api?.close();
});

const zoneDays = (dates: Date[]) =>
  dates.map((date) => new Date(date.getTime() + 8 * 3_600_000).toISOString().slice(0, 10));

describe('recurrence', () => {
  it('expands a Tuesday rule across a month and a year boundary', () => {
    const tuesdays = expandOccurrences('2011-11-29T16:00:00+08:00', 'FREQ=WEEKLY;BYDAY=TU', '2011-12-20', '2012-02-07');
    expect(zoneDays(tuesdays)).toEqual([
      '2011-12-20',
      '2011-12-27',
      '2012-01-03',
      '2012-01-10',
      '2012-01-17',
      '2012-01-24',
      '2012-01-31',
      '2012-02-07',
    ]);
    // The time of day stays 16:00 in the zone (08:00 UTC).
    expect(tuesdays[0]?.toISOString()).toBe('2011-12-20T08:00:00.000Z');
  });

  it('keeps the zone’s day for an early-morning start (still the day before in UTC)', () => {
    const early = expandOccurrences('2012-01-03T07:00:00+08:00', 'FREQ=WEEKLY;BYDAY=TU', '2012-01-01', '2012-01-14');
    expect(zoneDays(early)).toEqual(['2012-01-03', '2012-01-10']);
    expect(early[0]?.toISOString()).toBe('2012-01-02T23:00:00.000Z');
  });

  it('answers a one-off activity once, inside the range only', () => {
    expect(expandOccurrences('2012-02-14T09:00:00+08:00', null, '2012-02-01', '2012-02-29')).toHaveLength(1);
    expect(expandOccurrences('2012-02-14T09:00:00+08:00', null, '2012-03-01', '2012-03-31')).toHaveLength(0);
  });

  it('accepts RRULEs and refuses other text', () => {
    expect(isValidRecurrence('FREQ=WEEKLY;BYDAY=TU')).toBe(true);
    expect(isValidRecurrence('every tuesday')).toBe(false);
  });
});

const ACTIVITIES = /* GraphQL */ `
  query Activities($filter: ActivityFilter, $orgCode: String, $from: Date, $to: Date, $rangeFrom: Date!, $rangeTo: Date!) {
    activities(filter: $filter, orgCode: $orgCode, from: $from, to: $to, first: 50) {
      totalCount
      nodes {
        id
        kind
        title
        recurrence
        organizer { code }
        dimensions { code }
        occurrences(from: $rangeFrom, to: $rangeTo)
        attendanceRate
        participants { cadre { name } pairedVillage pairedEnterprise pairedCommunity hostUnit }
      }
    }
  }
`;
interface ActivityNode {
  id: string;
  kind: string;
  title: string;
  recurrence: string | null;
  organizer: { code: string };
  dimensions: { code: string }[];
  occurrences: string[];
  attendanceRate: number | null;
  participants: {
    cadre: { name: string };
    pairedVillage: string | null;
    pairedEnterprise: string | null;
    pairedCommunity: string | null;
    hostUnit: string | null;
  }[];
}
type ActivitiesResult = { activities: { totalCount: number; nodes: ActivityNode[] } };

describe('activities', () => {
  it('expands 招商局’s Tuesday 外语学习日 over a year boundary, in one statement', async () => {
    const executed = await api.execute<ActivitiesResult>(ACTIVITIES, {
      orgCode: 'INVESTMENT_PROMOTION_BUREAU',
      rangeFrom: '2012-12-20',
      rangeTo: '2013-01-10',
    });
    expect(executed.statements).toHaveLength(1);
    const [day] = dataOf(executed).activities.nodes;
    expect(day).toMatchObject({ kind: 'LANGUAGE_DAY', title: '外语学习日', recurrence: 'FREQ=WEEKLY;BYDAY=TU' });
    expect(day?.occurrences).toEqual([
      '2012-12-25T08:00:00.000Z',
      '2013-01-01T08:00:00.000Z',
      '2013-01-08T08:00:00.000Z',
    ]);
    // Three Tuesdays recorded: 4 present + 3 present and 1 absent + 3 present and 1 on leave.
    expect(day?.attendanceRate).toBeCloseTo(10 / 11, 4);
  });

  it('lists the document’s activities of 信访办公室 and 计划生育办公室 with their pairings', async () => {
    const petition = dataOf(
      await api.execute<ActivitiesResult>(ACTIVITIES, {
        orgCode: 'PETITION_OFFICE',
        rangeFrom: '2012-01-01',
        rangeTo: '2012-12-31',
      }),
    ).activities.nodes;
    expect(petition.map((activity) => activity.title)).toEqual(['《信访条例》专题学习']);
    const family = dataOf(
      await api.execute<ActivitiesResult>(ACTIVITIES, {
        orgCode: 'FAMILY_PLANNING_OFFICE',
        rangeFrom: '2012-01-01',
        rangeTo: '2012-03-31',
      }),
    ).activities.nodes;
    const hosts = family
      .filter((a) => a.kind === 'BENCHMARKING_VISIT')
      .flatMap((a) => a.participants.map((p) => p.hostUnit));
    expect(hosts).toEqual(['市计生委', '滨城区计生局', '邹平计生局']);
    const visits = family.find((a) => a.kind === 'FIELD_VISIT');
    expect(visits?.occurrences).toHaveLength(3);
    for (const participant of visits?.participants ?? []) {
      expect(participant.pairedVillage && participant.pairedEnterprise && participant.pairedCommunity).toBeTruthy();
    }
  });

  it('filters by date range and kind', async () => {
    const march = dataOf(
      await api.execute<ActivitiesResult>(ACTIVITIES, {
        from: '2012-03-01',
        to: '2012-03-31',
        filter: { kind: { equalTo: 'DISPATCH_MEETING' } },
        rangeFrom: '2012-03-01',
        rangeTo: '2012-03-31',
      }),
    ).activities;
    expect(march.totalCount).toBe(1);
  });
});

describe('createActivity and recordAttendance', () => {
  const CREATE = /* GraphQL */ `
    mutation Create($input: CreateActivityInput!) {
      createActivity(input: $input) {
        __typename
        ... on CreateActivityPayload { activity { id title dimensions { code } participants { cadre { name } } } }
        ... on UserError { code message }
        ... on ValidationError { fieldErrors { path message } }
      }
    }
  `;
  const RECORD = /* GraphQL */ `
    mutation Record($input: RecordAttendanceInput!) {
      recordAttendance(input: $input) {
        __typename
        ... on RecordAttendancePayload { activity { attendanceRate attendance(occursOn: "2012-04-03") { status cadre { name } } } }
        ... on UserError { code message }
      }
    }
  `;
  const input = {
    campaignCode: 'SIX_TYPE_2012',
    organizerOrgCode: 'PETITION_OFFICE',
    kind: 'CONCENTRATED_STUDY',
    title: '周二集中学习（测试）',
    startsAt: '2012-04-03T09:00:00+08:00',
    recurrence: 'FREQ=WEEKLY;BYDAY=TU;COUNT=10',
    dimensionCodes: ['LEARNING', 'SERVICE'],
    participants: [{ employeeNumber: 'KFQ-0015' }, { employeeNumber: 'KFQ-0016' }],
  };

  it('stores the occurrences: the rule’s COUNT, or up to the campaign’s last day', async () => {
    const occurrencesOf = async (title: string) => {
      const raw = await api.db.execute(sql`
        select to_char(o.day, 'YYYY-MM-DD') as day from activity_occurrences o
        join activities a on a.id = o.activity_id where a.title = ${title} order by o.day`);
      return (Array.isArray(raw) ? raw : (raw as { rows: unknown[] }).rows).map((row) => (row as { day: string }).day);
    };
    const create = async (title: string, startsAt: string, recurrence: string | null) =>
      dataOf(
        await api.execute<{ createActivity: { __typename: string } }>(CREATE, {
          input: { ...input, title, startsAt, recurrence, participants: [], dimensionCodes: [] },
        }),
      ).createActivity.__typename;
    expect(await create('十次周二学习（测试）', '2012-04-03T09:00:00+08:00', 'FREQ=WEEKLY;BYDAY=TU;COUNT=10')).toBe(
      'CreateActivityPayload',
    );
    const ten = await occurrencesOf('十次周二学习（测试）');
    expect(ten).toHaveLength(10);
    expect([ten[0], ten[9]]).toEqual(['2012-04-03', '2012-06-05']);
    // No end in the rule: the campaign (SIX_TYPE_2012) ends on 31 December 2012.
    await create('每月学习（测试）', '2012-10-15T09:00:00+08:00', 'FREQ=MONTHLY');
    expect(await occurrencesOf('每月学习（测试）')).toEqual(['2012-10-15', '2012-11-15', '2012-12-15']);
    // A one-off: its start, on the zone's day (00:30 on 1 May in the zone is 30 April in UTC).
    await create('单次学习（测试）', '2012-05-01T00:30:00+08:00', null);
    expect(await occurrencesOf('单次学习（测试）')).toEqual(['2012-05-01']);
  });

  it('creates an activity with one audit row, and records attendance per occurrence', async () => {
    const before = await api.lastAuditId();
    const created = dataOf(
      await api.execute<{ createActivity: { activity: { id: string; dimensions: { code: string }[] } } }>(CREATE, {
        input,
      }),
    ).createActivity.activity;
    expect(created.dimensions.map((d) => d.code)).toEqual(['LEARNING', 'SERVICE']);
    const recorded = dataOf(
      await api.execute<{
        recordAttendance: { activity: { attendanceRate: number; attendance: { status: string }[] } };
      }>(RECORD, {
        input: {
          activityId: created.id,
          occursOn: '2012-04-03',
          entries: [
            { employeeNumber: 'KFQ-0015', status: 'PRESENT' },
            { employeeNumber: 'KFQ-0016', status: 'ABSENT' },
          ],
        },
      }),
    ).recordAttendance.activity;
    expect(recorded.attendanceRate).toBe(0.5);
    expect(recorded.attendance.map((row) => row.status)).toEqual(['PRESENT', 'ABSENT']);
    const audit = await api.auditEventsAfter(before);
    expect(audit.map((row) => row.operation)).toEqual(['createActivity', 'recordAttendance']);

    // A Wednesday is not an occurrence: refused, nothing written.
    const counts = async () => [await api.rowCount(activityAttendance), await api.rowCount(auditEvents)];
    const unchanged = await counts();
    const wrongDay = dataOf(
      await api.execute<{ recordAttendance: { __typename: string } }>(RECORD, {
        input: {
          activityId: created.id,
          occursOn: '2012-04-04',
          entries: [{ employeeNumber: 'KFQ-0015', status: 'PRESENT' }],
        },
      }),
    );
    expect(wrongDay.recordAttendance.__typename).toBe('ValidationError');
    expect(await counts()).toEqual(unchanged);
  });

  it('stores a daily rule over its whole three-year horizon, so late periods show no false gaps', async () => {
    const campaign = await api.execute<{ createCampaign: { __typename: string } }>(
      `mutation { createCampaign(input: { code: "OPEN_ENDED", name: "无结束日期的活动（测试）",
         dimensions: [{ code: "LEARNING", name: "学习型" }],
         supervisionCadences: [{ activityKind: DISPATCH_MEETING, period: HALF_MONTH }] }) { __typename } }`,
    );
    expect(dataOf(campaign).createCampaign.__typename).toBe('CreateCampaignPayload');
    const created = dataOf(
      await api.execute<{ createActivity: { __typename: string; activity: { id: string } } }>(CREATE, {
        input: {
          ...input,
          campaignCode: 'OPEN_ENDED',
          kind: 'DISPATCH_MEETING',
          title: '每日调度（测试）',
          startsAt: '2012-01-01T08:30:00+08:00',
          recurrence: 'FREQ=DAILY',
          dimensionCodes: [],
          participants: [],
        },
      }),
    ).createActivity;
    expect(created.__typename).toBe('CreateActivityPayload');
    const [stored] = await api.db
      .select({ n: sql<number>`count(*)::int`, last: sql<string>`max(${activityOccurrences.day})::text` })
      .from(activityOccurrences)
      .innerJoin(activities, sql`${activities.id} = ${activityOccurrences.activityId}`)
      .where(sql`${activities.title} = '每日调度（测试）'`);
    // 2012 (leap), 2013, 2014 and New Year's Day 2015: more than the 1,000 that used to be kept.
    expect(stored).toEqual({ n: 1097, last: '2015-01-01' });
    const gaps = await api.execute<{ cadenceGaps: { label: string }[] }>(
      `{ cadenceGaps(campaignCode: "OPEN_ENDED", orgCode: "PETITION_OFFICE", from: "2012-01-01", to: "2014-12-31") { label } }`,
    );
    expect(dataOf(gaps).cadenceGaps).toEqual([]);
  });

  it('refuses a rule with more occurrences than it may store, naming the recurrence, and writes nothing', async () => {
    const counts = async () => [
      await api.rowCount(activities),
      await api.rowCount(activityOccurrences),
      await api.rowCount(auditEvents),
    ];
    const before = await counts();
    const refused = dataOf(
      await api.execute<{
        createActivity: { __typename: string; message: string; fieldErrors: { path: string[]; message: string }[] };
      }>(CREATE, {
        input: { ...input, title: '每小时（测试）', recurrence: 'FREQ=HOURLY', participants: [], dimensionCodes: [] },
      }),
    ).createActivity;
    expect(refused.__typename).toBe('ValidationError');
    expect(refused.fieldErrors).toEqual([
      {
        path: ['input', 'recurrence'],
        message: expect.stringContaining(
          `has more than ${MAX_OCCURRENCES} occurrences between 2012-04-03 and 2012-12-31 (the campaign's last day`,
        ),
      },
    ]);
    expect(await counts()).toEqual(before);
  });

  it('refuses to list more occurrences than the cap rather than cut the list short', async () => {
    // Hourly on the campaign's last day: 24 stored; a year past the campaign holds 8,760.
    const created = dataOf(
      await api.execute<{ createActivity: { activity: { id: string } } }>(CREATE, {
        input: {
          ...input,
          title: '末日每小时（测试）',
          startsAt: '2012-12-31T00:00:00+08:00',
          recurrence: 'FREQ=HOURLY',
          participants: [],
          dimensionCodes: [],
        },
      }),
    ).createActivity.activity;
    const occurrences = (to: string) =>
      api.execute<{ node: { occurrences: string[] } }>(
        `query($id: ID!, $to: Date!) { node(id: $id) { ... on Activity { occurrences(from: "2012-12-31", to: $to) } } }`,
        { id: created.id, to },
      );
    expect(dataOf(await occurrences('2013-01-01')).node.occurrences).toHaveLength(48);
    const tooMany = await occurrences('2013-12-31');
    expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
    expect(tooMany.result.errors?.[0]?.message).toContain(`more than ${MAX_OCCURRENCES} occurrences`);
  });

  it('refuses a bad RRULE, an unknown dimension and a unit outside a manager’s subtree', async () => {
    const typename = async (changes: Record<string, unknown>, viewer?: Parameters<TestApi['execute']>[2]) =>
      api.execute<{ createActivity: { __typename: string } }>(CREATE, { input: { ...input, ...changes } }, viewer);
    expect(dataOf(await typename({ recurrence: 'every Tuesday' })).createActivity.__typename).toBe('ValidationError');
    expect(dataOf(await typename({ dimensionCodes: ['NOPE'] })).createActivity.__typename).toBe('ValidationError');
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'INVESTMENT_PROMOTION_BUREAU' });
    expect(errorCodes(await typename({ participants: [] }, manager))).toEqual(['FORBIDDEN']);
  });
});

describe('attendanceRates', () => {
  it('rates cadres and units in one statement', async () => {
    const executed = await api.execute<{
      attendanceRates: {
        orgCode: string;
        employeeNumber: string | null;
        present: number;
        absent: number;
        onLeave: number;
        rate: number | null;
      }[];
    }>(`{ attendanceRates(groupBy: ORGANIZATION, campaignCode: "SIX_TYPE_2012", orgCode: "INVESTMENT_PROMOTION_BUREAU", to: "2012-01-31") {
          orgCode employeeNumber present absent onLeave rate } }`);
    expect(executed.statements).toHaveLength(1);
    expect(dataOf(executed).attendanceRates).toEqual([
      {
        orgCode: 'INVESTMENT_PROMOTION_BUREAU',
        employeeNumber: null,
        present: 10,
        absent: 1,
        onLeave: 1,
        rate: 0.9091,
      },
    ]);
    const perCadre = dataOf(
      await api.execute<{ attendanceRates: { cadreName: string; rate: number }[] }>(
        `{ attendanceRates(groupBy: CADRE, orgCode: "INVESTMENT_PROMOTION_BUREAU") { cadreName rate } }`,
      ),
    ).attendanceRates;
    expect(perCadre.find((row) => row.cadreName === '林涛')?.rate).toBeCloseTo(2 / 3, 4);
    expect(perCadre.find((row) => row.cadreName === '高媛')?.rate).toBe(1);
  });
});

describe('who sees which activities', () => {
  it('shows a cadre only the activities of their unit’s subtree, and an anonymous caller nothing', async () => {
    const cadre = await userViewer(api.db, 'CADRE', { orgCode: 'PETITION_OFFICE' });
    const executed = await api.execute<ActivitiesResult>(
      ACTIVITIES,
      { rangeFrom: '2012-01-01', rangeTo: '2012-01-31' },
      cadre,
    );
    expect(executed.statements).toHaveLength(1);
    const { nodes, totalCount } = dataOf(executed).activities;
    expect(new Set(nodes.map((node) => node.organizer.code))).toEqual(new Set(['PETITION_OFFICE']));
    expect(totalCount).toBe(nodes.length);
    expect(
      errorCodes(
        await api.execute(ACTIVITIES, { rangeFrom: '2012-01-01', rangeTo: '2012-01-31' }, { kind: 'ANONYMOUS' }),
      ),
    ).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses an occurrence range over two years', async () => {
    const executed = await api.execute(ACTIVITIES, {
      orgCode: 'INVESTMENT_PROMOTION_BUREAU',
      rangeFrom: '2012-01-01',
      rangeTo: '2016-01-01',
    });
    expect(errorCodes(executed)).toContain('BAD_USER_INPUT');
  });
});
