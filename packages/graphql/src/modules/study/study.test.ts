import {
  activities,
  auditEvents,
  cadres,
  campaigns,
  demoCadres,
  metricDefinitions,
  organizations,
  studyRecords,
  studyRequirements,
} from '@sixtype/db';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../context.ts';
import {
  ANONYMOUS,
  apiClientViewer,
  dataOf,
  errorCodes,
  globalId,
  openTestApi,
  type TestApi,
  userViewer,
} from '../../test-support.ts';
import { complianceRateByOrg } from './study.service.ts';

let api: TestApi;
const CAMPAIGN = 'SIX_TYPE_2012';

/** The demo records as stored, with their characters counted here in JS (code points), not by the database. */
async function demoRecordsOf(employeeNumbers: string[]) {
  const rows = await api.db
    .select({ employeeNumber: cadres.employeeNumber, studiedOn: studyRecords.studiedOn, note: studyRecords.note })
    .from(studyRecords)
    .innerJoin(cadres, eq(cadres.id, studyRecords.cadreId))
    .where(inArray(cadres.employeeNumber, employeeNumbers));
  return rows.map((row) => ({ ...row, noteLength: [...row.note].length }));
}

// A unit of its own for the test cadres, so the demo records never mix into their figures.
const TEST_UNIT = 'STUDY_TEST_UNIT';
const OTHER_UNIT = 'STUDY_OTHER_UNIT';

async function addUnit(code: string, parentCode: string) {
  const [parent] = await api.db.select().from(organizations).where(eq(organizations.code, parentCode));
  if (!parent) throw new Error(`no unit ${parentCode}`);
  await api.db
    .insert(organizations)
    .values({ code, name: `${code}（测试）`, kind: 'DEPARTMENT', parentId: parent.id, path: `${parent.path}.${code}` });
}

async function addCadre(employeeNumber: string, unit: string, isLeader = false) {
  const [org] = await api.db.select().from(organizations).where(eq(organizations.code, unit));
  await api.db
    .insert(cadres)
    .values({ employeeNumber, organizationId: org?.id ?? 0, name: `测试${employeeNumber}`, gender: 'MALE', isLeader });
}

/** `n` Chinese characters, one of them outside the Basic Multilingual Plane (two UTF-16 units, one code point). */
const chineseNote = (n: number) => `𠮷${'学'.repeat(n - 1)}`;

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateStudyRecordInput!) {
    createStudyRecord(input: $input) {
      __typename
      ... on CreateStudyRecordPayload { record { id noteCharacters cadre { employeeNumber } material { code } } }
      ... on UserError { code message }
    }
  }
`;

const UPDATE = /* GraphQL */ `
  mutation Update($input: UpdateStudyRecordInput!) {
    updateStudyRecord(input: $input) {
      __typename
      ... on UpdateStudyRecordPayload { record { id noteCharacters note } }
      ... on UserError { code message }
    }
  }
`;

const COMPLIANCE = /* GraphQL */ `
  query Compliance($orgCode: String, $includeDescendants: Boolean, $onlyNonCompliant: Boolean, $asOfDate: Date, $first: Int, $after: String) {
    studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: $orgCode, includeDescendants: $includeDescendants,
                    onlyNonCompliant: $onlyNonCompliant, asOfDate: $asOfDate, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        cadre { employeeNumber name }
        noteCharacters
        hours
        quotaMet
        mandatoryMaterialsCovered
        choiceGroupsMet
        chosenMaterials { code title }
        compliant
      }
    }
  }
`;

interface Entry {
  cadre: { employeeNumber: string; name: string };
  noteCharacters: number;
  hours: string;
  quotaMet: boolean;
  mandatoryMaterialsCovered: boolean;
  choiceGroupsMet: boolean;
  chosenMaterials: { code: string; title: string }[];
  compliant: boolean;
}
interface CompliancePage {
  studyCompliance: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: Entry[];
  };
}

async function record(viewer: Viewer, input: Record<string, unknown>) {
  return api.execute<{ createStudyRecord: Record<string, unknown> }>(
    CREATE,
    { input: { method: 'SELF_STUDY', studiedOn: '2012-03-01', note: '', ...input } },
    viewer,
  );
}

async function complianceOf(employeeNumber: string): Promise<Entry> {
  const executed = await api.execute<CompliancePage>(COMPLIANCE, { orgCode: TEST_UNIT, first: 100 });
  expect(executed.statements).toHaveLength(1);
  const entry = dataOf(executed).studyCompliance.nodes.find((node) => node.cadre.employeeNumber === employeeNumber);
  if (!entry) throw new Error(`no compliance row for ${employeeNumber}`);
  return entry;
}

/**
 * T-QUOTA and T-SHORT study the mandatory materials and a book, with notes of 20,000 and 19,999
 * characters; returns the 20,000-character record's result.
 */
async function studyToTheQuota() {
  const mandatoryAndBook = async (number: string) => {
    for (const materialCode of [
      'CPC_17TH_NATIONAL_CONGRESS',
      'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS',
      'BOOK_NO_EXCUSES',
    ]) {
      dataOf(await record(SYSTEM_ADMIN, { employeeNumber: number, materialCode }));
    }
  };
  await mandatoryAndBook('T-QUOTA');
  await mandatoryAndBook('T-SHORT');
  const full = dataOf(await record(SYSTEM_ADMIN, { employeeNumber: 'T-QUOTA', note: chineseNote(20_000) }));
  dataOf(await record(SYSTEM_ADMIN, { employeeNumber: 'T-SHORT', note: chineseNote(19_999) }));
  return full;
}

/** T-TWOBOOKS studies the mandatory materials and two books, T-NOBOOK the mandatory materials only. */
async function studyTheBooks() {
  for (const materialCode of [
    'CPC_17TH_NATIONAL_CONGRESS',
    'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS',
    'BOOK_DETAILS_DETERMINE_SUCCESS',
    'BOOK_DO_A_LITTLE_MORE_EACH_DAY',
  ]) {
    dataOf(await record(SYSTEM_ADMIN, { employeeNumber: 'T-TWOBOOKS', materialCode, note: chineseNote(5_000) }));
  }
  for (const materialCode of ['CPC_17TH_NATIONAL_CONGRESS', 'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS']) {
    dataOf(await record(SYSTEM_ADMIN, { employeeNumber: 'T-NOBOOK', materialCode, note: chineseNote(12_000) }));
  }
}

/** The test unit's four cadres with their records: T-QUOTA and T-TWOBOOKS compliant, T-SHORT and T-NOBOOK not. */
async function studyTheTestUnit() {
  await studyToTheQuota();
  await studyTheBooks();
}

beforeAll(async () => {
  api = await openTestApi();
  await addUnit(TEST_UNIT, 'FINANCE_BUREAU');
  await addUnit(OTHER_UNIT, 'CIVIL_AFFAIRS_BUREAU');
  for (const number of ['T-QUOTA', 'T-SHORT', 'T-TWOBOOKS', 'T-NOBOOK']) await addCadre(number, TEST_UNIT);
  await addCadre('T-OTHER', OTHER_UNIT);
}, 60_000);

afterAll(async () => {
  await api?.close();
});

describe('note characters', () => {
  it('are counted by the database as Unicode code points, not bytes or UTF-16 units', async () => {
    const [row] = await api.db
      .insert(studyRecords)
      .values({
        cadreId: sql`(select id from cadres where employee_number = 'T-OTHER')`,
        studiedOn: '2012-01-02',
        method: 'SELF_STUDY',
        note: '学习𠮷a😀',
      })
      .returning();
    // 学习 are 3 bytes each in UTF-8, 𠮷 and 😀 4 bytes and two UTF-16 units each: five code points in all.
    expect(row?.noteCharacters).toBe(5);
  });

  it('refuses a count written by a client', async () => {
    // In a savepoint of its own, so that the refused statement does not end the test's transaction.
    await expect(
      api.db.transaction((tx) =>
        tx.execute(
          sql`insert into study_records (cadre_id, studied_on, method, note, note_characters)
              values ((select id from cadres where employee_number = 'T-OTHER'), '2012-01-02', 'SELF_STUDY', 'x', 20000)`,
        ),
      ),
      // 428C9: a generated column takes no value.
    ).rejects.toMatchObject({ cause: { code: '428C9' } });
    const typeNames = await api.execute<{ __type: { inputFields: { name: string }[] } }>(
      `{ __type(name: "CreateStudyRecordInput") { inputFields { name } } }`,
    );
    expect(dataOf(typeNames).__type.inputFields.map((field) => field.name)).not.toContain('noteCharacters');
  });

  it('a 20,000-character Chinese note meets the quota, 19,999 does not', async () => {
    const full = await studyToTheQuota();
    expect(full.createStudyRecord).toMatchObject({ __typename: 'CreateStudyRecordPayload' });
    expect((full.createStudyRecord.record as { noteCharacters: number }).noteCharacters).toBe(20_000);

    expect(await complianceOf('T-QUOTA')).toMatchObject({
      noteCharacters: 20_000,
      quotaMet: true,
      mandatoryMaterialsCovered: true,
      compliant: true,
    });
    expect(await complianceOf('T-SHORT')).toMatchObject({
      noteCharacters: 19_999,
      quotaMet: false,
      mandatoryMaterialsCovered: true,
      compliant: false,
    });
  });
});

const SYSTEM_ADMIN: Viewer = { kind: 'SYSTEM', name: 'study-test' };

describe('materials', () => {
  it('two of the three books and all mandatory materials are compliant on materials; none of the books is not', async () => {
    await studyTheBooks();
    expect(await complianceOf('T-TWOBOOKS')).toMatchObject({
      noteCharacters: 20_000,
      mandatoryMaterialsCovered: true,
      choiceGroupsMet: true,
      chosenMaterials: [
        { code: 'BOOK_DETAILS_DETERMINE_SUCCESS', title: '《细节决定成败》' },
        { code: 'BOOK_DO_A_LITTLE_MORE_EACH_DAY', title: '《每天多做一点点》' },
      ],
      compliant: true,
    });
    expect(await complianceOf('T-NOBOOK')).toMatchObject({
      noteCharacters: 24_000,
      quotaMet: true,
      mandatoryMaterialsCovered: true,
      choiceGroupsMet: false,
      chosenMaterials: [],
      compliant: false,
    });
  });

  it('a missing mandatory material leaves a cadre non-compliant', async () => {
    const executed = await api.execute<CompliancePage>(COMPLIANCE, { orgCode: OTHER_UNIT, first: 10 });
    expect(dataOf(executed).studyCompliance.nodes).toEqual([
      expect.objectContaining({
        cadre: expect.objectContaining({ employeeNumber: 'T-OTHER' }),
        mandatoryMaterialsCovered: false,
        compliant: false,
      }),
    ]);
  });
});

describe('the compliance connection', () => {
  it('pages with a total count, one statement a page, and filters the non-compliant', async () => {
    await studyTheTestUnit();
    const all = await api.execute<CompliancePage>(COMPLIANCE, { orgCode: TEST_UNIT, first: 2 });
    expect(all.statements).toHaveLength(1);
    const firstPage = dataOf(all).studyCompliance;
    expect(firstPage.totalCount).toBe(4);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const second = dataOf(
      await api.execute<CompliancePage>(COMPLIANCE, {
        orgCode: TEST_UNIT,
        first: 2,
        after: firstPage.pageInfo.endCursor,
      }),
    ).studyCompliance;
    expect([...firstPage.nodes, ...second.nodes].map((node) => node.cadre.employeeNumber)).toEqual([
      'T-NOBOOK',
      'T-QUOTA',
      'T-SHORT',
      'T-TWOBOOKS',
    ]);
    const failing = await api.execute<CompliancePage>(COMPLIANCE, {
      orgCode: TEST_UNIT,
      onlyNonCompliant: true,
      first: 10,
    });
    expect(failing.statements).toHaveLength(1);
    expect(dataOf(failing).studyCompliance.nodes.map((node) => node.cadre.employeeNumber)).toEqual([
      'T-NOBOOK',
      'T-SHORT',
    ]);
    expect(dataOf(failing).studyCompliance.totalCount).toBe(2);
  });

  it('reads the demo: some demo cadres compliant, some behind', async () => {
    const page = dataOf(
      await api.execute<CompliancePage>(COMPLIANCE, { orgCode: 'PARTY_WORKING_COMMITTEE', first: 10 }),
    ).studyCompliance;
    const demo = demoCadres.filter((cadre) => cadre.organizationCode === 'PARTY_WORKING_COMMITTEE');
    expect(page.nodes.map((node) => node.cadre.employeeNumber)).toEqual(demo.map((cadre) => cadre.employeeNumber));
    expect(page.nodes.map((node) => node.compliant)).toEqual([true, false, false]);
    const demoStudyRecords = await demoRecordsOf(demo.map((cadre) => cadre.employeeNumber));
    expect(demoStudyRecords.every((r) => r.note.includes('（演示）'))).toBe(true);
    const characters = (number: string) =>
      demoStudyRecords.filter((r) => r.employeeNumber === number).reduce((sum, r) => sum + r.noteLength, 0);
    expect(page.nodes.map((node) => node.noteCharacters)).toEqual(
      demo.map((cadre) => characters(cadre.employeeNumber)),
    );
  });

  it('answers NOT_FOUND for an unknown campaign or unit, and BAD_USER_INPUT for a malformed one', async () => {
    const unknownCampaign = await api.execute(
      `{ studyCompliance(campaignCode: "NO_SUCH", year: 2012) { totalCount } }`,
    );
    expect(errorCodes(unknownCampaign)).toEqual(['NOT_FOUND']);
    const unknownUnit = await api.execute(
      `{ studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: "NO_SUCH_UNIT") { totalCount } }`,
    );
    expect(errorCodes(unknownUnit)).toEqual(['NOT_FOUND']);
    const malformed = await api.execute(`{ studyCompliance(campaignCode: "bad code", year: 2012) { totalCount } }`);
    expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the lagging list', () => {
  const LAGGING = /* GraphQL */ `
    query Lagging($asOfDate: Date!, $orgCode: String) {
      studyLagging(campaignCode: "SIX_TYPE_2012", year: 2012, asOfDate: $asOfDate, orgCode: $orgCode, first: 100) {
        totalCount
        nodes { cadre { employeeNumber } noteCharacters expectedCharacters charactersBehind }
      }
    }
  `;
  it('lists who is below the pro-rated quota on a day, with how far behind', async () => {
    // 2012 is a leap year: on 30 June 182 of 366 days have passed, so the pace is ceil(20000·182/366) = 9946.
    const executed = await api.execute<{
      studyLagging: {
        totalCount: number;
        nodes: {
          cadre: { employeeNumber: string };
          noteCharacters: number;
          expectedCharacters: number;
          charactersBehind: number;
        }[];
      };
    }>(LAGGING, { asOfDate: '2012-06-30', orgCode: 'PARTY_WORKING_COMMITTEE' });
    expect(executed.statements).toHaveLength(1);
    const demo = demoCadres.filter((cadre) => cadre.organizationCode === 'PARTY_WORKING_COMMITTEE');
    const demoStudyRecords = await demoRecordsOf(demo.map((cadre) => cadre.employeeNumber));
    const expected = demo
      .map((cadre) => {
        const written = demoStudyRecords
          .filter((r) => r.employeeNumber === cadre.employeeNumber && r.studiedOn <= '2012-06-30')
          .reduce((sum, r) => sum + r.noteLength, 0);
        return {
          cadre: { employeeNumber: cadre.employeeNumber },
          noteCharacters: written,
          expectedCharacters: 9946,
          charactersBehind: Math.max(9946 - written, 0),
        };
      })
      .filter((entry) => entry.charactersBehind > 0)
      // Furthest behind first, then by employee number.
      .sort(
        (a, b) => b.charactersBehind - a.charactersBehind || (a.cadre.employeeNumber < b.cadre.employeeNumber ? -1 : 1),
      );
    expect(expected.length).toBeGreaterThan(0);
    expect(dataOf(executed).studyLagging).toEqual({ totalCount: expected.length, nodes: expected });
  });
});

describe('units', () => {
  it('counts compliant cadres per unit and ranks the units below the parent', async () => {
    const executed = await api.execute<{
      studyComplianceRanking: {
        parent: { orgCode: string; cadres: number; compliant: number; complianceRate: string | null };
        entries: {
          orgCode: string;
          cadres: number;
          compliant: number;
          complianceRate: string | null;
          rank: number | null;
        }[];
      };
    }>(`{ studyComplianceRanking(campaignCode: "SIX_TYPE_2012", year: 2012) {
          parent { orgCode cadres compliant complianceRate }
          entries { orgCode cadres compliant complianceRate rank } } }`);
    expect(executed.statements).toHaveLength(1);
    const { parent, entries } = dataOf(executed).studyComplianceRanking;
    const byOrg = await complianceRateByOrg(api.db, CAMPAIGN, 2012, null);
    const zone = byOrg.find((row) => row.orgCode === 'ZONE');
    expect(parent).toMatchObject({ orgCode: 'ZONE', cadres: zone?.cadres, compliant: zone?.compliant });
    expect(parent.cadres).toBe(demoCadres.length + 5);
    const finance = entries.find((entry) => entry.orgCode === 'FINANCE_BUREAU');
    // The finance bureau's subtree holds the test unit: its three demo cadres and the four test cadres.
    expect(finance).toMatchObject({ cadres: 7 });
    const rates = entries.filter((entry) => entry.rank !== null).map((entry) => Number(entry.complianceRate));
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
    expect(entries[0]?.rank).toBe(1);
  });
});

describe('CSV export', () => {
  it('returns one row per cadre of the subtree with a header', async () => {
    await studyTheTestUnit();
    const executed = await api.execute<{ studyComplianceCsv: string }>(
      `{ studyComplianceCsv(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: "${TEST_UNIT}") }`,
    );
    const lines = dataOf(executed).studyComplianceCsv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('单位代码,单位名称,工号,姓名,笔记字数,字数要求,学时,字数达标,必学内容已学,所选书目,合格');
    expect(lines).toHaveLength(5);
    expect(lines).toContain(
      `${TEST_UNIT},${TEST_UNIT}（测试）,T-TWOBOOKS,测试T-TWOBOOKS,20000,20000,0,是,是,《细节决定成败》、《每天多做一点点》,是`,
    );
  });
});

describe('who may write and read study records', () => {
  it('a cadre records their own, and cannot create or edit another cadre’s record', async () => {
    await studyToTheQuota();
    const own = await userViewer(api.db, 'CADRE', { employeeNumber: 'T-OTHER' });
    const auditBefore = await api.rowCount(auditEvents);
    const created = dataOf(
      await record(own, { note: '今天学习了十七大报告。', materialCode: 'CPC_17TH_NATIONAL_CONGRESS' }),
    );
    expect(created.createStudyRecord).toMatchObject({
      __typename: 'CreateStudyRecordPayload',
      record: {
        noteCharacters: 11,
        cadre: { employeeNumber: 'T-OTHER' },
        material: { code: 'CPC_17TH_NATIONAL_CONGRESS' },
      },
    });
    expect(await api.rowCount(auditEvents)).toBe(auditBefore + 1);

    const forAnother = await record(own, { employeeNumber: 'T-QUOTA', note: '冒名' });
    expect(errorCodes(forAnother)).toEqual(['FORBIDDEN']);

    const [othersRecord] = await api.db
      .select({ id: studyRecords.id })
      .from(studyRecords)
      .where(inArray(studyRecords.cadreId, sql`(select id from cadres where employee_number = 'T-QUOTA')`))
      .limit(1);
    const before = await api.db
      .select()
      .from(studyRecords)
      .where(eq(studyRecords.id, othersRecord?.id ?? 0));
    const edit = await api.execute(
      UPDATE,
      { input: { id: globalId('StudyRecord', othersRecord?.id ?? 0), note: '改' } },
      own,
    );
    expect(errorCodes(edit)).toEqual(['FORBIDDEN']);
    expect(
      await api.db
        .select()
        .from(studyRecords)
        .where(eq(studyRecords.id, othersRecord?.id ?? 0)),
    ).toEqual(before);

    const ownId = (created.createStudyRecord.record as { id: string }).id;
    const ownEdit = dataOf(
      await api.execute<{ updateStudyRecord: unknown }>(UPDATE, { input: { id: ownId, note: '学习𠮷' } }, own),
    );
    expect(ownEdit.updateStudyRecord).toMatchObject({ record: { noteCharacters: 3, note: '学习𠮷' } });
  });

  it('a manager reads their subtree and nothing outside it', async () => {
    dataOf(
      await record(SYSTEM_ADMIN, {
        employeeNumber: 'T-OTHER',
        note: '今天学习了十七大报告。',
        materialCode: 'CPC_17TH_NATIONAL_CONGRESS',
      }),
    );
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'FINANCE_BUREAU' });
    const RECORDS = `query R($orgCode: String) { studyRecords(orgCode: $orgCode, includeDescendants: true, first: 100) {
      totalCount nodes { id cadre { employeeNumber } } } }`;
    const inside = await api.execute<{
      studyRecords: { totalCount: number; nodes: { id: string; cadre: { employeeNumber: string } }[] };
    }>(RECORDS, { orgCode: 'FINANCE_BUREAU' }, manager);
    expect(inside.statements).toHaveLength(1);
    expect(dataOf(inside).studyRecords.totalCount).toBeGreaterThan(0);

    const everything = dataOf(
      await api.execute<{ studyRecords: { nodes: { cadre: { employeeNumber: string } }[] } }>(RECORDS, {}, manager),
    ).studyRecords.nodes;
    expect(everything.map((node) => node.cadre.employeeNumber)).not.toContain('T-OTHER');

    const outside = await api.execute<{ studyRecords: { totalCount: number } }>(
      RECORDS,
      { orgCode: OTHER_UNIT },
      manager,
    );
    expect(dataOf(outside).studyRecords.totalCount).toBe(0);

    const compliance = await api.execute<CompliancePage>(COMPLIANCE, { orgCode: OTHER_UNIT, first: 10 }, manager);
    expect(dataOf(compliance).studyCompliance).toMatchObject({ totalCount: 0, nodes: [] });

    const [othersRecord] = await api.db
      .select({ id: studyRecords.id })
      .from(studyRecords)
      .where(inArray(studyRecords.cadreId, sql`(select id from cadres where employee_number = 'T-OTHER')`))
      .limit(1);
    const byNode = await api.execute(
      `query N($id: ID!) { node(id: $id) { ... on StudyRecord { note } } }`,
      { id: globalId('StudyRecord', othersRecord?.id ?? 0) },
      manager,
    );
    expect(JSON.stringify(byNode.result.data ?? {})).not.toContain('学习');
    expect(errorCodes(byNode)).toEqual(['FORBIDDEN']);

    const csv = dataOf(
      await api.execute<{ studyComplianceCsv: string }>(
        `{ studyComplianceCsv(campaignCode: "SIX_TYPE_2012", year: 2012, orgCode: "ZONE") }`,
        {},
        manager,
      ),
    ).studyComplianceCsv;
    expect(csv).not.toContain('T-OTHER');
    expect(csv).toContain('T-QUOTA');
  });

  it('pages through records newest first, forwards and backwards, one statement a page', async () => {
    const countsIn = (statement: string | undefined) => statement?.match(/count\(\*\)( over \(\))?/g);
    type Page = {
      studyRecords: {
        totalCount: number;
        nodes: { id: string; studiedOn: string; cadre: { employeeNumber: string; organization: { code: string } } }[];
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string; startCursor: string };
      };
    };
    const PAGE = `query P($first: Int, $after: String, $last: Int, $before: String) {
      studyRecords(orgCode: "ZONE", includeDescendants: true, first: $first, after: $after, last: $last, before: $before) {
        totalCount
        nodes { id studiedOn cadre { employeeNumber organization { code } } }
        pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
      } }`;
    // Every record is under ZONE: the reference order straight from the table, newest first.
    const expected = (
      await api.db
        .select({ id: studyRecords.id })
        .from(studyRecords)
        .orderBy(sql`${studyRecords.studiedOn} desc, ${studyRecords.id} desc`)
    ).map((row) => globalId('StudyRecord', row.id));
    expect(expected.length).toBeGreaterThan(4);
    const everything = { totalCount: expected.length };
    const forwards: Page['studyRecords']['nodes'] = [];
    let after: string | undefined;
    for (;;) {
      const page = await api.execute<Page>(PAGE, { first: 7, after });
      expect(page.statements).toHaveLength(1);
      // A first page counts the matching records in the same pass that picks its keys.
      expect(countsIn(page.statements[0])).toEqual(after ? ['count(*)'] : ['count(*) over ()']);
      const { nodes, pageInfo, totalCount } = dataOf(page).studyRecords;
      expect(totalCount).toBe(everything.totalCount);
      forwards.push(...nodes);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(forwards.map((node) => node.id)).toEqual(expected);

    const backwards: Page['studyRecords']['nodes'] = [];
    let before: string | undefined;
    for (;;) {
      const page = await api.execute<Page>(PAGE, { last: 9, before });
      expect(page.statements).toHaveLength(1);
      const { nodes, pageInfo, totalCount } = dataOf(page).studyRecords;
      expect(totalCount).toBe(everything.totalCount);
      backwards.unshift(...nodes);
      if (!pageInfo.hasPreviousPage) break;
      before = pageInfo.startCursor;
    }
    expect(backwards.map((node) => node.id)).toEqual(expected);
    expect(new Set(forwards.map((node) => node.cadre.organization.code)).size).toBeGreaterThan(1);
  });

  it('a cadre reads only their own records and compliance row', async () => {
    await studyToTheQuota();
    const own = await userViewer(api.db, 'CADRE', { employeeNumber: 'T-QUOTA' });
    const records = dataOf(
      await api.execute<{ studyRecords: { nodes: { cadre: { employeeNumber: string } }[] } }>(
        `{ studyRecords(first: 100) { nodes { cadre { employeeNumber } } } }`,
        {},
        own,
      ),
    ).studyRecords.nodes;
    expect(new Set(records.map((node) => node.cadre.employeeNumber))).toEqual(new Set(['T-QUOTA']));
    const compliance = dataOf(
      await api.execute<CompliancePage>(COMPLIANCE, { orgCode: 'ZONE', includeDescendants: true, first: 100 }, own),
    );
    expect(compliance.studyCompliance.nodes.map((node) => node.cadre.employeeNumber)).toEqual(['T-QUOTA']);
  });

  it('refuses callers without a credential, and API clients (notes are personal)', async () => {
    expect(errorCodes(await api.execute(`{ studyRecords(first: 1) { totalCount } }`, {}, ANONYMOUS))).toEqual([
      'UNAUTHENTICATED',
    ]);
    expect(errorCodes(await record(ANONYMOUS, { note: 'x' }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('a cadre’s yearly totals', () => {
  const TOTALS = /* GraphQL */ `
    query Totals($code: String!) {
      organization(code: $code) {
        cadres(first: 100) {
          nodes {
            employeeNumber
            studyTotals(year: 2012) { year noteCharacters hours records }
            nextYear: studyTotals(year: 2013) { year noteCharacters hours records }
          }
        }
      }
    }
  `;
  interface Totals {
    year: number;
    noteCharacters: number;
    hours: string;
    records: number;
  }
  type TotalsPage = {
    organization: {
      cadres: { nodes: { employeeNumber: string; studyTotals: Totals | null; nextYear: Totals | null }[] };
    };
  };

  const addTotalsUnit = async () => {
    await addUnit('STUDY_TOTALS_UNIT', 'FINANCE_BUREAU');
    for (const number of ['T-TOT-A', 'T-TOT-B']) await addCadre(number, 'STUDY_TOTALS_UNIT');
  };

  it('sums each cadre’s records of the year in the cadre list’s one statement', async () => {
    await addTotalsUnit();
    const [a] = await api.db.select({ id: cadres.id }).from(cadres).where(eq(cadres.employeeNumber, 'T-TOT-A'));
    const rows = [
      { studiedOn: '2012-01-01', hours: '1.5', note: chineseNote(300) },
      { studiedOn: '2012-12-31', hours: '2.5', note: chineseNote(1200) },
      { studiedOn: '2013-01-01', hours: '0.5', note: chineseNote(7) },
      { studiedOn: '2011-12-31', hours: '9.0', note: chineseNote(50) },
    ];
    await api.db
      .insert(studyRecords)
      .values(rows.map((row) => ({ ...row, cadreId: a?.id ?? 0, method: 'SELF_STUDY' as const })));

    const executed = await api.execute<TotalsPage>(TOTALS, { code: 'STUDY_TOTALS_UNIT' });
    expect(executed.statements).toHaveLength(1);
    const byNumber = new Map(dataOf(executed).organization.cadres.nodes.map((node) => [node.employeeNumber, node]));
    // Independently: code points counted here, decimals summed as tenths.
    const stored = await demoRecordsOf(['T-TOT-A']);
    const of = (year: string) => stored.filter((row) => row.studiedOn.startsWith(year));
    expect(of('2012').reduce((sum, row) => sum + row.noteLength, 0)).toBe(1500);
    expect(byNumber.get('T-TOT-A')?.studyTotals).toEqual({
      year: 2012,
      noteCharacters: 1500,
      hours: '4', // 1.5 + 2.5, trailing zeros trimmed as in compliance
      records: 2,
    });
    expect(byNumber.get('T-TOT-A')?.nextYear).toEqual({ year: 2013, noteCharacters: 7, hours: '0.5', records: 1 });
    expect(byNumber.get('T-TOT-B')?.studyTotals).toEqual({ year: 2012, noteCharacters: 0, hours: '0', records: 0 });
  });

  it('is null for viewers who may not read the cadre’s study records, and refuses an impossible year', async () => {
    await addTotalsUnit();
    const reader = await apiClientViewer(api.db, ['directory:read']);
    const forClient = dataOf(await api.execute<TotalsPage>(TOTALS, { code: 'STUDY_TOTALS_UNIT' }, reader));
    expect(forClient.organization.cadres.nodes.map((node) => node.studyTotals)).toEqual([null, null]);

    const own = await userViewer(api.db, 'CADRE', { employeeNumber: 'T-TOT-B' });
    const asCadre = await api.execute<{ cadre: { studyTotals: Totals | null } }>(
      `{ cadre(employeeNumber: "T-TOT-B") { studyTotals(year: 2012) { records } } }`,
      {},
      own,
    );
    expect(dataOf(asCadre).cadre.studyTotals).toEqual({ records: 0 });

    const badYear = await api.execute(
      `{ cadre(employeeNumber: "T-TOT-A") { employeeNumber studyTotals(year: 99999) { records } } }`,
    );
    expect(errorCodes(badYear)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('requirements are data', () => {
  const SET = /* GraphQL */ `
    mutation Set($input: SetStudyRequirementInput!) {
      setStudyRequirement(input: $input) {
        __typename
        ... on SetStudyRequirementPayload {
          requirement { year noteCharactersQuota hoursQuota audience groups { name kind minMaterials materials { code } } }
        }
        ... on UserError { code message }
      }
    }
  `;
  const input = {
    campaignCode: 'SIX_TYPE_2012',
    year: 2013,
    noteCharactersQuota: 10,
    hoursQuota: '1.5',
    audience: 'LEADERS_ONLY',
    groups: [{ name: '必学', kind: 'ALL', materialCodes: ['CPC_17TH_NATIONAL_CONGRESS'] }],
  };

  it('an admin sets a year’s quota, hours, audience and groups, and compliance follows them', async () => {
    const set = dataOf(await api.execute<{ setStudyRequirement: unknown }>(SET, { input }));
    expect(set.setStudyRequirement).toMatchObject({
      requirement: {
        year: 2013,
        noteCharactersQuota: 10,
        hoursQuota: '1.5',
        audience: 'LEADERS_ONLY',
        groups: [
          { name: '必学', kind: 'ALL', minMaterials: null, materials: [{ code: 'CPC_17TH_NATIONAL_CONGRESS' }] },
        ],
      },
    });
    await addCadre('T-LEADER', OTHER_UNIT, true);
    dataOf(
      await record(SYSTEM_ADMIN, {
        employeeNumber: 'T-LEADER',
        studiedOn: '2013-02-01',
        materialCode: 'CPC_17TH_NATIONAL_CONGRESS',
        hours: '1.5',
        note: '学习十七大精神的心得',
      }),
    );
    const page = dataOf(
      await api.execute<{ studyCompliance: { nodes: { cadre: { employeeNumber: string }; compliant: boolean }[] } }>(
        `{ studyCompliance(campaignCode: "SIX_TYPE_2012", year: 2013, orgCode: "${OTHER_UNIT}") {
             nodes { cadre { employeeNumber } compliant } } }`,
      ),
    ).studyCompliance.nodes;
    // Leaders only: T-OTHER (not a leader) is not counted.
    expect(page).toEqual([{ cadre: { employeeNumber: 'T-LEADER' }, compliant: true }]);

    const replaced = dataOf(
      await api.execute<{ setStudyRequirement: unknown }>(SET, { input: { ...input, hoursQuota: '2' } }),
    );
    expect(replaced.setStudyRequirement).toMatchObject({ requirement: { hoursQuota: '2.0' } });
  });

  it('refuses unknown materials, inconsistent groups, and callers who are not admins', async () => {
    const unknown = dataOf(
      await api.execute<{ setStudyRequirement: unknown }>(SET, {
        input: { ...input, groups: [{ name: 'x', kind: 'ALL', materialCodes: ['NO_SUCH_BOOK'] }] },
      }),
    );
    expect(unknown.setStudyRequirement).toMatchObject({ __typename: 'NotFoundError' });
    const choiceWithoutMin = dataOf(
      await api.execute<{ setStudyRequirement: unknown }>(SET, {
        input: { ...input, groups: [{ name: 'x', kind: 'CHOICE', materialCodes: ['BOOK_NO_EXCUSES'] }] },
      }),
    );
    expect(choiceWithoutMin.setStudyRequirement).toMatchObject({ __typename: 'ValidationError' });
    const manager = await userViewer(api.db, 'ORG_MANAGER', { orgCode: 'ZONE' });
    expect(errorCodes(await api.execute(SET, { input }, manager))).toEqual(['FORBIDDEN']);
  });
});

describe('records linked to activities', () => {
  const LINK = /* GraphQL */ `
    mutation Link($input: CreateStudyRecordInput!) {
      createStudyRecord(input: $input) {
        __typename
        ... on CreateStudyRecordPayload { record { id studiedOn activity { title kind } } }
        ... on UserError { code message }
      }
    }
  `;
  type Linked = {
    createStudyRecord: {
      __typename: string;
      code?: string;
      message?: string;
      record?: { id: string; studiedOn: string; activity: { title: string; kind: string } | null };
    };
  };
  const UNLINK = /* GraphQL */ `
    mutation Unlink($input: UpdateStudyRecordInput!) {
      updateStudyRecord(input: $input) {
        __typename
        ... on UpdateStudyRecordPayload { record { studiedOn activity { title } } }
        ... on UserError { code message }
      }
    }
  `;

  it('takes an activity that takes place on the day studied, and refuses one that does not', async () => {
    await addCadre('T-ACTIVITY', OTHER_UNIT);
    const [campaign] = await api.db.select().from(campaigns).where(eq(campaigns.code, CAMPAIGN));
    const [unit] = await api.db.select().from(organizations).where(eq(organizations.code, OTHER_UNIT));
    const [oneOff, weekly] = await api.db
      .insert(activities)
      .values([
        {
          campaignId: campaign?.id ?? 0,
          organizerOrganizationId: unit?.id ?? 0,
          kind: 'TOPIC_TUTORING',
          title: '专题辅导（测试）',
          startsAt: '2012-04-10T09:00:00+08:00',
        },
        {
          campaignId: campaign?.id ?? 0,
          organizerOrganizationId: unit?.id ?? 0,
          kind: 'CONCENTRATED_STUDY',
          title: '每周二集中学习（测试）',
          startsAt: '2012-01-03T16:00:00+08:00',
          recurrence: 'FREQ=WEEKLY;BYDAY=TU',
        },
      ])
      .returning();
    const oneOffId = globalId('Activity', oneOff?.id ?? 0);
    const weeklyId = globalId('Activity', weekly?.id ?? 0);
    const link = (studiedOn: string, activityId: string) =>
      api.execute<Linked>(
        LINK,
        { input: { employeeNumber: 'T-ACTIVITY', method: 'TOPIC_TUTORING', studiedOn, note: '辅导笔记', activityId } },
        SYSTEM_ADMIN,
      );

    expect(dataOf(await link('2012-04-10', oneOffId)).createStudyRecord).toMatchObject({
      record: { studiedOn: '2012-04-10', activity: { title: '专题辅导（测试）', kind: 'TOPIC_TUTORING' } },
    });
    // 17 April 2012 is a Tuesday; the 18th is not.
    const tuesday = dataOf(await link('2012-04-17', weeklyId)).createStudyRecord;
    expect(tuesday).toMatchObject({ record: { activity: { title: '每周二集中学习（测试）' } } });

    const recordsBefore = await api.rowCount(studyRecords);
    const wrongDay = dataOf(await link('2012-04-11', oneOffId)).createStudyRecord;
    expect(wrongDay).toMatchObject({ __typename: 'ValidationError', code: 'BAD_USER_INPUT' });
    expect(wrongDay.message).toContain('2012-04-11');
    expect(dataOf(await link('2012-04-18', weeklyId)).createStudyRecord).toMatchObject({
      __typename: 'ValidationError',
    });
    expect(dataOf(await link('2012-04-10', globalId('Activity', 999_999))).createStudyRecord).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
    });
    expect(dataOf(await link('2012-04-10', globalId('Cadre', 1))).createStudyRecord).toMatchObject({
      __typename: 'ValidationError',
    });
    expect(await api.rowCount(studyRecords)).toBe(recordsBefore);

    // Moving a linked record to a day the activity does not take place is refused; unlinking is not.
    const id = tuesday.record?.id ?? '';
    const moved = dataOf(
      await api.execute<{ updateStudyRecord: { __typename: string } }>(
        UNLINK,
        { input: { id, studiedOn: '2012-04-18' } },
        SYSTEM_ADMIN,
      ),
    );
    expect(moved.updateStudyRecord).toMatchObject({ __typename: 'ValidationError' });
    const unlinked = dataOf(
      await api.execute<{ updateStudyRecord: unknown }>(
        UNLINK,
        { input: { id, studiedOn: '2012-04-18', activityId: null } },
        SYSTEM_ADMIN,
      ),
    );
    expect(unlinked.updateStudyRecord).toMatchObject({ record: { studiedOn: '2012-04-18', activity: null } });
  });
});

describe('requirements and plans belong to campaigns', () => {
  it('refuses a requirement for a campaign that does not exist, and serves the campaign of one that does', async () => {
    const before = await api.rowCount(studyRequirements);
    const unknown = dataOf(
      await api.execute<{ setStudyRequirement: unknown }>(
        `mutation { setStudyRequirement(input: { campaignCode: "NO_SUCH_CAMPAIGN", year: 2012, noteCharactersQuota: 1,
           groups: [] }) { __typename ... on UserError { code message } } }`,
      ),
    );
    expect(unknown.setStudyRequirement).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(await api.rowCount(studyRequirements)).toBe(before);
    const requirement = await api.execute<{ studyRequirement: { campaign: { code: string; name: string } } }>(
      `{ studyRequirement(campaignCode: "SIX_TYPE_2012", year: 2012) { campaign { code name } } }`,
    );
    expect(requirement.statements).toHaveLength(1);
    expect(dataOf(requirement).studyRequirement.campaign.code).toBe('SIX_TYPE_2012');
  });
});

describe('the compliance rate as a metric', () => {
  const CREATE_METRIC = /* GraphQL */ `
    mutation M($derivation: String!, $aggregation: MetricAggregation!) {
      createMetricDefinition(input: { code: "STUDY_RATE_TEST", name: "达标率（测试）", unit: "%", kind: STOCK,
        aggregation: $aggregation, direction: HIGHER_IS_BETTER, reportingGranularity: MONTH, derivation: $derivation }) {
        __typename
        ... on UserError { code message }
      }
    }
  `;

  it('serves the demo metric: December’s figure is the year’s compliance rate as a percentage', async () => {
    const series = await api.execute<{ metricSeries: { points: { period: { label: string }; value: string }[] }[] }>(
      `{ metricSeries(input: { metricCodes: ["STUDY_COMPLIANCE_RATE"], orgCode: "ZONE", includeDescendants: true,
           from: "2012-01-01", to: "2012-12-31", granularity: MONTH }) { points { period { label } value } } }`,
    );
    expect(series.statements).toHaveLength(1);
    const points = dataOf(series).metricSeries[0]?.points ?? [];
    expect(points.map((point) => point.period.label)).toHaveLength(12);
    const ranking = await api.execute<{ studyComplianceRanking: { parent: { complianceRate: string } } }>(
      `{ studyComplianceRanking(campaignCode: "SIX_TYPE_2012", year: 2012) { parent { complianceRate } } }`,
    );
    const yearRate = Number(dataOf(ranking).studyComplianceRanking.parent.complianceRate);
    expect(yearRate).toBeGreaterThan(0);
    expect(Number(points[11]?.value)).toBeCloseTo(yearRate * 100, 10);
    // Ranking units on it is refused rather than answered with empty figures.
    const ranked = await api.execute(
      `{ metricRanking(input: { metricCode: "STUDY_COMPLIANCE_RATE", granularity: YEAR, periodStart: "2012-01-01" }) {
           entries { orgCode } } }`,
    );
    expect(errorCodes(ranked)).toEqual(['BAD_USER_INPUT']);
    // Never falling: a cadre who has met the year's requirement stays compliant.
    const values = points.map((point) => Number(point.value));
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('needs a campaign that exists, and aggregation NONE; nothing is written otherwise', async () => {
    const before = await api.rowCount(metricDefinitions);
    const create = async (derivation: string, aggregation = 'NONE') =>
      dataOf(
        await api.execute<{ createMetricDefinition: { __typename: string; message?: string } }>(CREATE_METRIC, {
          derivation,
          aggregation,
        }),
      ).createMetricDefinition;
    expect(await create('STUDY_COMPLIANCE_RATE')).toMatchObject({ __typename: 'ValidationError' });
    const unknown = await create('STUDY_COMPLIANCE_RATE:NO_SUCH_CAMPAIGN');
    expect(unknown).toMatchObject({ __typename: 'ValidationError' });
    expect(unknown.message).toContain('NO_SUCH_CAMPAIGN');
    expect(await create('STUDY_COMPLIANCE_RATE:SIX_TYPE_2012', 'SUM')).toMatchObject({
      __typename: 'ValidationError',
    });
    expect(await create('ACTIVITIES_HELD:SIX_TYPE_2012')).toMatchObject({ __typename: 'ValidationError' });
    expect(await api.rowCount(metricDefinitions)).toBe(before);
  });
});
