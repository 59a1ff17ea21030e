import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { callerOf, latestAsOf, RecentWrites } from './read-your-writes.ts';

describe('RecentWrites', () => {
  it('remembers a caller’s last position until its TTL, and at most `max` callers, least recent out first', () => {
    let now = 1_000;
    const writes = new RecentWrites({ max: 2, ttlMs: 100, now: () => now });
    writes.record('a', '0/10');
    writes.record('b', '0/20');
    writes.record('a', '0/30');
    writes.record('c', '0/40');
    expect([writes.lsnOf('a'), writes.lsnOf('b'), writes.lsnOf('c')]).toEqual(['0/30', undefined, '0/40']);
    expect(writes.size).toBe(2);
    now += 100;
    expect(writes.lsnOf('a')).toBeUndefined();
    expect(writes.size).toBe(1);
  });

  it('follows users and API clients, not anonymous callers', () => {
    expect(callerOf({ kind: 'ANONYMOUS' })).toBeUndefined();
    expect(
      callerOf({
        kind: 'API_CLIENT',
        clientId: 7,
        name: 'c',
        scopes: [],
        organizationId: null,
        organizationPath: null,
      }),
    ).toBe('client:7');
  });
});

describe('latestAsOf', () => {
  it('finds the latest asOf in literals, variables and input objects passed as variables', () => {
    const document = parse(`query($a: DateTime, $input: MetricSeriesInput!) {
      one: metricRanking(input: { asOf: "2020-01-01T00:00:00Z" }) { rank }
      two: metricRanking(input: { asOf: $a }) { rank }
      metricSeries(input: $input) { points { value } }
    }`);
    expect(latestAsOf(document, { a: '2021-01-01T00:00:00Z', input: { asOf: '2022-06-01T00:00:00Z' } })).toEqual(
      new Date('2022-06-01T00:00:00Z'),
    );
    expect(latestAsOf(document, { a: 'not a date' })).toEqual(new Date('2020-01-01T00:00:00Z'));
    expect(latestAsOf(parse('{ organization(code: "ZONE") { name } }'), {})).toBeUndefined();
  });
});
