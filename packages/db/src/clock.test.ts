import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptRecordedTimeZone,
  configureClock,
  DEFAULT_TIME_ZONE,
  fixClock,
  instantOfWallClock,
  isTimeZoneName,
  now,
  recordTimeZone,
  resetClock,
  TIME_ZONE_KEY,
  timeZone,
  today,
  wallClockOf,
  zoneDay,
} from './clock.ts';
import { systemSettings } from './schema/index.ts';
import { openTestDatabase } from './testing.ts';

afterEach(() => resetClock());

const floating = (wall: string) => new Date(`${wall}Z`);

describe('the clock', () => {
  it('keeps Asia/Shanghai by default: at 00:30 on 1 April in the zone it is already April there, not in UTC', () => {
    expect(timeZone()).toBe(DEFAULT_TIME_ZONE);
    expect(DEFAULT_TIME_ZONE).toBe('Asia/Shanghai');
    fixClock('2012-04-01T00:30:00+08:00');
    expect(now().toISOString()).toBe('2012-03-31T16:30:00.000Z');
    expect(today()).toBe('2012-04-01');
    expect(zoneDay(new Date('2012-03-31T15:59:59Z'))).toBe('2012-03-31');
    expect(zoneDay(new Date('2012-03-31T16:00:00Z'))).toBe('2012-04-01');
  });

  it('answers today in the configured zone, and a fixed clock stands still', () => {
    configureClock({ timeZone: 'America/New_York' });
    fixClock('2012-04-01T00:30:00+08:00');
    expect(today()).toBe('2012-03-31');
    expect(now().getTime()).toBe(now().getTime());
    resetClock();
    expect(timeZone()).toBe('Asia/Shanghai');
    expect(Math.abs(now().getTime() - Date.now())).toBeLessThan(1000);
  });

  it('turns instants into the zone’s wall clock and back, across daylight saving time', () => {
    configureClock({ timeZone: 'Europe/Berlin' });
    // Berlin moved from UTC+1 to UTC+2 at 02:00 on 25 March 2012.
    expect(wallClockOf(new Date('2012-03-24T08:00:00Z')).toISOString()).toBe('2012-03-24T09:00:00.000Z');
    expect(wallClockOf(new Date('2012-03-26T07:00:00Z')).toISOString()).toBe('2012-03-26T09:00:00.000Z');
    expect(instantOfWallClock(floating('2012-03-24T09:00:00')).toISOString()).toBe('2012-03-24T08:00:00.000Z');
    expect(instantOfWallClock(floating('2012-03-26T09:00:00')).toISOString()).toBe('2012-03-26T07:00:00.000Z');
    // 02:30 does not exist that night; it is read with the offset before the jump (01:30 UTC).
    expect(instantOfWallClock(floating('2012-03-25T02:30:00')).toISOString()).toBe('2012-03-25T01:30:00.000Z');
    // 02:30 on 28 October 2012 is shown twice (clocks turned back at 03:00); the first is meant.
    expect(instantOfWallClock(floating('2012-10-28T02:30:00')).toISOString()).toBe('2012-10-28T00:30:00.000Z');
    expect(instantOfWallClock(floating('2012-10-28T03:30:00')).toISOString()).toBe('2012-10-28T02:30:00.000Z');
    configureClock({ timeZone: 'Asia/Shanghai' });
    expect(instantOfWallClock(floating('2012-01-01T00:30:00')).toISOString()).toBe('2011-12-31T16:30:00.000Z');
  });

  it('takes IANA zone names only: no offsets (PostgreSQL reads them the other way round), no unknown names', () => {
    expect(isTimeZoneName('Asia/Shanghai')).toBe(true);
    expect(isTimeZoneName('UTC')).toBe(true);
    expect(isTimeZoneName('+08:00')).toBe(false);
    expect(isTimeZoneName('UTC+8')).toBe(false);
    expect(isTimeZoneName('Mars/Olympus_Mons')).toBe(false);
    expect(() => configureClock({ timeZone: 'Mars/Olympus_Mons' })).toThrow(/unknown time zone/);
    expect(timeZone()).toBe('Asia/Shanghai');
    // Spelled otherwise, a zone is kept under its canonical name (what the database records).
    configureClock({ timeZone: 'asia/shanghai' });
    expect(timeZone()).toBe('Asia/Shanghai');
  });
});

describe('recordTimeZone', () => {
  it('records the zone on first start, accepts it again and refuses another one', async () => {
    const database = await openTestDatabase({ demo: false });
    try {
      const recorded = async () =>
        (
          await database.db
            .select({ value: systemSettings.value })
            .from(systemSettings)
            .where(eq(systemSettings.key, TIME_ZONE_KEY))
        )[0]?.value;
      expect(await recorded()).toBe('Asia/Shanghai');
      await recordTimeZone(database.db);
      configureClock({ timeZone: 'Europe/Berlin' });
      await expect(recordTimeZone(database.db)).rejects.toThrow(
        'TIME_ZONE is Europe/Berlin but this database keeps its days in Asia/Shanghai; set TIME_ZONE=Asia/Shanghai',
      );
      expect(await recorded()).toBe('Asia/Shanghai');
    } finally {
      await database.close();
    }
  });

  it('refuses a database whose stored activity days were computed in another zone', async () => {
    const database = await openTestDatabase();
    try {
      // A database from before the zone was recorded: the demo's days are Shanghai days.
      await database.db.delete(systemSettings).where(eq(systemSettings.key, TIME_ZONE_KEY));
      configureClock({ timeZone: 'America/Los_Angeles' });
      await expect(recordTimeZone(database.db)).rejects.toThrow(/stored activity days such as \d{4}-\d{2}-\d{2}/);
      configureClock({ timeZone: 'Asia/Shanghai' });
      await recordTimeZone(database.db);
    } finally {
      await database.close();
    }
  });

  it('adoptRecordedTimeZone: a process that reads no TIME_ZONE (the worker) takes the database’s zone', async () => {
    configureClock({ timeZone: 'Europe/Berlin' });
    const database = await openTestDatabase({ demo: false });
    try {
      resetClock();
      expect(timeZone()).toBe('Asia/Shanghai');
      await adoptRecordedTimeZone(database.db);
      expect(timeZone()).toBe('Europe/Berlin');
      // 23:30 UTC on 31 March is already 1 April in Berlin (summer time).
      fixClock('2012-03-31T23:30:00Z');
      expect(today()).toBe('2012-04-01');
    } finally {
      await database.close();
    }
  });
});
