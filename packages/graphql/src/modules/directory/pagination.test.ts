import { cadres, organizations } from '@sixtype/db';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, openTestApi, type TestApi } from '../../test-support.ts';

let api: TestApi;

const UNIT = 'PAGING_UNIT';
const PARENT = 'PAGING_PARENT';
const SHARED_NAME = '张伟';
const TIED_CADRES = 25;
const TIED_UNITS = 12;

/** 0..n-1 in a scrambled but fixed order, so that ids and natural keys do not sort alike. */
const scrambled = (n: number) => Array.from({ length: n }, (_, i) => (i * 7 + 3) % n);

async function mutate(source: string, input: object) {
  const data = dataOf(await api.execute<Record<string, { __typename: string }>>(source, { input }));
  const result = Object.values(data)[0];
  if (!result?.__typename.endsWith('Payload')) throw new Error(`setup mutation failed: ${JSON.stringify(data)}`);
}

const CREATE_ORGANIZATION = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename } }`;
const CREATE_CADRE = `mutation($input: CreateCadreInput!) { createCadre(input: $input) { __typename } }`;

beforeAll(async () => {
  api = await openTestApi();
  await mutate(CREATE_ORGANIZATION, { code: UNIT, name: '分页测试单位', kind: 'OTHER', parentCode: 'ZONE' });
  // Every cadre of the unit but two shares one name, so the order rests on the id tie-breaker;
  // the two others make the cursor cross from one name to the next as well.
  for (const index of scrambled(TIED_CADRES)) {
    const employeeNumber = `PG-${String(index).padStart(4, '0')}`;
    await mutate(CREATE_CADRE, { employeeNumber, organizationCode: UNIT, name: SHARED_NAME, gender: 'MALE' });
  }
  for (const [employeeNumber, name] of [
    ['PG-A', '艾青'],
    ['PG-Z', '朱自清'],
  ]) {
    await mutate(CREATE_CADRE, { employeeNumber, organizationCode: UNIT, name, gender: 'FEMALE' });
  }
  // Units that all sit at sort order 0, beside the zone itself, which has sort order 0 too.
  await mutate(CREATE_ORGANIZATION, { code: PARENT, name: '分页测试上级', kind: 'OTHER', parentCode: 'ZONE' });
  for (const index of scrambled(TIED_UNITS)) {
    const code = `PAGED_UNIT_${String(index).padStart(2, '0')}`;
    await mutate(CREATE_ORGANIZATION, {
      code,
      name: `分页单位${index}`,
      kind: 'OTHER',
      parentCode: PARENT,
      sortOrder: 0,
    });
  }
});

afterAll(async () => {
  await api?.close();
});

interface PageArgs {
  first?: number;
  after?: string | null;
  last?: number;
  before?: string | null;
}

interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { cursor: string; node: { key: string } }[];
}

const PAGE_FIELDS = /* GraphQL */ `
  totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { key: employeeNumber } }
`;
const PAGE_ARGS = 'first: $first, after: $after, last: $last, before: $before';
const PAGE_VARIABLES = '$first: Int, $after: String, $last: Int, $before: String';

type Connection = { name: string; fetch: (args: PageArgs) => Promise<Page> };

/** Loads one page and checks what every page promises: one statement, the total, matching cursors. */
async function loadPage(
  source: string,
  variables: Record<string, unknown>,
  pick: (data: Record<string, unknown>) => Page,
) {
  const executed = await api.execute<Record<string, unknown>>(source, variables);
  const page = pick(dataOf(executed));
  expect(executed.statements).toHaveLength(1);
  expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
  expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
  return page;
}

const unitCadres: Connection = {
  name: `organization(code: ${UNIT}) { cadres }`,
  fetch: (args) =>
    loadPage(
      `query($code: String!, ${PAGE_VARIABLES}) { organization(code: $code) { cadres(${PAGE_ARGS}) { ${PAGE_FIELDS} } } }`,
      { ...args, code: UNIT },
      (data) => (data.organization as { cadres: Page }).cadres,
    ),
};

const rootCadres: Connection = {
  name: `cadres(orgCode: ${UNIT})`,
  fetch: (args) =>
    loadPage(
      `query($code: String!, ${PAGE_VARIABLES}) { cadres(orgCode: $code, ${PAGE_ARGS}) { ${PAGE_FIELDS} } }`,
      { ...args, code: UNIT },
      (data) => data.cadres as Page,
    ),
};

const ORGANIZATION_PAGE_FIELDS = PAGE_FIELDS.replace('key: employeeNumber', 'key: code');

const subtreeOrganizations: Connection = {
  name: `organizations(orgCode: ${PARENT}, includeDescendants: true)`,
  fetch: (args) =>
    loadPage(
      `query($code: String!, ${PAGE_VARIABLES}) {
        organizations(orgCode: $code, includeDescendants: true, ${PAGE_ARGS}) { ${ORGANIZATION_PAGE_FIELDS} }
      }`,
      { ...args, code: PARENT },
      (data) => data.organizations as Page,
    ),
};

const allOrganizations: Connection = {
  name: 'organizations',
  fetch: (args) =>
    loadPage(
      `query(${PAGE_VARIABLES}) { organizations(${PAGE_ARGS}) { ${ORGANIZATION_PAGE_FIELDS} } }`,
      { ...args },
      (data) => data.organizations as Page,
    ),
};

/** Follows `endCursor` from the start; returns the keys in the order they arrived. */
async function walkForward(connection: Connection, size: number, expectedTotal: number) {
  const keys: string[] = [];
  let after: string | null = null;
  for (let pages = 1; pages <= expectedTotal + 1; pages += 1) {
    const page: Page = await connection.fetch({ first: size, after });
    expect(page.totalCount).toBe(expectedTotal);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    keys.push(...page.edges.map((edge) => edge.node.key));
    if (!page.pageInfo.hasNextPage) {
      expect(pages).toBe(Math.max(1, Math.ceil(expectedTotal / size)));
      return keys;
    }
    expect(page.edges).toHaveLength(size);
    after = page.pageInfo.endCursor;
  }
  throw new Error(`${connection.name} kept reporting a next page`);
}

/** Follows `startCursor` from the end; returns the keys in the order they arrived (last row first). */
async function walkBackward(connection: Connection, size: number, expectedTotal: number) {
  const keys: string[] = [];
  let before: string | null = null;
  for (let pages = 1; pages <= expectedTotal + 1; pages += 1) {
    const page: Page = await connection.fetch({ last: size, before });
    expect(page.totalCount).toBe(expectedTotal);
    expect(page.pageInfo.hasNextPage).toBe(before !== null);
    keys.push(...page.edges.map((edge) => edge.node.key).reverse());
    if (!page.pageInfo.hasPreviousPage) {
      expect(pages).toBe(Math.max(1, Math.ceil(expectedTotal / size)));
      return keys;
    }
    expect(page.edges).toHaveLength(size);
    before = page.pageInfo.startCursor;
  }
  throw new Error(`${connection.name} kept reporting a previous page`);
}

/** The documented order, read straight from the tables: sort key first, id as the tie-breaker. */
async function cadresInOrder() {
  const [unit] = await api.db.select().from(organizations).where(eq(organizations.code, UNIT));
  if (!unit) throw new Error('setup did not create the unit');
  const rows = await api.db
    .select({ key: cadres.employeeNumber })
    .from(cadres)
    .where(eq(cadres.organizationId, unit.id))
    .orderBy(asc(cadres.name), asc(cadres.id));
  return rows.map((row) => row.key);
}

async function organizationsInOrder(underParent: boolean) {
  const rows = await api.db
    .select({ key: organizations.code })
    .from(organizations)
    .orderBy(asc(organizations.sortOrder), asc(organizations.id));
  const inSubtree = (code: string) => code === PARENT || code.startsWith('PAGED_UNIT_');
  return rows.map((row) => row.key).filter((code) => !underParent || inSubtree(code));
}

describe('cursor paging walks every row exactly once, in a stable order, both ways', () => {
  it('has rows whose sort keys tie', async () => {
    const ordered = await cadresInOrder();
    expect(ordered).toHaveLength(TIED_CADRES + 2);
    // The ties really are broken by creation (id), not by employee number.
    const tied = ordered.filter((key) => key.match(/^PG-\d+$/));
    expect(tied).toEqual(scrambled(TIED_CADRES).map((index) => `PG-${String(index).padStart(4, '0')}`));
    expect(tied).not.toEqual([...tied].sort());
    expect(await organizationsInOrder(true)).toHaveLength(TIED_UNITS + 1);
  });

  const cases: [Connection, () => Promise<string[]>][] = [
    [unitCadres, cadresInOrder],
    [rootCadres, cadresInOrder],
    [subtreeOrganizations, () => organizationsInOrder(true)],
    [allOrganizations, () => organizationsInOrder(false)],
  ];

  for (const [connection, expectedOrder] of cases) {
    for (const size of [1, 7, 100]) {
      it(`${connection.name} at page size ${size}`, async () => {
        const expected = await expectedOrder();
        const forward = await walkForward(connection, size, expected.length);
        const backward = await walkBackward(connection, size, expected.length);
        expect(new Set(forward).size).toBe(forward.length);
        expect(forward).toEqual(expected);
        expect(forward).toEqual([...backward].reverse());
      });
    }
  }

  it('an empty page past the end still answers with the total and no cursors', async () => {
    const expected = await cadresInOrder();
    const lastPage = await rootCadres.fetch({ last: 1 });
    const executed = await api.execute<{ cadres: Page }>(
      `query($after: String) { cadres(orgCode: "${UNIT}", first: 5, after: $after) { ${PAGE_FIELDS} } }`,
      { after: lastPage.pageInfo.endCursor },
    );
    expect(dataOf(executed).cadres).toEqual({
      totalCount: expected.length,
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
      edges: [],
    });
  });
});
