import { cadres, fixClock, metricObservations, organizations, resetClock, studyRecords } from '@sixtype/db';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dataOf, globalId, openTestApi, type TestApi } from './test-support.ts';

/**
 * Every "today" is the day in the installation's time zone (Asia/Shanghai by default): at 00:30 on
 * 1 April in the zone it is still 31 March in UTC, and what the zone's offices see must already
 * be April's.
 */
let api: TestApi;
const UNIT = 'CLOCK_TEST_UNIT';
const CADRE = 'T-CLOCK';

beforeAll(async () => {
  api = await openTestApi();
  const [zone] = await api.db.select().from(organizations).where(eq(organizations.code, 'ZONE'));
  if (!zone) throw new Error('demo data missing');
  const [unit] = await api.db
    .insert(organizations)
    .values({ code: UNIT, name: '时钟测试单位', kind: 'OFFICE', parentId: zone.id, path: `ZONE.${UNIT}` })
    .returning();
  await api.db
    .insert(cadres)
    .values({ employeeNumber: CADRE, organizationId: unit?.id ?? 0, name: '测试时钟', gender: 'FEMALE' });
});
afterAll(async () => {
  await api?.close();
});
beforeEach(() => fixClock('2012-04-01T00:30:00+08:00'));
afterEach(() => resetClock());

describe('at 00:30 on 1 April in the zone (31 March in UTC)', () => {
  it('accepts figures for the quarter that began today and refuses the next one', async () => {
    const submit = await api.execute<{
      submitMetricObservations: { accepted: number; errors: { index: number; field: string; message: string }[] };
    }>(
      `mutation($input: SubmitMetricObservationsInput!) { submitMetricObservations(input: $input) {
         ... on SubmitMetricObservationsPayload { accepted errors { index field message } } } }`,
      {
        input: {
          idempotencyKey: 'clock-q2',
          observations: ['2012-04-01', '2012-07-01'].map((periodStart) => ({
            metricCode: 'FISCAL_REVENUE_TOTAL',
            orgCode: 'ZONE',
            periodStart,
            granularity: 'QUARTER',
            value: '100',
            source: 'clock test',
          })),
        },
      },
    );
    const result = dataOf(submit).submitMetricObservations;
    expect(result.accepted).toBe(1);
    expect(result.errors.map((error) => [error.index, error.field])).toEqual([[1, 'periodStart']]);
    const stored = await api.db
      .select({ periodStart: metricObservations.periodStart })
      .from(metricObservations)
      .where(eq(metricObservations.source, 'clock test'));
    expect(stored).toEqual([{ periodStart: '2012-04-01' }]);
  });

  it('counts a problem overdue from the day after its deadline in the zone', async () => {
    for (const deadline of ['2012-03-31', '2012-04-01']) {
      const reported = await api.execute<{ reportProblem: { __typename: string } }>(
        `mutation($input: ReportProblemInput!) { reportProblem(input: $input) { __typename } }`,
        {
          input: {
            campaignCode: 'SIX_TYPE_2012',
            orgCode: UNIT,
            categoryCode: 'SHIRKING',
            source: 'SELF_CHECK',
            description: `期限 ${deadline}（测试）`,
            severity: 'LOW',
            deadline,
          },
        },
      );
      expect(dataOf(reported).reportProblem.__typename).toBe('ReportProblemPayload');
    }
    const listed = await api.execute<{
      problems: { nodes: { description: string; overdue: boolean }[] };
      overdueOnly: { nodes: { description: string }[] };
      problemCounts: { total: number; overdue: number };
    }>(
      `{ problems(orgCode: "${UNIT}", first: 10) { nodes { description overdue } }
         overdueOnly: problems(orgCode: "${UNIT}", filter: { overdue: true }, first: 10) { nodes { description } }
         problemCounts(orgCode: "${UNIT}") { total overdue } }`,
    );
    const { problems, overdueOnly, problemCounts } = dataOf(listed);
    expect(problems.nodes.map((p) => [p.description, p.overdue]).sort()).toEqual([
      ['期限 2012-03-31（测试）', true],
      ['期限 2012-04-01（测试）', false],
    ]);
    expect(overdueOnly.nodes.map((p) => p.description)).toEqual(['期限 2012-03-31（测试）']);
    expect(problemCounts).toEqual({ total: 2, overdue: 1 });
  });

  it('publishes the study compliance rate up to April and not for May', async () => {
    const series = await api.execute<{
      metricSeries: { points: { period: { label: string }; value: string | null }[] }[];
    }>(
      `{ metricSeries(input: { metricCodes: ["STUDY_COMPLIANCE_RATE"], orgCode: "ZONE", includeDescendants: true,
           from: "2012-03-01", to: "2012-05-31", granularity: MONTH }) { points { period { label } value } } }`,
    );
    const points = dataOf(series).metricSeries[0]?.points ?? [];
    const figureOf = (label: string) => points.find((point) => point.period.label === label)?.value ?? null;
    expect(figureOf('2012-03')).not.toBeNull();
    expect(figureOf('2012-04')).not.toBeNull();
    expect(figureOf('2012-05')).toBeNull();
  });

  it('takes a study record dated today and refuses one dated tomorrow, on create and on update', async () => {
    type Payload = { __typename: string; record?: { id: string }; fieldErrors?: { path: string[]; message: string }[] };
    const create = async (studiedOn: string) =>
      dataOf(
        await api.execute<{ createStudyRecord: Payload }>(
          `mutation($input: CreateStudyRecordInput!) { createStudyRecord(input: $input) {
             __typename ... on CreateStudyRecordPayload { record { id } } ... on ValidationError { fieldErrors { path message } } } }`,
          { input: { employeeNumber: CADRE, studiedOn, method: 'SELF_STUDY', note: '学习笔记' } },
        ),
      ).createStudyRecord;
    const recordsOfCadre = async () =>
      api.db
        .select({ studiedOn: studyRecords.studiedOn })
        .from(studyRecords)
        .innerJoin(cadres, eq(cadres.id, studyRecords.cadreId))
        .where(eq(cadres.employeeNumber, CADRE));
    const auditBefore = await api.lastAuditId();

    const todays = await create('2012-04-01');
    expect(todays.__typename).toBe('CreateStudyRecordPayload');
    const tomorrows = await create('2012-04-02');
    expect(tomorrows).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [
        { path: ['input', 'studiedOn'], message: 'must not be in the future (today is 2012-04-01 in Asia/Shanghai)' },
      ],
    });
    expect(await recordsOfCadre()).toEqual([{ studiedOn: '2012-04-01' }]);

    const moved = dataOf(
      await api.execute<{ updateStudyRecord: Payload }>(
        `mutation($input: UpdateStudyRecordInput!) { updateStudyRecord(input: $input) {
           __typename ... on ValidationError { fieldErrors { path } } } }`,
        { input: { id: todays.record?.id ?? globalId('StudyRecord', 0), studiedOn: '2012-04-02' } },
      ),
    ).updateStudyRecord;
    expect(moved).toEqual({ __typename: 'ValidationError', fieldErrors: [{ path: ['input', 'studiedOn'] }] });
    expect(await recordsOfCadre()).toEqual([{ studiedOn: '2012-04-01' }]);
    expect((await api.auditEventsAfter(auditBefore)).map((row) => row.operation)).toEqual(['createStudyRecord']);
  });
});
