import { afterAll, beforeAll, it } from 'vitest';
import { openTestApi, type TestApi } from '../../test-support.ts';

let api: TestApi;
beforeAll(async () => { api = await openTestApi(); });
afterAll(async () => { await api?.close(); });

const show = (label: string, x: unknown) => console.log(label, JSON.stringify(x));

it('explore', async () => {
  const q = [
    `mutation { createCadre(input: { employeeNumber: "X-1", organizationCode: "ZONE", name: "x", gender: MALE, phone: "+12345678901234567890" }) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
    `mutation { updateCadre(input: { employeeNumber: "KFQ-0001", name: null }) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
    `mutation { updateOrganization(input: { code: "PETITION_OFFICE", kind: ZONE }) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
    `mutation { transferCadre(input: { employeeNumber: "KFQ-0001", toOrganizationCode: "PARTY_WORKING_COMMITTEE", effectiveOn: "2012-04-01" }) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
    `mutation { transferCadre(input: { employeeNumber: "KFQ-0001", toOrganizationCode: "ZONE", effectiveOn: "2012-02-30" }) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
    `{ organizations(filter: { code: { includesInsensitive: "%" } }) { totalCount } }`,
    `{ organizations(filter: { code: { includesInsensitive: "office" } }) { totalCount nodes { code } } }`,
    `{ organizations(first: 0) { totalCount nodes { code } } }`,
    `{ node(id: "bm9wZQ==") { id } }`,
    `{ node(id: "T3JnYW5pemF0aW9uOjk5OTk=") { id } }`,
  ];
  for (const source of q) {
    const r = await api.execute(source);
    show(source, { ...r.result, n: r.statements.length });
  }
});
