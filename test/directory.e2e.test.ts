import { cadres, demoCadres, demoOrganizations, organizations } from '@sixtype/db';
import {
  CreateCadreDocument,
  CreateOrganizationDocument,
  createClient,
  ListCadresDocument,
  MoveOrganizationDocument,
  NodeByIdDocument,
  OrganizationByCodeDocument,
  OrganizationTreeDocument,
  SixtypeError,
} from '@sixtype/sdk';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataStatements, startTestServer, type TestServer } from './support.ts';

let api: TestServer;

beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api.close();
});

const rowCounts = async () => ({
  organizations: (await api.database.db.select({ n: count() }).from(organizations))[0]?.n,
  cadres: (await api.database.db.select({ n: count() }).from(cadres))[0]?.n,
});

describe('the directory through the SDK against a running server', () => {
  it('refuses a client without credentials', async () => {
    const anonymous = createClient({ url: api.url });
    const failure = await anonymous.request(OrganizationByCodeDocument, { code: 'ZONE' }).catch((error) => error);
    expect(failure).toBeInstanceOf(SixtypeError);
    expect(failure.code).toBe('UNAUTHENTICATED');
  });

  it('answers the README example from the demo data', async () => {
    const data = await api.client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    expect(data.organization?.name).toBe('经济开发区');
    const expectedChildren = demoOrganizations.filter((org) => org.parentCode === 'ZONE').map((org) => org.code);
    expect(data.organization?.children.map((child) => child.code)).toEqual(expectedChildren);
  });

  it('serves the zone tree with cadre counts in one SQL statement', async () => {
    api.statements.length = 0;
    const data = await api.client.request(OrganizationTreeDocument, { code: 'ZONE' });
    // One for the whole tree; the bearer token's session is looked up at most once (then it is
    // answered from memory).
    expect(api.statements.length).toBeLessThanOrEqual(2);
    expect(dataStatements(api.statements)).toHaveLength(1);
    const counts = Object.fromEntries(
      (data.organization?.children ?? []).map((child, index) => [index, child.cadres.totalCount]),
    );
    const children = demoOrganizations.filter((org) => org.parentCode === 'ZONE');
    expect(counts).toEqual(
      Object.fromEntries(
        children.map((org, index) => [index, demoCadres.filter((cadre) => cadre.organizationCode === org.code).length]),
      ),
    );
    const investment = data.organization?.children[3];
    expect(investment?.cadres.nodes.every((cadre) => cadre.organization.name === '区招商局')).toBe(true);
  });

  it('pages through every cadre of the zone with paginate()', async () => {
    const seen: string[] = [];
    for await (const cadre of api.client.paginate(
      ListCadresDocument,
      { orgCode: 'ZONE', includeDescendants: true, first: 7 },
      (data) => data.cadres,
    )) {
      seen.push(cadre.employeeNumber);
    }
    // Every cadre is in the zone: the demo’s, and any that another test of this file added on the server.
    const stored = await api.database.db.select({ employeeNumber: cadres.employeeNumber }).from(cadres);
    expect(stored.length).toBeGreaterThanOrEqual(demoCadres.length);
    expect(seen).toHaveLength(stored.length);
    expect(new Set(seen)).toEqual(new Set(stored.map((cadre) => cadre.employeeNumber)));
  });

  it('refetches a unit by its global id', async () => {
    const zone = await api.client.request(OrganizationByCodeDocument, { code: 'ZONE' });
    const id = zone.organization?.id;
    if (!id) throw new Error('ZONE not found');
    // The id the API returned goes back as it is (the SDK's ID type, no cast).
    const data = await api.client.request(NodeByIdDocument, { id });
    expect(data.node).toMatchObject({ __typename: 'Organization', code: 'ZONE' });
  });

  it('throws a typed NOT_FOUND for a list scoped to an unknown unit', async () => {
    const failure = await api.client.request(ListCadresDocument, { orgCode: 'NO_SUCH_UNIT', first: 5 }).catch((e) => e);
    expect(failure).toBeInstanceOf(SixtypeError);
    expect(failure.code).toBe('NOT_FOUND');
  });

  it('returns mutation failures as typed results and changes no row', async () => {
    const before = await rowCounts();
    const duplicate = await api.client.request(CreateCadreDocument, {
      input: { employeeNumber: 'KFQ-0001', organizationCode: 'ZONE', name: '重复', gender: 'MALE' },
    });
    expect(duplicate.createCadre).toMatchObject({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      field: 'employeeNumber',
    });

    const cycle = await api.client.request(MoveOrganizationDocument, {
      input: { code: 'DISCIPLINE_WORKING_COMMITTEE', newParentCode: 'SIX_TYPE_OFFICE' },
    });
    expect(cycle.moveOrganization).toMatchObject({ __typename: 'ValidationError', code: 'BAD_USER_INPUT' });
    if (cycle.moveOrganization.__typename === 'ValidationError') {
      expect(cycle.moveOrganization.fieldErrors[0]?.path).toEqual(['input', 'newParentCode']);
    }

    const unknownParent = await api.client.request(CreateOrganizationDocument, {
      input: { code: 'ORPHANED', name: '无上级', kind: 'OFFICE', parentCode: 'NO_SUCH_UNIT' },
    });
    expect(unknownParent.createOrganization).toMatchObject({ __typename: 'NotFoundError', key: 'NO_SUCH_UNIT' });

    expect(await rowCounts()).toEqual(before);
  });

  it('creates a unit and a cadre in it', async () => {
    const created = await api.client.request(CreateOrganizationDocument, {
      input: { code: 'E2E_OFFICE', name: '端到端测试办公室', kind: 'OFFICE', parentCode: 'MANAGEMENT_COMMITTEE' },
    });
    expect(created.createOrganization).toMatchObject({
      __typename: 'CreateOrganizationPayload',
      organization: { code: 'E2E_OFFICE' },
    });
    const cadre = await api.client.request(CreateCadreDocument, {
      input: { employeeNumber: 'E2E-1', organizationCode: 'E2E_OFFICE', name: '测试干部', gender: 'FEMALE' },
    });
    expect(cadre.createCadre).toMatchObject({ __typename: 'CreateCadrePayload', cadre: { employeeNumber: 'E2E-1' } });
    const unit = await api.client.request(OrganizationByCodeDocument, { code: 'E2E_OFFICE' });
    expect(unit.organization?.ancestors.map((org) => org.code)).toEqual(['ZONE', 'MANAGEMENT_COMMITTEE']);
  });
});
