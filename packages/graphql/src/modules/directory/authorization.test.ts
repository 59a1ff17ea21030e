import { createPubSub } from '@graphql-yoga/subscription';
import { cadres, demoCadres, organizations } from '@sixtype/db';
import { eq, inArray } from 'drizzle-orm';
import {
  type GraphQLInputType,
  type GraphQLObjectType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  subscribe,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricUpdateEvent, Viewer } from '../../context.ts';
import { schema } from '../../schema.ts';
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

// Department A is the investment promotion bureau; department B the petition office. Both hang
// directly under the zone, so the zone is their shared parent.
const A = 'INVESTMENT_PROMOTION_BUREAU';
const B = 'PETITION_OFFICE';
const cadresOf = (code: string) => demoCadres.filter((cadre) => cadre.organizationCode === code);

let api: TestApi;
let managerOfA: Viewer;
let bCadreIds: string[];
let bSecrets: string[];

beforeAll(async () => {
  api = await openTestApi();
  managerOfA = await userViewer(api.db, 'ORG_MANAGER', { orgCode: A });
  const bRows = await api.db
    .select()
    .from(cadres)
    .where(
      inArray(
        cadres.employeeNumber,
        cadresOf(B).map((cadre) => cadre.employeeNumber),
      ),
    );
  bCadreIds = bRows.map((row) => globalId('Cadre', row.id));
  // What must never reach manager A: B's ids, employee numbers, names and phones.
  bSecrets = [...bCadreIds, ...bRows.flatMap((row) => [row.employeeNumber, row.name, row.phone ?? ''])].filter(Boolean);
});
afterAll(async () => {
  await api.close();
});

const expectNothingOfB = (result: unknown) => {
  const text = JSON.stringify(result);
  for (const secret of bSecrets) expect(text).not.toContain(secret);
};

describe('every root field declares who may call it', () => {
  it('has an auth rule on each Query and Mutation field', () => {
    const missing: string[] = [];
    for (const type of [schema.getQueryType(), schema.getMutationType()]) {
      for (const field of Object.values(type?.getFields() ?? {})) {
        const options = (field.extensions?.pothosOptions ?? {}) as { authScopes?: unknown; skipTypeScopes?: boolean };
        if (!options.authScopes) missing.push(`${type?.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('answers UNAUTHENTICATED to a caller without credentials on every query field', async () => {
    const queryType = schema.getQueryType() as GraphQLObjectType;
    const refused: string[] = [];
    for (const field of Object.values(queryType.getFields())) {
      const args = field.args
        .filter((arg) => isNonNullType(arg.type))
        .map((arg) => `${arg.name}: ${sampleArgument(arg.type, arg.name)}`);
      const selection = isScalarType(getNamedType(field.type)) ? '' : '{ __typename }';
      const source = `{ ${field.name}${args.length ? `(${args.join(', ')})` : ''} ${selection} }`;
      const executed = await api.execute(source, {}, ANONYMOUS);
      if (errorCodes(executed).includes('UNAUTHENTICATED')) refused.push(field.name);
    }
    expect(refused.sort()).toEqual(Object.keys(queryType.getFields()).sort());
  });
});

/** A literal of the right type for a required argument: enough to reach the field's auth check. */
function sampleArgument(type: GraphQLInputType, argName: string): string {
  if (isNonNullType(type)) return sampleArgument(type.ofType, argName);
  if (isListType(type)) return `[${sampleArgument(type.ofType, argName)}]`;
  if (isEnumType(type)) return type.getValues()[0]?.name ?? '';
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((field) => isNonNullType(field.type));
    return `{ ${fields.map((field) => `${field.name}: ${sampleArgument(field.type, field.name)}`).join(', ')} }`;
  }
  switch (type.name) {
    case 'ID':
      return `"${globalId('Organization', 1)}"`;
    case 'Int':
      return '1';
    case 'Boolean':
      return 'true';
    case 'Date':
      return '"2012-01-01"';
    default:
      return argName === 'employeeNumber' ? '"KFQ-0001"' : '"ZONE"';
  }
}

describe('an ORG_MANAGER of department A and the cadres of department B', () => {
  it('lists only cadres of A, with or without a scope', async () => {
    const all = await api.execute<{ cadres: { totalCount: number; nodes: { employeeNumber: string }[] } }>(
      `{ cadres(first: 100) { totalCount nodes { employeeNumber } } }`,
      {},
      managerOfA,
    );
    expect(
      dataOf(all)
        .cadres.nodes.map((c) => c.employeeNumber)
        .sort(),
    ).toEqual(
      cadresOf(A)
        .map((c) => c.employeeNumber)
        .sort(),
    );
    expect(dataOf(all).cadres.totalCount).toBe(cadresOf(A).length);
    expect(all.statements).toHaveLength(1);

    const scoped = await api.execute(
      `{ cadres(orgCode: "${B}", first: 100) { totalCount nodes { id name } } }`,
      {},
      managerOfA,
    );
    expect(dataOf(scoped)).toEqual({ cadres: { totalCount: 0, nodes: [] } });
    expectNothingOfB(scoped.result);
  });

  it('cannot reach them through a filter', async () => {
    const name = cadresOf(B)[0]?.name;
    const filtered = await api.execute(
      `{ cadres(first: 100, filter: { or: [{ name: { equalTo: "${name}" } }, { employeeNumber: { in: ${JSON.stringify(cadresOf(B).map((c) => c.employeeNumber))} } }] }) { totalCount nodes { id } } }`,
      {},
      managerOfA,
    );
    expect(dataOf(filtered)).toEqual({ cadres: { totalCount: 0, nodes: [] } });
  });

  it('cannot reach them through the shared parent', async () => {
    const tree = await api.execute<{
      organization: { children: { code: string; cadres: { totalCount: number; nodes: { id: string }[] } }[] };
    }>(
      `{ organization(code: "ZONE") { children { code cadres(first: 50) { totalCount nodes { id name phone } } } } }`,
      {},
      managerOfA,
    );
    const children = dataOf(tree).organization.children;
    expect(children.find((child) => child.code === B)?.cadres).toEqual({ totalCount: 0, nodes: [] });
    expect(children.find((child) => child.code === A)?.cadres.totalCount).toBe(cadresOf(A).length);
    expectNothingOfB(tree.result);
    expect(tree.statements).toHaveLength(1);
  });

  it('cannot fetch them by id, one at a time or fifteen aliases at once', async () => {
    const one = await api.execute(
      `query($id: ID!) { node(id: $id) { id ... on Cadre { name phone } } }`,
      { id: bCadreIds[0] },
      managerOfA,
    );
    expect(errorCodes(one)).toEqual(['FORBIDDEN']);
    expectNothingOfB(one.result);

    const aliases = Array.from(
      { length: 15 },
      (_, i) => `c${i}: node(id: "${bCadreIds[i % bCadreIds.length]}") { id ... on Cadre { name employeeNumber } }`,
    );
    const many = await api.execute(`{ ${aliases.join(' ')} }`, {}, managerOfA);
    expect(new Set(errorCodes(many))).toEqual(new Set(['FORBIDDEN']));
    expectNothingOfB(many.result);

    const byNumber = await api.execute(
      `{ cadre(employeeNumber: "${cadresOf(B)[0]?.employeeNumber}") { id } }`,
      {},
      managerOfA,
    );
    expect(dataOf(byNumber)).toEqual({ cadre: null });
  });

  it('cannot change them, and nothing is written', async () => {
    const target = cadresOf(B)[0]?.employeeNumber;
    await api.expectNoWrites(async () => {
      const update = await api.execute<{ updateCadre: { __typename: string } }>(
        `mutation { updateCadre(input: { employeeNumber: "${target}", name: "改名" }) { __typename ... on UserError { code } } }`,
        {},
        managerOfA,
      );
      expect(dataOf(update).updateCadre.__typename).toBe('NotFoundError');

      const transfer = await api.execute<{ transferCadre: { __typename: string } }>(
        `mutation { transferCadre(input: { employeeNumber: "${target}", toOrganizationCode: "${A}", effectiveOn: "2012-03-01" }) { __typename } }`,
        {},
        managerOfA,
      );
      expect(dataOf(transfer).transferCadre.__typename).toBe('NotFoundError');

      const create = await api.execute(
        `mutation { createCadre(input: { employeeNumber: "A-NEW-1", organizationCode: "${B}", name: "新人", gender: MALE }) { __typename } }`,
        {},
        managerOfA,
      );
      expect(errorCodes(create)).toEqual(['FORBIDDEN']);

      const createUnit = await api.execute(
        `mutation { createOrganization(input: { code: "B_SUB", name: "B下属", kind: OFFICE, parentCode: "${B}" }) { __typename } }`,
        {},
        managerOfA,
      );
      expect(errorCodes(createUnit)).toEqual(['FORBIDDEN']);

      const moveOwnRoot = await api.execute(
        `mutation { moveOrganization(input: { code: "${A}", newParentCode: "${B}" }) { __typename } }`,
        {},
        managerOfA,
      );
      expect(errorCodes(moveOwnRoot)).toEqual(['FORBIDDEN']);
    });
  });

  it('reads and changes the cadres of A, phones included', async () => {
    const own = cadresOf(A)[0];
    const read = await api.execute<{ cadre: { phone: string } }>(
      `{ cadre(employeeNumber: "${own?.employeeNumber}") { phone } }`,
      {},
      managerOfA,
    );
    expect(dataOf(read).cadre.phone).toBe(own?.phone);
    const created = await api.execute<{ createCadre: { __typename: string } }>(
      `mutation { createCadre(input: { employeeNumber: "A-NEW-2", organizationCode: "${A}", name: "招商新人", gender: FEMALE }) { __typename } }`,
      {},
      managerOfA,
    );
    expect(dataOf(created).createCadre.__typename).toBe('CreateCadrePayload');
  });
});

describe('personal data', () => {
  it('a CADRE reads their own phone but not a colleague’s', async () => {
    const [me, colleague] = cadresOf(A);
    const cadreViewer = await userViewer(api.db, 'CADRE', { employeeNumber: me?.employeeNumber });
    const executed = await api.execute<{
      mine: { phone: string | null };
      theirs: { phone: string | null; phoneMasked: string };
    }>(
      `{ mine: cadre(employeeNumber: "${me?.employeeNumber}") { phone }
         theirs: cadre(employeeNumber: "${colleague?.employeeNumber}") { phone phoneMasked } }`,
      {},
      cadreViewer,
    );
    expect(dataOf(executed).mine.phone).toBe(me?.phone);
    expect(dataOf(executed).theirs.phone).toBeNull();
    expect(dataOf(executed).theirs.phoneMasked).toMatch(/^138\*{4}\d{4}$/);
    expect(JSON.stringify(executed.result)).not.toContain(colleague?.phone);
  });

  it('a CADRE may not change the directory', async () => {
    const [me] = cadresOf(A);
    const cadreViewer = await userViewer(api.db, 'CADRE', { employeeNumber: me?.employeeNumber });
    await api.expectNoWrites(async () => {
      const executed = await api.execute(
        `mutation { updateCadre(input: { employeeNumber: "${me?.employeeNumber}", position: "自封" }) { __typename } }`,
        {},
        cadreViewer,
      );
      expect(errorCodes(executed)).toEqual(['FORBIDDEN']);
    });
  });
});

describe('API clients', () => {
  it('with metrics:read alone can neither read the directory nor run a mutation', async () => {
    const client = await apiClientViewer(api.db, ['metrics:read']);
    const read = await api.execute(`{ cadres(first: 1) { totalCount } }`, {}, client);
    expect(errorCodes(read)).toEqual(['FORBIDDEN']);
    await api.expectNoWrites(async () => {
      const write = await api.execute(
        `mutation { createCadre(input: { employeeNumber: "M-1", organizationCode: "ZONE", name: "x", gender: MALE }) { __typename } }`,
        {},
        client,
      );
      expect(errorCodes(write)).toEqual(['FORBIDDEN']);
    });
  });

  it('restricted to a unit see only its subtree, and phones only with directory:personal', async () => {
    const reader = await apiClientViewer(api.db, ['directory:read'], A);
    const listed = await api.execute<{ cadres: { totalCount: number; nodes: { phone: string | null }[] } }>(
      `{ cadres(first: 100) { totalCount nodes { phone } } }`,
      {},
      reader,
    );
    expect(dataOf(listed).cadres.totalCount).toBe(cadresOf(A).length);
    expect(dataOf(listed).cadres.nodes.every((c) => c.phone === null)).toBe(true);

    const personal = await apiClientViewer(api.db, ['directory:read', 'directory:personal'], A);
    const withPhones = await api.execute<{ cadres: { nodes: { phone: string | null }[] } }>(
      `{ cadres(first: 100) { nodes { phone } } }`,
      {},
      personal,
    );
    const phones = dataOf(withPhones).cadres.nodes.map((c) => c.phone);
    expect(phones.filter((phone) => phone?.startsWith('1380000'))).toHaveLength(cadresOf(A).length);
  });
});

describe('figures of a reader restricted to department A', () => {
  // Every figure field, called so that it would reach beyond A: the zone above it, B beside it.
  const outsideCalls: Record<string, string[]> = {
    metricSeries: [
      `{ metricSeries(input: { metricCodes: ["LOCAL_FISCAL_REVENUE"], orgCode: "ZONE", includeDescendants: true, from: "2012-01-01", to: "2012-03-31", granularity: QUARTER }) { points { value } } }`,
      `{ metricSeries(input: { metricCodes: ["LOCAL_FISCAL_REVENUE"], orgCode: "${B}", from: "2012-01-01", to: "2012-03-31", granularity: QUARTER }) { points { value } } }`,
    ],
    metricRanking: [
      `{ metricRanking(input: { metricCode: "LOCAL_FISCAL_REVENUE", parentOrgCode: "ZONE", granularity: QUARTER, periodStart: "2012-01-01" }) { entries { orgCode orgName value } } }`,
      `{ metricRanking(input: { metricCode: "LOCAL_FISCAL_REVENUE", granularity: QUARTER, periodStart: "2012-01-01" }) { entries { orgCode orgName value } } }`,
    ],
  };
  // The catalogue says what figures mean, not any unit's figure: it is the same for every reader.
  const unitFree = new Set(['metricDefinitions', 'metricDefinition']);
  const readers = async (): Promise<[string, Viewer][]> => [
    ['an API key', await apiClientViewer(api.db, ['metrics:read'], A)],
    ['an ORG_MANAGER', managerOfA],
  ];

  it('has a case for every figure field of the schema', () => {
    const figureFields = Object.keys(schema.getQueryType()?.getFields() ?? {}).filter((name) =>
      name.startsWith('metric'),
    );
    expect(figureFields.filter((name) => !unitFree.has(name)).sort()).toEqual(Object.keys(outsideCalls).sort());
  });

  it('gets NOT_FOUND beyond A, with no figure or name of another unit in the answer', async () => {
    const otherNames = (await api.db.select().from(organizations))
      .filter((org) => org.code !== A)
      .map((org) => org.name);
    for (const [who, viewer] of await readers()) {
      for (const [field, calls] of Object.entries(outsideCalls)) {
        for (const call of calls) {
          const executed = await api.execute(call, {}, viewer);
          expect(errorCodes(executed), `${who} calling ${field}`).toEqual(['NOT_FOUND']);
          const text = JSON.stringify(executed.result);
          for (const name of otherNames) expect(text, `${who} calling ${field}`).not.toContain(name);
          expect(text).not.toContain('7430');
        }
      }
    }
  });

  it('reads A’s own figures and ranks the units below A', async () => {
    for (const [who, viewer] of await readers()) {
      const series = await api.execute<{ metricSeries: { organization: { code: string } }[] }>(
        `{ metricSeries(input: { metricCodes: ["LOCAL_FISCAL_REVENUE"], orgCode: "${A}", includeDescendants: true, from: "2012-01-01", to: "2012-03-31", granularity: QUARTER }) { organization { code } } }`,
        {},
        viewer,
      );
      expect(
        dataOf(series).metricSeries.map((s) => s.organization.code),
        who,
      ).toEqual([A]);
      const ranking = await api.execute<{ metricRanking: { entries: unknown[] } }>(
        `{ metricRanking(input: { metricCode: "LOCAL_FISCAL_REVENUE", parentOrgCode: "${A}", granularity: QUARTER, periodStart: "2012-01-01" }) { entries { orgCode } } }`,
        {},
        viewer,
      );
      expect(dataOf(ranking).metricRanking.entries, who).toEqual([]);
    }
  });

  it('hears of no figure outside A on metricUpdated, and may not subscribe to the zone', async () => {
    const pubsub = createPubSub<{ metricUpdated: [MetricUpdateEvent] }>();
    const events = {
      publish: (topic: 'metricUpdated', event: MetricUpdateEvent) => pubsub.publish(topic, event),
      subscribe: (topic: 'metricUpdated') => pubsub.subscribe(topic),
    };
    const [zone, a, b] = await Promise.all(
      ['ZONE', A, B].map(
        async (code) => (await api.db.select().from(organizations).where(eq(organizations.code, code)))[0],
      ),
    );
    const event = (org: typeof a, value: string): MetricUpdateEvent => ({
      metricCode: 'LOCAL_FISCAL_REVENUE',
      orgCode: org?.code ?? '',
      orgPath: org?.path ?? '',
      granularity: 'QUARTER',
      periodStart: '2012-01-01',
      value,
      revision: 9,
      source: 'test',
      batchId: 1,
    });
    for (const [who, viewer] of await readers()) {
      const contextValue = { db: api.db, viewer, requestId: 'figures-subscription', events };
      const refused = await subscribe({
        schema,
        document: parse(`subscription { metricUpdated(orgCode: "ZONE") { orgCode } }`),
        contextValue,
      });
      expect(Symbol.asyncIterator in refused ? 'a stream' : refused.errors?.[0]?.extensions?.code, who).toBe(
        'NOT_FOUND',
      );

      const stream = await subscribe({
        schema,
        document: parse(`subscription { metricUpdated { orgCode value } }`),
        contextValue,
      });
      if (!(Symbol.asyncIterator in stream)) throw new Error(`subscription failed: ${JSON.stringify(stream)}`);
      const iterator = stream[Symbol.asyncIterator]();
      const first = iterator.next();
      pubsub.publish('metricUpdated', event(zone, '1'));
      pubsub.publish('metricUpdated', event(b, '2'));
      pubsub.publish('metricUpdated', event(a, '3'));
      expect((await first).value?.data?.metricUpdated, who).toEqual({ orgCode: A, value: '3' });
      await iterator.return?.();
    }
  });
});
