import {
  cadres,
  campaigns,
  organizations,
  studyMaterials,
  studyRecords,
  studyRequirementGroupMaterials,
  studyRequirementGroups,
  studyRequirements,
} from '@sixtype/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, type Executed, openTestApi, type TestApi } from '../../test-support.ts';
import { complianceExportRows } from './study.service.ts';

// A requirement of its own (a smaller quota, an hours quota and "two of three books") so that
// short generated notes still split the cadres between compliant and not on every rule.
const CAMPAIGN = 'SCALE_TEST_2012';
const QUOTA = 1_500;
const HOURS_QUOTA_TENTHS = 600;
const CADRES = 1_000;
const RECORDS = 50_000;
const MANDATORY = ['CPC_17TH_NATIONAL_CONGRESS', 'PROVINCIAL_MUNICIPAL_ZONE_MEETINGS'];
const BOOKS = ['BOOK_DETAILS_DETERMINE_SUCCESS', 'BOOK_NO_EXCUSES', 'BOOK_DO_A_LITTLE_MORE_EACH_DAY'];

let api: TestApi;

/** mulberry32: a small deterministic generator, so a failure can be reproduced. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORDS = ['学', '习', '笔', '记', '精', '神', '𠮷', '作', '风', 'a', '。', '😀'];

beforeAll(async () => {
  api = await openTestApi();
  const started = performance.now();
  const materialIds = new Map(
    (await api.db.select({ id: studyMaterials.id, code: studyMaterials.code }).from(studyMaterials)).map((row) => [
      row.code,
      row.id,
    ]),
  );
  await api.db.insert(campaigns).values({ code: CAMPAIGN, name: '规模测试活动' });
  const [requirement] = await api.db
    .insert(studyRequirements)
    .values({ campaignCode: CAMPAIGN, year: 2012, noteCharactersQuota: QUOTA, hoursQuota: '60' })
    .returning();
  const groups = await api.db
    .insert(studyRequirementGroups)
    .values([
      { requirementId: requirement?.id ?? 0, name: '必学', kind: 'ALL', minMaterials: null, sortOrder: 0 },
      { requirementId: requirement?.id ?? 0, name: '三选二', kind: 'CHOICE', minMaterials: 2, sortOrder: 1 },
    ])
    .returning();
  await api.db.insert(studyRequirementGroupMaterials).values([
    ...MANDATORY.map((code, i) => ({
      groupId: groups[0]?.id ?? 0,
      materialId: materialIds.get(code) ?? 0,
      sortOrder: i,
    })),
    ...BOOKS.map((code, i) => ({
      groupId: groups[1]?.id ?? 0,
      materialId: materialIds.get(code) ?? 0,
      sortOrder: i,
    })),
  ]);

  // 1,000 cadres in ten new units under the zone; every 50th retired (the requirement skips them).
  const [zone] = await api.db.select().from(organizations).where(eq(organizations.code, 'ZONE'));
  const units = await api.db
    .insert(organizations)
    .values(
      Array.from({ length: 10 }, (_, i) => ({
        code: `SCALE_UNIT_${i}`,
        name: `规模测试单位${i}`,
        kind: 'DEPARTMENT' as const,
        parentId: zone?.id ?? 0,
        path: `${zone?.path}.SCALE_UNIT_${i}`,
      })),
    )
    .returning({ id: organizations.id });
  await api.db.insert(cadres).values(
    Array.from({ length: CADRES }, (_, i) => ({
      employeeNumber: `S-${String(i).padStart(4, '0')}`,
      organizationId: units[i % units.length]?.id ?? 0,
      name: `规模${i}`,
      gender: 'FEMALE' as const,
      status: i % 50 === 49 ? ('RETIRED' as const) : ('ACTIVE' as const),
    })),
  );
  const cadreIds = (
    await api.db.select({ id: cadres.id }).from(cadres).where(sql`${cadres.employeeNumber} like 'S-%'`)
  ).map((row) => row.id);

  // 50,000 records in one bulk insert: notes of 0–60 characters, half a day to a few hours, some
  // outside 2012 (they must not count), materials drawn so each rule fails for some cadres.
  const next = random(20120331);
  const materials = [null, null, ...MANDATORY, ...BOOKS].map((code) => (code ? (materialIds.get(code) ?? null) : null));
  const rows = Array.from({ length: RECORDS }, (_, i) => {
    const cadreId = cadreIds[Math.floor(next() * cadreIds.length)] ?? 0;
    const length = Math.floor(next() * 61);
    const note = Array.from({ length }, () => WORDS[Math.floor(next() * WORDS.length)]).join('');
    const year = i % 40 === 0 ? 2011 : 2012;
    const day = new Date(Date.UTC(year, 0, 1 + Math.floor(next() * 365))).toISOString().slice(0, 10);
    const material = materials[Math.floor(next() * materials.length)] ?? null;
    const hours = (Math.floor(next() * 26) / 10).toFixed(1);
    return { cadre_id: cadreId, day, material, hours, note };
  });
  // One JSON document as the only parameter: PGlite and node-postgres pass it alike (typed arrays
  // of parameters they do not).
  await api.db.execute(sql`
    insert into study_records (cadre_id, studied_on, material_id, method, hours, note)
    select r.cadre_id, r.day, r.material, 'SELF_STUDY', r.hours, r.note
    from json_to_recordset(${JSON.stringify(rows)}::json)
      as r(cadre_id int, day date, material int, hours numeric, note text)`);
  console.info(`scale data loaded in ${Math.round(performance.now() - started)} ms`);
}, 120_000);

afterAll(async () => {
  await api?.close();
});

interface Expected {
  employeeNumber: string;
  noteCharacters: number;
  hours: string;
  quotaMet: boolean;
  mandatoryMaterialsCovered: boolean;
  chosenMaterials: string[];
  compliant: boolean;
}

/**
 * The reference, computed here from the raw rows: characters counted in JS as code points, the
 * rules applied one by one. It shares nothing with the SQL but the data.
 */
let cachedReference: Promise<Map<string, Expected>> | undefined;
const reference = () => {
  cachedReference ??= computeReference();
  return cachedReference;
};

/** The raw rows, read once: the reference is computed from them for any as-of day. */
let cachedRaw:
  | Promise<{
      cadreRows: (typeof cadres.$inferSelect)[];
      materialCodes: Map<number, string>;
      records: { cadreId: number; studiedOn: string; materialId: number | null; hours: string; note: string }[];
    }>
  | undefined;
const raw = () => {
  cachedRaw ??= (async () => ({
    cadreRows: await api.db.select().from(cadres).where(eq(cadres.status, 'ACTIVE')),
    materialCodes: new Map((await api.db.select().from(studyMaterials)).map((row) => [row.id, row.code] as const)),
    records: await api.db
      .select({
        cadreId: studyRecords.cadreId,
        studiedOn: studyRecords.studiedOn,
        materialId: studyRecords.materialId,
        hours: studyRecords.hours,
        note: studyRecords.note,
      })
      .from(studyRecords),
  }))();
  return cachedRaw;
};

async function computeReference(asOf = '2012-12-31', unitId?: number): Promise<Map<string, Expected>> {
  const data = await raw();
  const cadreRows = data.cadreRows.filter((cadre) => unitId === undefined || cadre.organizationId === unitId);
  const { materialCodes, records } = data;
  const byCadre = new Map<number, { characters: number; tenths: number; materials: Set<string> }>();
  for (const record of records) {
    if (!record.studiedOn.startsWith('2012-') || record.studiedOn > asOf) continue;
    const entry = byCadre.get(record.cadreId) ?? { characters: 0, tenths: 0, materials: new Set<string>() };
    entry.characters += [...record.note].length;
    entry.tenths += Math.round(Number(record.hours) * 10);
    if (record.materialId !== null) entry.materials.add(materialCodes.get(record.materialId) ?? '');
    byCadre.set(record.cadreId, entry);
  }
  const expected = new Map<string, Expected>();
  for (const cadre of cadreRows) {
    const entry = byCadre.get(cadre.id) ?? { characters: 0, tenths: 0, materials: new Set<string>() };
    const quotaMet = entry.characters >= QUOTA;
    const hoursMet = entry.tenths >= HOURS_QUOTA_TENTHS;
    const mandatory = MANDATORY.every((code) => entry.materials.has(code));
    const chosen = BOOKS.filter((code) => entry.materials.has(code));
    expected.set(cadre.employeeNumber, {
      employeeNumber: cadre.employeeNumber,
      noteCharacters: entry.characters,
      hours: String(entry.tenths / 10),
      quotaMet,
      mandatoryMaterialsCovered: mandatory,
      chosenMaterials: chosen,
      compliant: quotaMet && hoursMet && mandatory && chosen.length >= 2,
    });
  }
  return expected;
}

const PAGE = /* GraphQL */ `
  query Page($after: String, $onlyNonCompliant: Boolean) {
    studyCompliance(campaignCode: "SCALE_TEST_2012", year: 2012, orgCode: "ZONE", includeDescendants: true,
                    onlyNonCompliant: $onlyNonCompliant, first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { cadre { employeeNumber } noteCharacters hours quotaMet mandatoryMaterialsCovered chosenMaterials { code } compliant }
    }
  }
`;

interface Page {
  studyCompliance: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: {
      cadre: { employeeNumber: string };
      noteCharacters: number;
      hours: string;
      quotaMet: boolean;
      mandatoryMaterialsCovered: boolean;
      chosenMaterials: { code: string }[];
      compliant: boolean;
    }[];
  };
}

describe('compliance at scale: 1,000 cadres and 50,000 records', () => {
  it('computes the whole ZONE in one statement and matches the reference', async () => {
    const expected = await reference();
    expect(expected.size).toBeGreaterThan(CADRES * 0.95);
    const compliantCount = [...expected.values()].filter((entry) => entry.compliant).length;
    // The generated data exercise both outcomes.
    expect(compliantCount).toBeGreaterThan(10);
    expect(compliantCount).toBeLessThan(expected.size - 10);

    // Every cadre of the subtree in one statement (the set the export and the rankings use).
    const statementsBefore = await countStatements(async () => {
      const started = performance.now();
      const rows = await complianceExportRows(
        api.db,
        { kind: 'ALL' },
        { campaignCode: CAMPAIGN, year: 2012, asOfDate: null, orgCode: 'ZONE', includeDescendants: true },
      );
      console.info(`ZONE compliance, ${rows.length} cadres: ${Math.round(performance.now() - started)} ms`);
      expect(rows).toHaveLength(expected.size);
      for (const row of rows) {
        const want = expected.get(row.employeeNumber);
        expect({
          employeeNumber: row.employeeNumber,
          noteCharacters: row.noteCharacters,
          hours: row.hours,
          quotaMet: row.quotaMet,
          mandatoryMaterialsCovered: row.mandatoryMaterialsCovered,
          chosenMaterials: row.chosenMaterials.map((material) => material.code),
          compliant: row.compliant,
        }).toEqual(want);
      }
    });
    expect(statementsBefore).toBe(1);

    // The counts per unit: one statement, the same totals.
    const ranking = await api.execute<{
      studyComplianceRanking: { parent: { cadres: number; compliant: number } };
    }>(`{ studyComplianceRanking(campaignCode: "SCALE_TEST_2012", year: 2012) { parent { cadres compliant } } }`);
    expect(ranking.statements).toHaveLength(1);
    expect(dataOf(ranking).studyComplianceRanking.parent).toEqual({ cadres: expected.size, compliant: compliantCount });
  }, 60_000);

  it('pages through the GraphQL connection at one statement a page, with the same answers', async () => {
    const expected = await reference();
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    const started = performance.now();
    do {
      const executed: Executed<Page> = await api.execute<Page>(PAGE, { after });
      expect(executed.statements).toHaveLength(1);
      const page: Page['studyCompliance'] = dataOf(executed).studyCompliance;
      expect(page.totalCount).toBe(expected.size);
      for (const node of page.nodes) {
        seen.push(node.cadre.employeeNumber);
        const want = expected.get(node.cadre.employeeNumber);
        expect({
          employeeNumber: node.cadre.employeeNumber,
          noteCharacters: node.noteCharacters,
          hours: node.hours,
          quotaMet: node.quotaMet,
          mandatoryMaterialsCovered: node.mandatoryMaterialsCovered,
          chosenMaterials: node.chosenMaterials.map((material) => material.code),
          compliant: node.compliant,
        }).toEqual(want);
      }
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    console.info(`${pages} pages in ${Math.round(performance.now() - started)} ms`);
    expect(seen.sort()).toEqual([...expected.keys()].sort());

    const failing = await api.execute<Page>(PAGE, { onlyNonCompliant: true });
    expect(failing.statements).toHaveLength(1);
    expect(dataOf(failing).studyCompliance.totalCount).toBe(
      [...expected.values()].filter((entry) => !entry.compliant).length,
    );
  }, 60_000);
});

/** round(100 · part / whole, 2) as PostgreSQL prints it after trim_scale: half away from zero, no trailing zeros. */
const percent = (part: number, whole: number) => String(Math.floor((2 * part * 10_000 + whole) / (2 * whole)) / 100);

describe('the compliance rate as a derived metric', () => {
  it('publishes each month’s rate through metricSeries in one statement, matching the reference', async () => {
    const created = await api.execute<{ createMetricDefinition: { __typename: string } }>(
      `mutation { createMetricDefinition(input: { code: "SCALE_STUDY_COMPLIANCE", name: "规模测试达标率", unit: "%",
        kind: STOCK, aggregation: NONE, direction: HIGHER_IS_BETTER, reportingGranularity: MONTH,
        derivation: "STUDY_COMPLIANCE_RATE:SCALE_TEST_2012" }) { __typename } }`,
    );
    expect(dataOf(created).createMetricDefinition.__typename).toBe('CreateMetricDefinitionPayload');

    const SERIES = /* GraphQL */ `
      query Series($orgCode: String!, $granularity: Granularity!) {
        metricSeries(input: { metricCodes: ["SCALE_STUDY_COMPLIANCE"], orgCode: $orgCode, includeDescendants: true,
                              from: "2012-01-01", to: "2012-12-31", granularity: $granularity }) {
          points { period { start } value source }
        }
      }
    `;
    type Series = {
      metricSeries: { points: { periodStart: string; value: string | null; source: string | null }[] }[];
    };
    const started = performance.now();
    const zone = await api.execute<Series>(SERIES, { orgCode: 'ZONE', granularity: 'MONTH' });
    console.info(`ZONE compliance series, 12 months: ${Math.round(performance.now() - started)} ms`);
    expect(zone.statements).toHaveLength(1);
    const points = dataOf(zone).metricSeries[0]?.points ?? [];
    expect(points).toHaveLength(12);

    const monthEnds = Array.from({ length: 12 }, (_, month) =>
      new Date(Date.UTC(2012, month + 1, 0)).toISOString().slice(0, 10),
    );
    const expectedRates = [];
    for (const monthEnd of monthEnds) {
      const byMonthEnd = [...(await computeReference(monthEnd)).values()];
      expectedRates.push(percent(byMonthEnd.filter((entry) => entry.compliant).length, byMonthEnd.length));
    }
    expect(points.map((point) => point.value)).toEqual(expectedRates);
    expect(points[0]?.source).toBe('derived: STUDY_COMPLIANCE_RATE:SCALE_TEST_2012');
    // The rate climbs through the year and some cadres are compliant by December.
    expect(Number(expectedRates[11])).toBeGreaterThan(Number(expectedRates[5]));

    // December is the year's figure: the same as the ranking's rate, as a percentage.
    const ranking = await api.execute<{ studyComplianceRanking: { parent: { complianceRate: string } } }>(
      `{ studyComplianceRanking(campaignCode: "SCALE_TEST_2012", year: 2012) { parent { complianceRate } } }`,
    );
    expect(Number(points[11]?.value)).toBe(Number(dataOf(ranking).studyComplianceRanking.parent.complianceRate) * 100);
    const year = await api.execute<Series>(SERIES, { orgCode: 'ZONE', granularity: 'YEAR' });
    expect(dataOf(year).metricSeries[0]?.points.map((point) => point.value)).toEqual([expectedRates[11]]);

    // A unit's figure covers its own cadres only.
    const [unit] = await api.db.select().from(organizations).where(eq(organizations.code, 'SCALE_UNIT_3'));
    const unitSeries = await api.execute<Series>(SERIES, { orgCode: 'SCALE_UNIT_3', granularity: 'MONTH' });
    const unitJune = [...(await computeReference('2012-06-30', unit?.id)).values()];
    expect(dataOf(unitSeries).metricSeries[0]?.points[5]?.value).toBe(
      percent(unitJune.filter((entry) => entry.compliant).length, unitJune.length),
    );
  }, 60_000);
});

describe('the lagging list at scale', () => {
  it('ranks the cadres furthest behind first, page after page, one statement a page', async () => {
    const LAGGING = /* GraphQL */ `
      query Lagging($after: String) {
        studyLagging(campaignCode: "SCALE_TEST_2012", year: 2012, asOfDate: "2012-06-30", orgCode: "ZONE",
                     includeDescendants: true, first: 100, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { cadre { employeeNumber } charactersBehind hoursBehind }
        }
      }
    `;
    // 30 June 2012 is day 182 of 366: pace ceil(1500·182/366) = 746 characters and round(60·182/366, 1) = 29.8 hours.
    const cadreRows = await api.db.select().from(cadres).where(eq(cadres.status, 'ACTIVE'));
    const records = await api.db
      .select({
        cadreId: studyRecords.cadreId,
        studiedOn: studyRecords.studiedOn,
        hours: studyRecords.hours,
        note: studyRecords.note,
      })
      .from(studyRecords)
      .where(sql`${studyRecords.studiedOn} between '2012-01-01' and '2012-06-30'`);
    const written = new Map<number, { characters: number; tenths: number }>();
    for (const record of records) {
      const entry = written.get(record.cadreId) ?? { characters: 0, tenths: 0 };
      entry.characters += [...record.note].length;
      entry.tenths += Math.round(Number(record.hours) * 10);
      written.set(record.cadreId, entry);
    }
    const expected = cadreRows
      .map((cadre) => {
        const entry = written.get(cadre.id) ?? { characters: 0, tenths: 0 };
        const hoursBehindTenths = Math.max(298 - entry.tenths, 0);
        return {
          cadre: { employeeNumber: cadre.employeeNumber },
          charactersBehind: Math.max(746 - entry.characters, 0),
          hoursBehind: String(hoursBehindTenths / 10),
          hoursBehindTenths,
        };
      })
      .filter((entry) => entry.charactersBehind > 0 || entry.hoursBehindTenths > 0)
      .sort(
        (a, b) =>
          b.charactersBehind - a.charactersBehind ||
          b.hoursBehindTenths - a.hoursBehindTenths ||
          (a.cadre.employeeNumber < b.cadre.employeeNumber ? -1 : 1),
      )
      .map(({ hoursBehindTenths: _tenths, ...entry }) => entry);
    expect(expected.length).toBeGreaterThan(100);

    const seen: typeof expected = [];
    let after: string | null = null;
    do {
      type Lagging = {
        studyLagging: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          nodes: (typeof expected)[number][];
        };
      };
      const executed: Executed<Lagging> = await api.execute<Lagging>(LAGGING, { after });
      expect(executed.statements).toHaveLength(1);
      const page: Lagging['studyLagging'] = dataOf(executed).studyLagging;
      expect(page.totalCount).toBe(expected.length);
      seen.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(expected);
  }, 60_000);
});

/** Counts the statements drizzle sends while `run` runs (the API's logger records them). */
async function countStatements(run: () => Promise<void>): Promise<number> {
  const before = await api.execute('{ __typename }');
  expect(before.statements).toHaveLength(0);
  let count = 0;
  const original = api.db.execute.bind(api.db);
  (api.db as { execute: typeof api.db.execute }).execute = ((query: Parameters<typeof original>[0]) => {
    count += 1;
    return original(query);
  }) as typeof api.db.execute;
  try {
    await run();
  } finally {
    (api.db as { execute: typeof api.db.execute }).execute = original;
  }
  return count;
}
