import { demoCadres, demoOrganizations, organizations } from '@sixtype/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorCodes, globalId, openTestApi, type TestApi } from '../../test-support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
});

afterAll(async () => {
  await api?.close();
});

interface OrgCodes {
  code: string;
}

interface OrganizationPage {
  organizations: { totalCount: number; nodes: OrgCodes[] };
}

const ORGANIZATIONS = /* GraphQL */ `
  query Organizations(
    $filter: OrganizationFilter
    $orgCode: String
    $includeDescendants: Boolean
    $first: Int
    $last: Int
  ) {
    organizations(
      filter: $filter
      orgCode: $orgCode
      includeDescendants: $includeDescendants
      first: $first
      last: $last
    ) {
      totalCount
      nodes {
        code
      }
    }
  }
`;

/** Runs `organizations(…)` with up to 100 rows and checks that the page came in one statement. */
async function listOrganizations(variables: Record<string, unknown>) {
  const executed = await api.execute<OrganizationPage>(ORGANIZATIONS, { first: 100, ...variables });
  const { organizations: page } = dataOf(executed);
  expect(executed.statements).toHaveLength(1);
  return { totalCount: page.totalCount, codes: page.nodes.map((node) => node.code) };
}

const demoCodes = (keep: (org: (typeof demoOrganizations)[number]) => boolean) =>
  demoOrganizations.filter(keep).map((org) => org.code);

async function organizationId(code: string) {
  const [row] = await api.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.code, code));
  if (!row) throw new Error(`no organization ${code}`);
  return row.id;
}

describe('reading the organization tree', () => {
  it('returns the zone and its direct children in document order', async () => {
    const executed = await api.execute<{ organization: { name: string; children: OrgCodes[] } }>(
      `{ organization(code: "ZONE") { name children { code } } }`,
    );
    const { organization } = dataOf(executed);
    expect(organization.name).toBe('经济开发区');
    const childCodes = organization.children.map((child) => child.code);
    expect(childCodes.slice(0, 6)).toEqual([
      'PARTY_WORKING_COMMITTEE',
      'MANAGEMENT_COMMITTEE',
      'DISCIPLINE_WORKING_COMMITTEE',
      'INVESTMENT_PROMOTION_BUREAU',
      'PETITION_OFFICE',
      'FAMILY_PLANNING_OFFICE',
    ]);
    expect(childCodes).toEqual(demoCodes((org) => org.parentCode === 'ZONE'));
    expect(executed.statements).toHaveLength(1);
  });

  it('loads children with their cadres and each cadre’s unit in ONE statement', async () => {
    const executed = await api.execute<{
      organization: {
        children: {
          cadres: { totalCount: number; nodes: { name: string; organization: { name: string } }[] };
        }[];
      };
    }>(
      `{ organization(code: "ZONE") { children { cadres(first: 50) { totalCount nodes { name organization { name } } } } } }`,
    );
    const { organization } = dataOf(executed);
    expect(executed.statements).toHaveLength(1);

    const children = demoOrganizations.filter((org) => org.parentCode === 'ZONE');
    expect(organization.children).toHaveLength(children.length);
    organization.children.forEach((child, index) => {
      const unit = children[index];
      const cadresOfUnit = demoCadres.filter((cadre) => cadre.organizationCode === unit?.code);
      expect(child.cadres.totalCount).toBe(cadresOfUnit.length);
      // The order of names depends on the database's collation, so compare them as sets.
      expect(child.cadres.nodes.map((node) => node.name).sort()).toEqual(cadresOfUnit.map((c) => c.name).sort());
      for (const node of child.cadres.nodes) expect(node.organization.name).toBe(unit?.name);
    });
    // Cadres of SIX_TYPE_OFFICE belong to a grandchild of the zone and are not counted under 纪工委.
    const discipline = organization.children[children.findIndex((c) => c.code === 'DISCIPLINE_WORKING_COMMITTEE')];
    expect(discipline?.cadres.totalCount).toBe(2);
  });

  it('gives a unit’s ancestors root first, its parent and its depth, in one statement', async () => {
    const executed = await api.execute<{
      organization: { name: string; depth: number; parent: OrgCodes; ancestors: OrgCodes[] };
      zone: { depth: number; parent: OrgCodes | null; ancestors: OrgCodes[] };
    }>(`{
      organization(code: "SIX_TYPE_OFFICE") { name depth parent { code } ancestors { code } }
      zone: organization(code: "ZONE") { depth parent { code } ancestors { code } }
    }`);
    const data = dataOf(executed);
    expect(data.organization).toEqual({
      name: '创建“六型机关”工作领导小组办公室',
      depth: 2,
      parent: { code: 'DISCIPLINE_WORKING_COMMITTEE' },
      ancestors: [{ code: 'ZONE' }, { code: 'DISCIPLINE_WORKING_COMMITTEE' }],
    });
    expect(data.zone).toEqual({ depth: 0, parent: null, ancestors: [] });
    // One statement per root field.
    expect(executed.statements).toHaveLength(2);
  });

  it('returns null for an unknown code', async () => {
    const executed = await api.execute<{ organization: null }>(`{ organization(code: "NOPE") { code } }`);
    expect(dataOf(executed).organization).toBeNull();
  });
});

describe('the organizations connection', () => {
  it('lists every unit in sort order with a total count', async () => {
    const { totalCount, codes } = await listOrganizations({});
    expect(totalCount).toBe(demoOrganizations.length);
    expect(codes).toEqual(demoOrganizations.map((org) => org.code));
  });

  it('counts all matches while returning one page', async () => {
    const { totalCount, codes } = await listOrganizations({ first: 3 });
    expect(totalCount).toBe(demoOrganizations.length);
    expect(codes).toEqual(['ZONE', 'PARTY_WORKING_COMMITTEE', 'MANAGEMENT_COMMITTEE']);
  });

  it('filters by text ignoring case, and treats % and _ as plain characters', async () => {
    const offices = demoCodes((org) => org.code.includes('OFFICE'));
    expect(await listOrganizations({ filter: { code: { includesInsensitive: 'office' } } })).toEqual({
      totalCount: offices.length,
      codes: offices,
    });
    const named = demoCodes((org) => org.name.includes('办公室'));
    expect(await listOrganizations({ filter: { name: { includesInsensitive: '办公室' } } })).toEqual({
      totalCount: named.length,
      codes: named,
    });
    // Unescaped, `_` would match any character and `%` anything: ZONE has neither.
    const withUnderscore = demoCodes((org) => org.code.includes('_'));
    expect(await listOrganizations({ filter: { code: { includesInsensitive: '_' } } })).toEqual({
      totalCount: withUnderscore.length,
      codes: withUnderscore,
    });
    const percent = await api.execute<OrganizationPage>(ORGANIZATIONS, {
      filter: { code: { includesInsensitive: '%' } },
    });
    expect(dataOf(percent).organizations).toEqual({ totalCount: 0, nodes: [] });
  });

  it('filters by kind, equalTo/in and and/or/not', async () => {
    const departmentsAndOffices = demoCodes((org) => org.kind === 'DEPARTMENT' || org.kind === 'OFFICE');
    expect(await listOrganizations({ filter: { kind: { in: ['DEPARTMENT', 'OFFICE'] } } })).toEqual({
      totalCount: departmentsAndOffices.length,
      codes: departmentsAndOffices,
    });

    const officesOrCommittees = demoCodes(
      (org) => org.kind === 'OFFICE' || (org.kind.endsWith('COMMITTEE') && org.code !== 'MANAGEMENT_COMMITTEE'),
    );
    expect(
      await listOrganizations({
        filter: {
          or: [
            { kind: { equalTo: 'OFFICE' } },
            {
              kind: { in: ['PARTY_WORKING_COMMITTEE', 'MANAGEMENT_COMMITTEE', 'DISCIPLINE_COMMITTEE'] },
              not: { code: { equalTo: 'MANAGEMENT_COMMITTEE' } },
            },
          ],
        },
      }),
    ).toEqual({ totalCount: officesOrCommittees.length, codes: officesOrCommittees });

    const notDemo = demoCodes((org) => !org.name.includes('演示') && org.kind !== 'ZONE');
    expect(
      await listOrganizations({
        filter: { and: [{ not: { name: { includesInsensitive: '演示' } } }, { not: { kind: { equalTo: 'ZONE' } } }] },
      }),
    ).toEqual({ totalCount: notDemo.length, codes: notDemo });
  });

  it('scopes to one unit, or to the unit and everything below it', async () => {
    expect(await listOrganizations({ orgCode: 'DISCIPLINE_WORKING_COMMITTEE' })).toEqual({
      totalCount: 1,
      codes: ['DISCIPLINE_WORKING_COMMITTEE'],
    });
    expect(await listOrganizations({ orgCode: 'DISCIPLINE_WORKING_COMMITTEE', includeDescendants: false })).toEqual({
      totalCount: 1,
      codes: ['DISCIPLINE_WORKING_COMMITTEE'],
    });
    expect(await listOrganizations({ orgCode: 'DISCIPLINE_WORKING_COMMITTEE', includeDescendants: true })).toEqual({
      totalCount: 2,
      codes: ['DISCIPLINE_WORKING_COMMITTEE', 'SIX_TYPE_OFFICE'],
    });
    expect((await listOrganizations({ orgCode: 'ZONE', includeDescendants: true })).totalCount).toBe(
      demoOrganizations.length,
    );
    // Scope and filter combine.
    expect(
      await listOrganizations({
        orgCode: 'ZONE',
        includeDescendants: true,
        filter: { kind: { equalTo: 'SUBDISTRICT_OFFICE' } },
      }),
    ).toEqual({ totalCount: 2, codes: ['EAST_SUBDISTRICT_OFFICE', 'WEST_SUBDISTRICT_OFFICE'] });
  });

  it('answers NOT_FOUND for an unknown scope unit', async () => {
    for (const includeDescendants of [false, true]) {
      const executed = await api.execute(ORGANIZATIONS, { orgCode: 'NOPE', includeDescendants });
      expect(errorCodes(executed)).toEqual(['NOT_FOUND']);
      expect(executed.result.data).toBeNull();
    }
  });

  it('refuses pages larger than 100 with BAD_USER_INPUT', async () => {
    for (const size of [{ first: 101 }, { first: null, last: 101 }, { first: -1 }]) {
      const executed = await api.execute(ORGANIZATIONS, size);
      expect(errorCodes(executed)).toEqual(['BAD_USER_INPUT']);
      expect(executed.statements).toEqual([]);
    }
    const largest = await listOrganizations({ first: 100 });
    expect(largest.totalCount).toBe(demoOrganizations.length);
  });

  it('finds units by global id through node and nodes', async () => {
    const sixTypeOffice = globalId('Organization', await organizationId('SIX_TYPE_OFFICE'));
    const zone = globalId('Organization', await organizationId('ZONE'));

    const one = await api.execute<{ node: { __typename: string; id: string; code: string } }>(
      `query($id: ID!) { node(id: $id) { __typename id ... on Organization { code } } }`,
      { id: sixTypeOffice },
    );
    expect(dataOf(one).node).toEqual({ __typename: 'Organization', id: sixTypeOffice, code: 'SIX_TYPE_OFFICE' });
    expect(one.statements).toHaveLength(1);

    const many = await api.execute<{ nodes: { id: string; code: string }[] }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Organization { code } } }`,
      { ids: [zone, sixTypeOffice] },
    );
    expect(dataOf(many).nodes).toEqual([
      { id: zone, code: 'ZONE' },
      { id: sixTypeOffice, code: 'SIX_TYPE_OFFICE' },
    ]);
    expect(many.statements).toHaveLength(1);
  });

  it('answers null for an id whose row does not exist, and still answers the others', async () => {
    const zone = globalId('Organization', await organizationId('ZONE'));
    const missing = globalId('Organization', 999_999);

    const one = await api.execute<{ node: null }>(`query($id: ID!) { node(id: $id) { id } }`, { id: missing });
    expect(one.result.errors).toBeUndefined();
    expect(dataOf(one).node).toBeNull();

    const many = await api.execute<{ nodes: ({ code: string } | null)[] }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Organization { code } } }`,
      { ids: [zone, missing] },
    );
    expect(many.result.errors).toBeUndefined();
    expect(dataOf(many).nodes).toEqual([{ code: 'ZONE' }, null]);
  });
});

type MutationResult = {
  __typename: string;
  message?: string;
  code?: string;
  fieldErrors?: { path: string[]; message: string }[];
  field?: string | null;
  entity?: string;
  key?: string;
  organization?: {
    id: string;
    code: string;
    name: string;
    kind: string;
    sortOrder: number;
    depth: number;
    parent: OrgCodes | null;
    ancestors: OrgCodes[];
  };
};

const RESULT_FIELDS = /* GraphQL */ `
  __typename
  ... on UserError { message code }
  ... on ValidationError { fieldErrors { path message } }
  ... on ConflictError { field }
  ... on NotFoundError { entity key }
`;
const ORGANIZATION_FIELDS = 'organization { id code name kind sortOrder depth parent { code } ancestors { code } }';

async function mutate(name: 'createOrganization' | 'updateOrganization' | 'moveOrganization', input: object) {
  const typeName = `${name[0]?.toUpperCase()}${name.slice(1)}`;
  const executed = await api.execute<Record<string, MutationResult>>(
    `mutation($input: ${typeName}Input!) {
      ${name}(input: $input) { ${RESULT_FIELDS} ... on ${typeName}Payload { ${ORGANIZATION_FIELDS} } }
    }`,
    { input },
  );
  const result = dataOf(executed)[name];
  if (!result) throw new Error(`${name} returned nothing`);
  return result;
}

describe('organization mutations refuse bad input and write nothing', () => {
  it('creating under an unknown parent is NotFoundError', async () => {
    const result = await api.expectNoWrites(() =>
      mutate('createOrganization', { code: 'NEW_UNIT', name: '新单位', kind: 'OFFICE', parentCode: 'NOPE' }),
    );
    expect(result).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      entity: 'Organization',
      key: 'NOPE',
    });
  });

  it('updating an unknown unit is NotFoundError', async () => {
    const result = await api.expectNoWrites(() => mutate('updateOrganization', { code: 'NOPE', name: '无' }));
    expect(result).toMatchObject({ __typename: 'NotFoundError', key: 'NOPE' });
  });

  it('moving a unit below itself is a ValidationError on newParentCode', async () => {
    for (const newParentCode of ['SIX_TYPE_OFFICE', 'DISCIPLINE_WORKING_COMMITTEE']) {
      const result = await api.expectNoWrites(() =>
        mutate('moveOrganization', { code: 'DISCIPLINE_WORKING_COMMITTEE', newParentCode }),
      );
      expect(result.__typename).toBe('ValidationError');
      expect(result.fieldErrors?.map((error) => error.path)).toEqual([['input', 'newParentCode']]);
    }
    const after = await api.execute<{ organization: { ancestors: OrgCodes[] } }>(
      `{ organization(code: "SIX_TYPE_OFFICE") { ancestors { code } } }`,
    );
    expect(dataOf(after).organization.ancestors).toEqual([{ code: 'ZONE' }, { code: 'DISCIPLINE_WORKING_COMMITTEE' }]);
  });

  it('moving the root is a ValidationError on code', async () => {
    const result = await api.expectNoWrites(() =>
      mutate('moveOrganization', { code: 'ZONE', newParentCode: 'PETITION_OFFICE' }),
    );
    expect(result.__typename).toBe('ValidationError');
    expect(result.fieldErrors?.map((error) => error.path)).toEqual([['input', 'code']]);
  });

  it('moving to an unknown parent is NotFoundError', async () => {
    const result = await api.expectNoWrites(() =>
      mutate('moveOrganization', { code: 'PETITION_OFFICE', newParentCode: 'NOPE' }),
    );
    expect(result).toMatchObject({ __typename: 'NotFoundError', key: 'NOPE' });
  });

  it('a code that is taken is a ConflictError on code, whatever the parent', async () => {
    for (const parentCode of ['ZONE', 'FINANCE_BUREAU']) {
      const result = await api.expectNoWrites(() =>
        mutate('createOrganization', { code: 'PETITION_OFFICE', name: '重复', kind: 'OFFICE', parentCode }),
      );
      expect(result).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', field: 'code' });
    }
  });

  it('a name over 200 characters is a ValidationError on name', async () => {
    const name = '区'.repeat(201);
    const created = await api.expectNoWrites(() =>
      mutate('createOrganization', { code: 'LONG_NAME', name, kind: 'OFFICE', parentCode: 'ZONE' }),
    );
    expect(created.__typename).toBe('ValidationError');
    expect(created.fieldErrors?.map((error) => error.path)).toEqual([['input', 'name']]);

    const updated = await api.expectNoWrites(() => mutate('updateOrganization', { code: 'PETITION_OFFICE', name }));
    expect(updated.fieldErrors?.map((error) => error.path)).toEqual([['input', 'name']]);

    const blank = await api.expectNoWrites(() => mutate('updateOrganization', { code: 'PETITION_OFFICE', name: '  ' }));
    expect(blank.fieldErrors?.map((error) => error.path)).toEqual([['input', 'name']]);
  });

  it('a code that is not UPPER_SNAKE_CASE is a ValidationError on code', async () => {
    for (const code of ['new_unit', 'NEW-UNIT', '1UNIT', 'NEW UNIT', `U${'X'.repeat(64)}`]) {
      const result = await api.expectNoWrites(() =>
        mutate('createOrganization', { code, name: '新单位', kind: 'OFFICE', parentCode: 'ZONE' }),
      );
      expect(result.__typename).toBe('ValidationError');
      expect(result.fieldErrors?.map((error) => error.path)).toEqual([['input', 'code']]);
    }
  });

  it('the parent rule of ZONE is a ValidationError on parentCode', async () => {
    const orphan = await api.expectNoWrites(() =>
      mutate('createOrganization', { code: 'ORPHAN', name: '无上级', kind: 'OFFICE' }),
    );
    expect(orphan.fieldErrors?.map((error) => error.path)).toEqual([['input', 'parentCode']]);
    const nestedZone = await api.expectNoWrites(() =>
      mutate('createOrganization', { code: 'SUB_ZONE', name: '园中园', kind: 'ZONE', parentCode: 'ZONE' }),
    );
    expect(nestedZone.fieldErrors?.map((error) => error.path)).toEqual([['input', 'parentCode']]);
    const promoted = await api.expectNoWrites(() =>
      mutate('updateOrganization', { code: 'PETITION_OFFICE', kind: 'ZONE' }),
    );
    expect(promoted.fieldErrors?.map((error) => error.path)).toEqual([['input', 'kind']]);
  });
});

describe('organization mutations that succeed', () => {
  it('creates a unit after its last sibling, with path, depth and ancestors, and audits it', async () => {
    const lastSibling = await api.execute<{ organization: { children: { code: string; sortOrder: number }[] } }>(
      `{ organization(code: "DISCIPLINE_WORKING_COMMITTEE") { children { code sortOrder } } }`,
    );
    expect(dataOf(lastSibling).organization.children.map((child) => child.code)).toEqual(['SIX_TYPE_OFFICE']);
    const sixTypeOfficeSortOrder = dataOf(lastSibling).organization.children[0]?.sortOrder ?? Number.NaN;
    const since = await api.lastAuditId();
    const before = await api.directoryRowCounts();
    const result = await mutate('createOrganization', {
      code: 'INTEGRITY_EDUCATION_OFFICE',
      name: '廉政教育室',
      kind: 'OFFICE',
      parentCode: 'DISCIPLINE_WORKING_COMMITTEE',
    });
    expect(result.organization).toMatchObject({
      code: 'INTEGRITY_EDUCATION_OFFICE',
      name: '廉政教育室',
      kind: 'OFFICE',
      sortOrder: sixTypeOfficeSortOrder + 1,
      depth: 2,
      parent: { code: 'DISCIPLINE_WORKING_COMMITTEE' },
      ancestors: [{ code: 'ZONE' }, { code: 'DISCIPLINE_WORKING_COMMITTEE' }],
    });
    expect(await api.directoryRowCounts()).toEqual({
      ...before,
      organizations: before.organizations + 1,
      auditEvents: before.auditEvents + 1,
    });
    const id = await organizationId('INTEGRITY_EDUCATION_OFFICE');
    expect(await api.auditEventsAfter(since)).toEqual([
      expect.objectContaining({
        actorKind: 'SYSTEM',
        actorId: 'test',
        operation: 'createOrganization',
        entityType: 'Organization',
        entityId: String(id),
        before: null,
        after: expect.objectContaining({ id, code: 'INTEGRITY_EDUCATION_OFFICE', name: '廉政教育室' }),
      }),
    ]);

    const siblings = await api.execute<{ organization: { children: OrgCodes[] } }>(
      `{ organization(code: "DISCIPLINE_WORKING_COMMITTEE") { children { code } } }`,
    );
    expect(dataOf(siblings).organization.children).toEqual([
      { code: 'SIX_TYPE_OFFICE' },
      { code: 'INTEGRITY_EDUCATION_OFFICE' },
    ]);
  });

  it('places a unit at an explicit sort order', async () => {
    const result = await mutate('createOrganization', {
      code: 'FIRST_AMONG_CHILDREN',
      name: '排在最前',
      kind: 'OTHER',
      parentCode: 'DISCIPLINE_WORKING_COMMITTEE',
      sortOrder: 0,
    });
    expect(result.organization?.sortOrder).toBe(0);
    const siblings = await api.execute<{ organization: { children: OrgCodes[] } }>(
      `{ organization(code: "DISCIPLINE_WORKING_COMMITTEE") { children { code } } }`,
    );
    expect(dataOf(siblings).organization.children[0]).toEqual({ code: 'FIRST_AMONG_CHILDREN' });
  });

  it('updates the given fields only, and audits before and after', async () => {
    const [before] = await api.db.select().from(organizations).where(eq(organizations.code, 'PETITION_OFFICE'));
    const since = await api.lastAuditId();
    const result = await mutate('updateOrganization', { code: 'PETITION_OFFICE', name: '区信访局', sortOrder: 50 });
    expect(result.organization).toMatchObject({
      code: 'PETITION_OFFICE',
      name: '区信访局',
      kind: 'OFFICE',
      sortOrder: 50,
      parent: { code: 'ZONE' },
    });
    const id = await organizationId('PETITION_OFFICE');
    expect(await api.auditEventsAfter(since)).toEqual([
      expect.objectContaining({
        operation: 'updateOrganization',
        entityType: 'Organization',
        entityId: String(id),
        before: expect.objectContaining({ name: '区信访办公室', kind: 'OFFICE', sortOrder: before?.sortOrder }),
        after: expect.objectContaining({ name: '区信访局', kind: 'OFFICE', sortOrder: 50 }),
      }),
    ]);
    const children = await api.execute<{ organization: { children: OrgCodes[] } }>(
      `{ organization(code: "ZONE") { children { code } } }`,
    );
    expect(dataOf(children).organization.children.at(-1)).toEqual({ code: 'PETITION_OFFICE' });
  });

  it('moves a unit with its whole subtree', async () => {
    // 培训中心 › 一班 › 一组, and 培训中心 › 二班, built under 管委会.
    const tree = [
      { code: 'TRAINING_CENTER', name: '培训中心', parentCode: 'MANAGEMENT_COMMITTEE' },
      { code: 'TRAINING_CLASS_ONE', name: '一班', parentCode: 'TRAINING_CENTER' },
      { code: 'TRAINING_CLASS_TWO', name: '二班', parentCode: 'TRAINING_CENTER' },
      { code: 'TRAINING_GROUP_ONE', name: '一组', parentCode: 'TRAINING_CLASS_ONE' },
    ];
    for (const unit of tree) {
      expect((await mutate('createOrganization', { ...unit, kind: 'OTHER' })).__typename).toBe(
        'CreateOrganizationPayload',
      );
    }
    const subtreeCodes = tree.map((unit) => unit.code);
    const since = await api.lastAuditId();
    const before = await api.directoryRowCounts();

    const moved = await mutate('moveOrganization', {
      code: 'TRAINING_CENTER',
      newParentCode: 'DISCIPLINE_WORKING_COMMITTEE',
    });
    expect(moved.organization).toMatchObject({
      code: 'TRAINING_CENTER',
      depth: 2,
      parent: { code: 'DISCIPLINE_WORKING_COMMITTEE' },
      ancestors: [{ code: 'ZONE' }, { code: 'DISCIPLINE_WORKING_COMMITTEE' }],
    });
    expect(await api.directoryRowCounts()).toEqual({ ...before, auditEvents: before.auditEvents + 1 });

    const grandchild = await api.execute<{ organization: { depth: number; ancestors: OrgCodes[] } }>(
      `{ organization(code: "TRAINING_GROUP_ONE") { depth ancestors { code } } }`,
    );
    expect(dataOf(grandchild).organization).toEqual({
      depth: 4,
      ancestors: [
        { code: 'ZONE' },
        { code: 'DISCIPLINE_WORKING_COMMITTEE' },
        { code: 'TRAINING_CENTER' },
        { code: 'TRAINING_CLASS_ONE' },
      ],
    });

    const underNewParent = await listOrganizations({
      orgCode: 'DISCIPLINE_WORKING_COMMITTEE',
      includeDescendants: true,
    });
    expect(underNewParent.codes).toEqual(expect.arrayContaining(subtreeCodes));
    const underOldParent = await listOrganizations({ orgCode: 'MANAGEMENT_COMMITTEE', includeDescendants: true });
    expect(underOldParent).toEqual({ totalCount: 1, codes: ['MANAGEMENT_COMMITTEE'] });
    const subtree = await listOrganizations({ orgCode: 'TRAINING_CENTER', includeDescendants: true });
    expect([...subtree.codes].sort()).toEqual([...subtreeCodes].sort());

    const [event, ...others] = await api.auditEventsAfter(since);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      operation: 'moveOrganization',
      entityType: 'Organization',
      entityId: String(await organizationId('TRAINING_CENTER')),
      before: { parentId: await organizationId('MANAGEMENT_COMMITTEE') },
      after: { parentId: await organizationId('DISCIPLINE_WORKING_COMMITTEE') },
    });
  });
});
