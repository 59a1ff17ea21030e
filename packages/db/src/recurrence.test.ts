import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureClock, resetClock, zoneDay } from './clock.ts';
import {
  expandOccurrences,
  MAX_OCCURRENCES,
  OCCURRENCE_HORIZON_YEARS,
  occurrenceHorizon,
  TooManyOccurrencesError,
  writeOccurrences,
} from './recurrence.ts';
import { activities, activityOccurrences, campaigns, organizations } from './schema/index.ts';
import { openTestDatabase, type TestDatabase } from './testing.ts';

// An installation in a zone with daylight saving time, so a wall-clock rule and a fixed offset
// part ways twice a year.
let database: TestDatabase;
let campaignId: number;
let organizationId: number;

beforeAll(async () => {
  configureClock({ timeZone: 'Europe/Berlin' });
  database = await openTestDatabase({ demo: false });
  const [campaign] = await database.db
    .insert(campaigns)
    .values({ code: 'CLOCK_TEST', name: '时钟测试' })
    .returning({ id: campaigns.id });
  const [unit] = await database.db
    .insert(organizations)
    .values({ code: 'ZONE', name: '时钟测试区', kind: 'ZONE', path: 'ZONE' })
    .returning({ id: organizations.id });
  if (!campaign || !unit) throw new Error('fixture rows missing');
  campaignId = campaign.id;
  organizationId = unit.id;
});
afterAll(async () => {
  await database.close();
  resetClock();
});

async function insertActivity(startsAt: string, recurrence: string | null) {
  const [row] = await database.db
    .insert(activities)
    .values({ campaignId, organizerOrganizationId: organizationId, kind: 'OTHER', title: 'x', startsAt, recurrence })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

const storedDays = async (activityId: number) =>
  (
    await database.db
      .select({ day: activityOccurrences.day, startsAt: activityOccurrences.startsAt })
      .from(activityOccurrences)
      .where(eq(activityOccurrences.activityId, activityId))
      .orderBy(asc(activityOccurrences.startsAt))
  ).map((row) => row.day);

describe('expanding a rule on the zone’s wall clock', () => {
  it('keeps a weekly 09:00 at 09:00 in the zone across the change to summer time', () => {
    const starts = expandOccurrences('2012-03-13T09:00:00+01:00', 'FREQ=WEEKLY', '2012-03-13', '2012-04-03');
    expect(starts.map((start) => start.toISOString())).toEqual([
      '2012-03-13T08:00:00.000Z',
      '2012-03-20T08:00:00.000Z',
      '2012-03-27T07:00:00.000Z', // summer time since 25 March: 09:00 is 07:00 UTC
      '2012-04-03T07:00:00.000Z',
    ]);
  });

  it('puts an occurrence in the zone’s day, not the UTC day', () => {
    // 00:30 on 1 March in Berlin is still 29 February in UTC.
    const [start] = expandOccurrences('2012-02-01T00:30:00+01:00', 'FREQ=MONTHLY', '2012-03-01', '2012-03-01');
    expect(start?.toISOString()).toBe('2012-02-29T23:30:00.000Z');
    expect(start && zoneDay(start)).toBe('2012-03-01');
  });
});

describe('writeOccurrences', () => {
  it('stores every occurrence of a daily rule over the whole three-year horizon', async () => {
    const activity = await insertActivity('2012-01-01T09:00:00+01:00', 'FREQ=DAILY');
    expect(occurrenceHorizon(activity.startsAt, null)).toBe(`${2012 + OCCURRENCE_HORIZON_YEARS}-01-01`);
    // 2012 (a leap year), 2013 and 2014, and 1 January 2015.
    expect(await writeOccurrences(database.db, activity, null)).toBe(366 + 365 + 365 + 1);
    const days = await storedDays(activity.id);
    expect(days).toHaveLength(1097);
    expect(days[0]).toBe('2012-01-01');
    expect(days.at(-1)).toBe('2015-01-01');
  });

  it('refuses a rule with more occurrences than the cap and stores none of them', async () => {
    const activity = await insertActivity('2012-01-01T09:00:00+01:00', 'FREQ=HOURLY');
    const refused = await writeOccurrences(database.db, activity, null).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyOccurrencesError);
    expect(refused).toMatchObject({ limit: MAX_OCCURRENCES, from: '2012-01-01', to: '2015-01-01' });
    expect(await storedDays(activity.id)).toEqual([]);
    // Up to a campaign's end on 1 March the same rule fits: from 09:00 on New Year's Day, then 24 a day.
    expect(await writeOccurrences(database.db, activity, '2012-03-01')).toBe(15 + 60 * 24);
    expect(await storedDays(activity.id)).toHaveLength(15 + 60 * 24);
  });

  it('stores days in the zone, for a rule and for a one-off the database itself records', async () => {
    const recurring = await insertActivity('2012-02-01T00:30:00+01:00', 'FREQ=MONTHLY;COUNT=3');
    await writeOccurrences(database.db, recurring, null);
    expect(await storedDays(recurring.id)).toEqual(['2012-02-01', '2012-03-01', '2012-04-01']);
    // 06:30 on 1 March in Shanghai is 23:30 on 29 February in Berlin.
    const lateEvening = await insertActivity('2012-03-01T06:30:00+08:00', null);
    expect(await storedDays(lateEvening.id)).toEqual(['2012-02-29']);
  });
});
