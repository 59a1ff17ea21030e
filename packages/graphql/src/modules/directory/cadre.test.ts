import { cadres, demoCadres, organizations } from '@sixtype/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, dataOf, errorCodes, globalId, openTestApi, SYSTEM, type TestApi } from '../../test-support.ts';

let api: TestApi;

beforeAll(async () => {
  api = await openTestApi();
});

afterAll(async () => {
  await api?.close();
});

interface CadrePage {
  cadres: { totalCount: number; nodes: { employeeNumber: string }[] };
}

const CADRES = /* GraphQL */ `
  query Cadres($filter: CadreFilter, $orgCode: String, $includeDescendants: Boolean, $first: Int, $last: Int) {
    cadres(filter: $filter, orgCode: $orgCode, includeDescendants: $includeDescendants, first: $first, last: $last) {
      totalCount
      nodes {
        employeeNumber
      }
    }
  }
`;

/** Runs `cadres(…)` with up to 100 rows, checks that it took one statement, and returns sorted numbers. */
async function listCadres(variables: Record<string, unknown>) {
  const executed = await api.execute<CadrePage>(CADRES, { first: 100, ...variables });
  const { cadres: page } = dataOf(executed);
  expect(executed.statements).toHaveLength(1);
  // Names sort by the database's collation, so compare the sets of employee numbers.
  return { totalCount: page.totalCount, numbers: page.nodes.map((node) => node.employeeNumber).sort() };
}

const demoNumbers = (keep: (cadre: (typeof demoCadres)[number]) => boolean) => {
  const numbers = demoCadres.filter(keep).map((cadre) => cadre.employeeNumber);
  return { totalCount: numbers.length, numbers };
};

async function cadreRow(employeeNumber: string) {
  const [row] = await api.db.select().from(cadres).where(eq(cadres.employeeNumber, employeeNumber));
  if (!row) throw new Error(`no cadre ${employeeNumber}`);
  return row;
}

async function organizationId(code: string) {
  const [row] = await api.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.code, code));
  if (!row) throw new Error(`no organization ${code}`);
  return row.id;
}

describe('the cadres connection', () => {
  it('lists every cadre with a total count in one statement', async () => {
    expect(await listCadres({})).toEqual(demoNumbers(() => true));
    const firstPage = await listCadres({ first: 5 });
    expect(firstPage.totalCount).toBe(demoCadres.length);
    expect(firstPage.numbers).toHaveLength(5);
  });

  it('filters by name, position, leader and party membership', async () => {
    expect(await listCadres({ filter: { name: { includesInsensitive: '红' } } })).toEqual(
      demoNumbers((cadre) => cadre.name.includes('红')),
    );
    expect(await listCadres({ filter: { name: { equalTo: '王建国' } } })).toEqual(
      demoNumbers((cadre) => cadre.name === '王建国'),
    );
    expect(await listCadres({ filter: { position: { includesInsensitive: '科员' } } })).toEqual(
      demoNumbers((cadre) => cadre.position.includes('科员')),
    );
    expect(await listCadres({ filter: { isLeader: { equalTo: true } } })).toEqual(
      demoNumbers((cadre) => cadre.isLeader),
    );
    expect(await listCadres({ filter: { employeeNumber: { in: ['KFQ-0001', 'KFQ-0003', 'NOBODY'] } } })).toEqual({
      totalCount: 2,
      numbers: ['KFQ-0001', 'KFQ-0003'],
    });
  });

  it('filters by status', async () => {
    expect(await listCadres({ filter: { status: { equalTo: 'ACTIVE' } } })).toEqual(demoNumbers(() => true));
    const none = await api.execute<CadrePage>(CADRES, { filter: { status: { in: ['RETIRED', 'TRANSFERRED'] } } });
    expect(dataOf(none).cadres).toEqual({ totalCount: 0, nodes: [] });
  });

  it('combines and/or/not', async () => {
    expect(
      await listCadres({
        filter: {
          or: [
            { isLeader: { equalTo: true }, not: { isPartyMember: { equalTo: true } } },
            { name: { equalTo: '孙明' } },
          ],
        },
      }),
    ).toEqual(demoNumbers((cadre) => (cadre.isLeader && !cadre.isPartyMember) || cadre.name === '孙明'));
    expect(
      await listCadres({
        filter: {
          and: [{ isPartyMember: { equalTo: false } }, { not: { position: { includesInsensitive: '统计' } } }],
        },
      }),
    ).toEqual(demoNumbers((cadre) => !cadre.isPartyMember && !cadre.position.includes('统计')));
  });

  it('scopes to one unit, or to the unit and everything below it', async () => {
    const discipline = demoNumbers((cadre) => cadre.organizationCode === 'DISCIPLINE_WORKING_COMMITTEE');
    expect(await listCadres({ orgCode: 'DISCIPLINE_WORKING_COMMITTEE' })).toEqual(discipline);
    expect(await listCadres({ orgCode: 'DISCIPLINE_WORKING_COMMITTEE', includeDescendants: false })).toEqual(
      discipline,
    );
    expect(await listCadres({ orgCode: 'DISCIPLINE_WORKING_COMMITTEE', includeDescendants: true })).toEqual(
      demoNumbers((cadre) => ['DISCIPLINE_WORKING_COMMITTEE', 'SIX_TYPE_OFFICE'].includes(cadre.organizationCode)),
    );
    expect(await listCadres({ orgCode: 'ZONE', includeDescendants: true })).toEqual(demoNumbers(() => true));
    expect(
      await listCadres({
        orgCode: 'DISCIPLINE_WORKING_COMMITTEE',
        includeDescendants: true,
        filter: { isLeader: { equalTo: false } },
      }),
    ).toEqual(demoNumbers((cadre) => cadre.organizationCode === 'SIX_TYPE_OFFICE' && !cadre.isLeader));
  });

  it('answers NOT_FOUND for an unknown scope unit', async () => {
    for (const includeDescendants of [false, true]) {
      const executed = await api.execute(CADRES, { orgCode: 'NOPE', includeDescendants });
      expect(errorCodes(executed)).toEqual(['NOT_FOUND']);
      expect(executed.result.data).toBeNull();
    }
  });

  it('refuses pages larger than 100 with BAD_USER_INPUT, at the root and under a unit', async () => {
    for (const size of [{ first: 101 }, { first: null, last: 101 }]) {
      const executed = await api.execute(CADRES, size);
      expect(errorCodes(executed)).toEqual(['BAD_USER_INPUT']);
      expect(executed.statements).toEqual([]);
    }
    const nested = await api.execute(`{ organization(code: "ZONE") { cadres(first: 101) { totalCount } } }`);
    expect(errorCodes(nested)).toEqual(['BAD_USER_INPUT']);
    expect(nested.statements).toEqual([]);
  });

  it('lists a unit’s own cadres with a filtered total count', async () => {
    const executed = await api.execute<{
      organization: { cadres: { totalCount: number; nodes: { employeeNumber: string }[] } };
    }>(`{
      organization(code: "INVESTMENT_PROMOTION_BUREAU") {
        cadres(filter: { isLeader: { equalTo: false } }) { totalCount nodes { employeeNumber } }
      }
    }`);
    const expected = demoNumbers(
      (cadre) => cadre.organizationCode === 'INVESTMENT_PROMOTION_BUREAU' && !cadre.isLeader,
    );
    const { cadres: page } = dataOf(executed).organization;
    expect(page.totalCount).toBe(expected.totalCount);
    expect(page.nodes.map((node) => node.employeeNumber).sort()).toEqual(expected.numbers);
    expect(executed.statements).toHaveLength(1);
  });

  it('finds cadres by employee number and by global id', async () => {
    const byNumber = await api.execute<{ cadre: { name: string; organization: { code: string } } }>(
      `{ cadre(employeeNumber: "KFQ-0010") { name organization { code } } }`,
    );
    const demo = demoCadres.find((cadre) => cadre.employeeNumber === 'KFQ-0010');
    expect(dataOf(byNumber).cadre).toEqual({ name: demo?.name, organization: { code: demo?.organizationCode } });
    expect(byNumber.statements).toHaveLength(1);

    const missing = await api.execute<{ cadre: null }>(`{ cadre(employeeNumber: "NOBODY") { name } }`);
    expect(dataOf(missing).cadre).toBeNull();

    const cadreId = globalId('Cadre', (await cadreRow('KFQ-0010')).id);
    const unitId = globalId('Organization', await organizationId('SIX_TYPE_OFFICE'));
    const one = await api.execute<{ node: { __typename: string; employeeNumber: string } }>(
      `query($id: ID!) { node(id: $id) { __typename ... on Cadre { employeeNumber } } }`,
      { id: cadreId },
    );
    expect(dataOf(one).node).toEqual({ __typename: 'Cadre', employeeNumber: 'KFQ-0010' });
    expect(one.statements).toHaveLength(1);

    const many = await api.execute<{ nodes: { __typename: string; id: string }[] }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`,
      { ids: [unitId, cadreId] },
    );
    expect(dataOf(many).nodes).toEqual([
      { __typename: 'Organization', id: unitId },
      { __typename: 'Cadre', id: cadreId },
    ]);
  });
});

describe('phone numbers', () => {
  const PHONES = /* GraphQL */ `
    query($id: ID!) {
      cadre(employeeNumber: "KFQ-0001") { phone }
      cadres(filter: { employeeNumber: { equalTo: "KFQ-0001" } }) { nodes { phone } }
      organization(code: "PARTY_WORKING_COMMITTEE") { cadres(filter: { employeeNumber: { equalTo: "KFQ-0001" } }) { nodes { phone } } }
      node(id: $id) { ... on Cadre { phone } }
    }
  `;
  type Phones = {
    cadre: { phone: string };
    cadres: { nodes: { phone: string }[] };
    organization: { cadres: { nodes: { phone: string }[] } };
    node: { phone: string };
  };
  const phonesOf = (data: Phones) => [
    data.cadre.phone,
    data.cadres.nodes[0]?.phone,
    data.organization.cadres.nodes[0]?.phone,
    data.node.phone,
  ];

  it('are refused, with everything else, to a caller without credentials', async () => {
    const id = globalId('Cadre', (await cadreRow('KFQ-0001')).id);
    const executed = await api.execute<Phones>(PHONES, { id }, ANONYMOUS);
    expect(executed.result.data ?? null).toBeNull();
    expect(new Set(errorCodes(executed))).toEqual(new Set(['UNAUTHENTICATED']));
    expect(JSON.stringify(executed.result)).not.toContain('13800000001');
  });

  it('are shown in full to a SYSTEM viewer', async () => {
    const id = globalId('Cadre', (await cadreRow('KFQ-0001')).id);
    const executed = await api.execute<Phones>(PHONES, { id }, SYSTEM);
    expect(phonesOf(dataOf(executed))).toEqual(Array(4).fill('13800000001'));
  });
});

type MutationResult = {
  __typename: string;
  code?: string;
  fieldErrors?: { path: string[]; message: string }[];
  field?: string | null;
  entity?: string;
  key?: string;
  cadre?: {
    employeeNumber: string;
    name: string;
    gender: string;
    position: string | null;
    rank: string | null;
    isLeader: boolean;
    isPartyMember: boolean;
    status: string;
    phone: string | null;
    organization: { code: string };
    transfers: {
      fromOrganization: { code: string };
      toOrganization: { code: string };
      effectiveOn: string;
      reason: string | null;
    }[];
  };
};

const RESULT_FIELDS = /* GraphQL */ `
  __typename
  ... on UserError { code }
  ... on ValidationError { fieldErrors { path message } }
  ... on ConflictError { field }
  ... on NotFoundError { entity key }
`;
const CADRE_FIELDS = /* GraphQL */ `
  cadre {
    employeeNumber name gender position rank isLeader isPartyMember status phone
    organization { code }
    transfers { fromOrganization { code } toOrganization { code } effectiveOn reason }
  }
`;

async function mutate(name: 'createCadre' | 'updateCadre' | 'transferCadre', input: object) {
  const typeName = `${name[0]?.toUpperCase()}${name.slice(1)}`;
  const executed = await api.execute<Record<string, MutationResult>>(
    `mutation($input: ${typeName}Input!) {
      ${name}(input: $input) { ${RESULT_FIELDS} ... on ${typeName}Payload { ${CADRE_FIELDS} } }
    }`,
    { input },
  );
  const result = dataOf(executed)[name];
  if (!result) throw new Error(`${name} returned nothing`);
  return result;
}

/** The distinct input paths a ValidationError points at (one field may break several rules). */
const paths = (result: MutationResult) => {
  const joined = new Set(result.fieldErrors?.map((error) => error.path.join('.')));
  return result.fieldErrors ? [...joined].map((path) => path.split('.')) : undefined;
};
const newCadre = { employeeNumber: 'KFQ-1001', organizationCode: 'PETITION_OFFICE', name: '田野', gender: 'MALE' };

describe('cadre mutations refuse bad input and write nothing', () => {
  it('an unknown unit is NotFoundError', async () => {
    const created = await api.expectNoWrites(() => mutate('createCadre', { ...newCadre, organizationCode: 'NOPE' }));
    expect(created).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      entity: 'Organization',
      key: 'NOPE',
    });

    const transferred = await api.expectNoWrites(() =>
      mutate('transferCadre', { employeeNumber: 'KFQ-0001', toOrganizationCode: 'NOPE', effectiveOn: '2012-04-01' }),
    );
    expect(transferred).toMatchObject({ __typename: 'NotFoundError', entity: 'Organization', key: 'NOPE' });
  });

  it('an unknown cadre is NotFoundError', async () => {
    const updated = await api.expectNoWrites(() => mutate('updateCadre', { employeeNumber: 'NOBODY', name: '无' }));
    expect(updated).toMatchObject({ __typename: 'NotFoundError', entity: 'Cadre', key: 'NOBODY' });
    const transferred = await api.expectNoWrites(() =>
      mutate('transferCadre', { employeeNumber: 'NOBODY', toOrganizationCode: 'ZONE', effectiveOn: '2012-04-01' }),
    );
    expect(transferred).toMatchObject({ __typename: 'NotFoundError', entity: 'Cadre', key: 'NOBODY' });
  });

  it('an employee number that is taken is a ConflictError on employeeNumber', async () => {
    const result = await api.expectNoWrites(() => mutate('createCadre', { ...newCadre, employeeNumber: 'KFQ-0001' }));
    expect(result).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', field: 'employeeNumber' });
  });

  it('a name over 100 characters is a ValidationError on name', async () => {
    const name = '名'.repeat(101);
    expect(paths(await api.expectNoWrites(() => mutate('createCadre', { ...newCadre, name })))).toEqual([
      ['input', 'name'],
    ]);
    expect(paths(await api.expectNoWrites(() => mutate('updateCadre', { employeeNumber: 'KFQ-0001', name })))).toEqual([
      ['input', 'name'],
    ]);
    // A required field cannot be cleared.
    expect(
      paths(await api.expectNoWrites(() => mutate('updateCadre', { employeeNumber: 'KFQ-0001', name: null }))),
    ).toEqual([['input', 'name']]);
  });

  it('malformed employee numbers and phone numbers are ValidationErrors on their fields', async () => {
    for (const employeeNumber of ['KFQ 1001', 'KFQ_1001', '', 'K'.repeat(33)]) {
      expect(paths(await api.expectNoWrites(() => mutate('createCadre', { ...newCadre, employeeNumber })))).toEqual([
        ['input', 'employeeNumber'],
      ]);
    }
    // 21 characters: the pattern allows `+` and 20 digits, the column holds 20 characters.
    for (const phone of ['call me', '1234', '+12345678901234567890']) {
      expect(paths(await api.expectNoWrites(() => mutate('createCadre', { ...newCadre, phone })))).toEqual([
        ['input', 'phone'],
      ]);
    }
  });

  it('transferring a cadre to the unit they are in is a ValidationError on toOrganizationCode', async () => {
    const result = await api.expectNoWrites(() =>
      mutate('transferCadre', {
        employeeNumber: 'KFQ-0001',
        toOrganizationCode: 'PARTY_WORKING_COMMITTEE',
        effectiveOn: '2012-04-01',
      }),
    );
    expect(paths(result)).toEqual([['input', 'toOrganizationCode']]);
  });

  it('an impossible date is refused before anything runs', async () => {
    const executed = await api.expectNoWrites(() =>
      api.execute(`mutation($input: TransferCadreInput!) { transferCadre(input: $input) { __typename } }`, {
        input: { employeeNumber: 'KFQ-0001', toOrganizationCode: 'ZONE', effectiveOn: '2012-02-30' },
      }),
    );
    expect(errorCodes(executed)).toEqual(['BAD_USER_INPUT']);
    expect(executed.statements).toEqual([]);
  });
});

describe('cadre mutations that succeed', () => {
  it('creates a cadre in a unit and audits it', async () => {
    const since = await api.lastAuditId();
    const before = await api.directoryRowCounts();
    const result = await mutate('createCadre', {
      ...newCadre,
      name: '田'.repeat(100),
      position: '信访接待科科员',
      phone: '+86-13800001001',
      isPartyMember: true,
    });
    expect(result.cadre).toEqual({
      employeeNumber: 'KFQ-1001',
      name: '田'.repeat(100),
      gender: 'MALE',
      position: '信访接待科科员',
      rank: null,
      isLeader: false,
      isPartyMember: true,
      status: 'ACTIVE',
      phone: '+86-13800001001',
      organization: { code: 'PETITION_OFFICE' },
      transfers: [],
    });
    expect(await api.directoryRowCounts()).toEqual({
      ...before,
      cadres: before.cadres + 1,
      auditEvents: before.auditEvents + 1,
    });
    const row = await cadreRow('KFQ-1001');
    expect(row.organizationId).toBe(await organizationId('PETITION_OFFICE'));
    expect(await api.auditEventsAfter(since)).toEqual([
      expect.objectContaining({
        actorKind: 'SYSTEM',
        actorId: 'test',
        operation: 'createCadre',
        entityType: 'Cadre',
        entityId: String(row.id),
        before: null,
        after: expect.objectContaining({ id: row.id, employeeNumber: 'KFQ-1001', phone: '+86-13800001001' }),
      }),
    ]);
    const unit = await listCadres({ orgCode: 'PETITION_OFFICE' });
    expect(unit.numbers).toContain('KFQ-1001');
  });

  it('updates only the given fields; null clears an optional one', async () => {
    const before = await cadreRow('KFQ-0002');
    const since = await api.lastAuditId();
    const result = await mutate('updateCadre', {
      employeeNumber: 'KFQ-0002',
      position: '党工委专职副书记',
      phone: null,
    });
    expect(result.cadre).toMatchObject({
      employeeNumber: 'KFQ-0002',
      name: before.name,
      gender: before.gender,
      position: '党工委专职副书记',
      rank: before.rank,
      isLeader: before.isLeader,
      isPartyMember: before.isPartyMember,
      status: 'ACTIVE',
      phone: null,
      organization: { code: 'PARTY_WORKING_COMMITTEE' },
    });
    const after = await cadreRow('KFQ-0002');
    expect(after).toMatchObject({ ...before, position: '党工委专职副书记', phone: null, updatedAt: after.updatedAt });
    expect(await api.auditEventsAfter(since)).toEqual([
      expect.objectContaining({
        operation: 'updateCadre',
        entityType: 'Cadre',
        entityId: String(before.id),
        before: expect.objectContaining({ position: before.position, phone: before.phone }),
        after: expect.objectContaining({ position: '党工委专职副书记', phone: null }),
      }),
    ]);
  });

  it('changes the status, which the status filter then sees', async () => {
    const result = await mutate('updateCadre', { employeeNumber: 'KFQ-0003', status: 'RETIRED' });
    expect(result.cadre?.status).toBe('RETIRED');
    expect(await listCadres({ filter: { status: { equalTo: 'RETIRED' } } })).toEqual({
      totalCount: 1,
      numbers: ['KFQ-0003'],
    });
    expect((await listCadres({ filter: { not: { status: { equalTo: 'RETIRED' } } } })).numbers).not.toContain(
      'KFQ-0003',
    );
  });

  it('transfers a cadre, records the move and audits it', async () => {
    const before = await cadreRow('KFQ-0004');
    const counts = await api.directoryRowCounts();
    const since = await api.lastAuditId();
    const result = await mutate('transferCadre', {
      employeeNumber: 'KFQ-0004',
      toOrganizationCode: 'SIX_TYPE_OFFICE',
      effectiveOn: '2012-04-01',
      reason: '充实创建办公室',
    });
    expect(result.cadre).toMatchObject({
      employeeNumber: 'KFQ-0004',
      status: 'ACTIVE',
      organization: { code: 'SIX_TYPE_OFFICE' },
      transfers: [
        {
          fromOrganization: { code: 'MANAGEMENT_COMMITTEE' },
          toOrganization: { code: 'SIX_TYPE_OFFICE' },
          effectiveOn: '2012-04-01',
          reason: '充实创建办公室',
        },
      ],
    });
    expect(await api.directoryRowCounts()).toEqual({
      ...counts,
      cadreTransfers: counts.cadreTransfers + 1,
      auditEvents: counts.auditEvents + 1,
    });
    expect((await listCadres({ orgCode: 'SIX_TYPE_OFFICE' })).numbers).toContain('KFQ-0004');
    expect((await listCadres({ orgCode: 'MANAGEMENT_COMMITTEE' })).numbers).not.toContain('KFQ-0004');

    const managementId = await organizationId('MANAGEMENT_COMMITTEE');
    const sixTypeOfficeId = await organizationId('SIX_TYPE_OFFICE');
    const [event, ...others] = await api.auditEventsAfter(since);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      operation: 'transferCadre',
      entityType: 'Cadre',
      entityId: String(before.id),
      before: { organizationId: managementId },
      after: {
        organizationId: sixTypeOfficeId,
        transfer: { fromOrganizationId: managementId, toOrganizationId: sixTypeOfficeId, effectiveOn: '2012-04-01' },
      },
    });

    // A second move appends to the history, oldest first.
    const back = await mutate('transferCadre', {
      employeeNumber: 'KFQ-0004',
      toOrganizationCode: 'MANAGEMENT_COMMITTEE',
      effectiveOn: '2012-05-01',
    });
    expect(back.cadre?.transfers.map((transfer) => [transfer.toOrganization.code, transfer.reason])).toEqual([
      ['SIX_TYPE_OFFICE', '充实创建办公室'],
      ['MANAGEMENT_COMMITTEE', null],
    ]);
  });

  it('only an ACTIVE cadre can be transferred', async () => {
    await mutate('updateCadre', { employeeNumber: 'KFQ-0003', status: 'RETIRED' });
    const result = await api.expectNoWrites(() =>
      mutate('transferCadre', { employeeNumber: 'KFQ-0003', toOrganizationCode: 'ZONE', effectiveOn: '2012-04-01' }),
    );
    expect(paths(result)).toEqual([['input', 'employeeNumber']]);
  });
});
