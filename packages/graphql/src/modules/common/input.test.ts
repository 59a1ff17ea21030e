import { metricObservations } from '@sixtype/db';
import { getNamedType, isInputObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACCESS } from '../../context.ts';
import { schema } from '../../schema.ts';
import { dataOf, errorCodes, openTestApi, type TestApi } from '../../test-support.ts';
import { createMetricDefinition } from '../metrics/metrics.service.ts';
import { decimalFromNumber, isCalendarDay, isDecimalText } from './validation.ts';

// The input rules of README's "Input rules", through the real schema: what a client sends, what
// it gets back, and what is stored.

let api: TestApi;
const METRIC = 'INPUT_TEST_FLOW';

beforeAll(async () => {
  api = await openTestApi();
  await createMetricDefinition(api.db, SYSTEM_ACCESS.actor, {
    code: METRIC,
    name: METRIC,
    unit: '元',
    kind: 'FLOW',
    aggregation: 'SUM',
    direction: 'HIGHER_IS_BETTER',
    reportingGranularity: 'MONTH',
  });
});
afterAll(async () => {
  await api.close();
});

const SUBMIT = /* GraphQL */ `
  mutation($input: SubmitMetricObservationsInput!) {
    submitMetricObservations(input: $input) {
      __typename
      ... on SubmitMetricObservationsPayload { accepted rejected errors { index field code message } }
    }
  }`;

interface SubmitAnswer {
  submitMetricObservations: {
    accepted: number;
    rejected: number;
    errors: { index: number; field: string; code: string; message: string }[];
  };
}

let keys = 0;
const row = (value: unknown, periodStart = '2013-01-01', source = 'input test') => ({
  metricCode: METRIC,
  orgCode: 'FINANCE_BUREAU',
  periodStart,
  granularity: 'MONTH',
  value,
  source,
});
function submit(observations: unknown[]) {
  keys += 1;
  return api.execute<SubmitAnswer>(SUBMIT, { input: { idempotencyKey: `input-test-${keys}`, observations } });
}

/** The values stored for the test metric, newest revision last. */
async function storedValues(): Promise<string[]> {
  const rows = await api.db.select().from(metricObservations);
  return rows
    .filter((r) => r.source === 'input test')
    .sort((a, b) => a.id - b.id)
    .map((r) => r.value);
}

const message = (executed: { result: { errors?: readonly { message: string }[] } }) =>
  (executed.result.errors ?? []).map((error) => error.message).join('\n');

describe('Decimal', () => {
  it('refuses a JSON number that does not convert exactly, and stores nothing', async () => {
    const before = await storedValues();
    // What a client's JSON body holds once parsed: the nearest double, 12345678901234567000.
    const executed = await submit([row(JSON.parse('12345678901234567891'))]);
    expect(errorCodes(executed)).toEqual(['BAD_USER_INPUT']);
    expect(message(executed)).toContain('send decimals as strings');
    expect(message(executed)).toContain('input.observations[0].value');
    for (const inexact of [JSON.parse('9007199254740993'), 0.1 + 0.2, 1e21, Number.MAX_VALUE]) {
      expect(errorCodes(await submit([row(inexact)]))).toEqual(['BAD_USER_INPUT']);
    }
    expect(await storedValues()).toEqual(before);
  });

  it('takes an exact JSON number, and a number literal digit for digit as written', async () => {
    const before = await storedValues();
    const data = dataOf(await submit([row(9007199254740991), row(7430.25, '2013-02-01'), row(1.5e-7, '2013-03-01')]));
    expect(data.submitMetricObservations).toMatchObject({ accepted: 3, rejected: 0 });
    const literal = await api.execute<SubmitAnswer>(`mutation {
      submitMetricObservations(input: { idempotencyKey: "input-literal", observations: [
        { metricCode: "${METRIC}", orgCode: "FINANCE_BUREAU", periodStart: "2013-04-01", granularity: MONTH,
          value: 12345678901234567891, source: "input test" }] }) {
        ... on SubmitMetricObservationsPayload { accepted }
      } }`);
    expect(dataOf(literal).submitMetricObservations.accepted).toBe(1);
    expect((await storedValues()).slice(before.length)).toEqual([
      '9007199254740991',
      '7430.25',
      '0.00000015',
      '12345678901234567891',
    ]);
  });

  it('follows one grammar, with no trimming: each bad value is refused on its own row', async () => {
    const before = await storedValues();
    const bad = [' 12', '12 ', '0012', '.5', '1e3', '+1', '1.', '', 'NaN', '12\t'];
    const data = dataOf(
      await submit([
        ...bad.map((value, i) => row(value, `2014-${String(i + 1).padStart(2, '0')}-01`)),
        row('12', '2015-01-01'),
      ]),
    );
    expect(data.submitMetricObservations).toMatchObject({ accepted: 1, rejected: bad.length });
    expect(data.submitMetricObservations.errors.map((e) => [e.index, e.field, e.code])).toEqual(
      bad.map((_, i) => [i, 'value', 'BAD_USER_INPUT']),
    );
    expect((await storedValues()).slice(before.length)).toEqual(['12']);

    const target = await api.execute<{ setMetricTarget: { __typename: string; fieldErrors?: { path: string[] }[] } }>(
      `mutation($value: Decimal!) { setMetricTarget(input: { metricCode: "${METRIC}", orgCode: "ZONE", granularity: MONTH,
        periodStart: "2013-01-01", value: $value }) { __typename ... on ValidationError { fieldErrors { path } } } }`,
      { value: ' 12' },
    );
    expect(dataOf(target).setMetricTarget).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['input', 'value'] }],
    });
  });

  it('is the one grammar of every Decimal input field of the schema', () => {
    // A new Decimal input must be checked with decimalText / isDecimalText and listed here.
    const checked = [
      'CreateMetricDefinitionInput.ratioMultiplier',
      'CreateStudyRecordInput.hours',
      'MetricObservationInput.value',
      'SetMetricTargetInput.value',
      'SetStudyRequirementInput.hoursQuota',
      'UpdateStudyRecordInput.hours',
    ];
    const decimalInputs = Object.values(schema.getTypeMap())
      .filter(isInputObjectType)
      .flatMap((type) =>
        Object.values(type.getFields())
          .filter((field) => getNamedType(field.type).name === 'Decimal')
          .map((field) => `${type.name}.${field.name}`),
      )
      .sort();
    expect(decimalInputs).toEqual(checked);
    for (const text of ['0', '-0.5', '7430.25', '123456789012345678901234567890.123456789012']) {
      expect(isDecimalText(text)).toBe(true);
    }
    for (const text of [' 12', '12 ', '0012', '.5', '-', '1e3', '1,5', '１２']) expect(isDecimalText(text)).toBe(false);
    expect([0.1, -0, 123.456, 1e-7, 2 ** 53].map(decimalFromNumber)).toEqual([
      '0.1',
      '0',
      '123.456',
      '0.0000001',
      null,
    ]);
  });
});

describe('dates', () => {
  it('refuses year 0 in a row’s periodStart by its row, and in a target’s periodStart naming the field', async () => {
    const data = dataOf(await submit([row('1', '0000-01-01'), row('1', '10000-01-01'), row('1', '2013-02-30')]));
    expect(data.submitMetricObservations.errors.map((e) => [e.index, e.field, e.code])).toEqual([
      [0, 'periodStart', 'BAD_USER_INPUT'],
      [1, 'periodStart', 'BAD_USER_INPUT'],
      [2, 'periodStart', 'BAD_USER_INPUT'],
    ]);
    expect(data.submitMetricObservations.errors[0]?.message).toContain('0001-01-01 to 9999-12-31');

    const target = await api.execute<{ setMetricTarget: { __typename: string; fieldErrors?: { path: string[] }[] } }>(
      `mutation { setMetricTarget(input: { metricCode: "${METRIC}", orgCode: "ZONE", granularity: MONTH,
        periodStart: "0000-01-01", value: "1" }) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
    );
    expect(dataOf(target).setMetricTarget).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['input', 'periodStart'] }],
    });
  });

  it('names the argument of a bad Date or DateTime, in a literal and in a variable', async () => {
    const SERIES = (
      from: string,
    ) => `query($input: MetricSeriesInput!) { metricSeries(input: $input) { points { value } } }
      ${from}`;
    const input = {
      metricCodes: [METRIC],
      orgCode: 'ZONE',
      from: '2013-01-01',
      to: '2013-12-31',
      granularity: 'MONTH',
    };
    const variable = await api.execute(SERIES(''), { input: { ...input, from: '0000-01-01' } });
    expect(errorCodes(variable)).toEqual(['BAD_USER_INPUT']);
    expect(message(variable)).toContain('input.from');
    expect(message(variable)).toContain('0001-01-01 to 9999-12-31');

    const literal = await api.execute(
      `{ metricSeries(input: { metricCodes: ["${METRIC}"], orgCode: "ZONE", from: "0000-01-01", to: "2013-12-31", granularity: MONTH }) { points { value } } }`,
    );
    expect(errorCodes(literal)).toEqual(['BAD_USER_INPUT']);
    expect(message(literal)).toMatch(/^input\.from: Date must be a calendar day/);
    expect(literal.result.errors?.[0]?.locations).toHaveLength(1);

    const asOf = await api.execute(SERIES(''), { input: { ...input, asOf: '0000-06-01T00:00:00Z' } });
    expect(errorCodes(asOf)).toEqual(['BAD_USER_INPUT']);
    expect(message(asOf)).toContain('input.asOf');

    const inList = await api.execute(
      `mutation { submitMetricObservations(input: { idempotencyKey: "k", observations: [
        { metricCode: "${METRIC}", orgCode: "ZONE", periodStart: "2013-01-01", granularity: MONTH, value: "1", source: "s" },
        { metricCode: "${METRIC}", orgCode: "ZONE", periodStart: "2013-01-01", granularity: MONTH, value: true, source: "s" }] }) { __typename } }`,
    );
    expect(message(inList)).toMatch(/^input\.observations\.1\.value: Decimal must be a string/);
  });

  it('accepts the first and the last day of the range, years below 100 included', () => {
    for (const day of ['0001-01-01', '0099-02-28', '2000-02-29', '9999-12-31']) expect(isCalendarDay(day)).toBe(true);
    for (const day of ['0000-01-01', '1900-02-29', '2013-02-30', '2013-13-01', '2013-1-01', '10000-01-01']) {
      expect(isCalendarDay(day)).toBe(false);
    }
  });
});

describe('NUL characters', () => {
  const nul = (executed: { result: { errors?: readonly { message: string }[] } }) => {
    expect(errorCodes(executed as never)).toEqual(['BAD_USER_INPUT']);
    return message(executed);
  };

  it('are refused in a query argument, a literal or a variable, nested fields included', async () => {
    expect(nul(await api.execute(`{ metricDefinition(code: "A\\u0000") { code } }`))).toBe(
      'code: must not contain the NUL character (U+0000)',
    );
    expect(
      nul(
        await api.execute(
          `query($f: CadreFilter) { organization(code: "ZONE") { cadres(filter: $f) { totalCount } } }`,
          { f: { or: [{ name: { includesInsensitive: 'x' } }, { name: { includesInsensitive: 'a\u0000' } }] } },
        ),
      ),
    ).toBe('$f.or.1.name.includesInsensitive: must not contain the NUL character (U+0000)');
    expect(
      nul(
        await api.execute(
          `{ organization(code: "ZONE") { cadres(filter: { name: { in: ["a", "b\\u0000"] } }) { totalCount } } }`,
        ),
      ),
    ).toBe('filter.name.in.1: must not contain the NUL character (U+0000)');
  });

  it('are refused in a mutation’s input, and nothing is written', async () => {
    const before = await storedValues();
    const executed = await submit([row('1', '2016-01-01'), row('2', '2016-02-01', 'input\u0000test')]);
    expect(nul(executed)).toBe('$input.observations.1.source: must not contain the NUL character (U+0000)');
    expect(await storedValues()).toEqual(before);
  });
});
