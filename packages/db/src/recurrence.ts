import { sql } from 'drizzle-orm';
import rrule from 'rrule';
import type { Executor } from './client.ts';
import { instantOfWallClock, timeZoneSql, wallClockOf, zoneDay } from './clock.ts';

const { RRule } = rrule;

/**
 * A rule such as BYDAY=TU;BYHOUR=9 means Tuesday at 09:00 on the zone's wall clock (the clock
 * module's TIME_ZONE), whatever the season: expansion runs on wall-clock times written as UTC (the
 * "floating" dates the rrule package expects), and each occurrence is turned back into the instant
 * at which the zone's clock shows it.
 */

/**
 * The most occurrences one rule may have over its horizon: a daily rule over thirteen years, a
 * weekly one over ninety. A rule with more (hourly, or daily over a long campaign) is refused
 * rather than cut short, since a cut-off series would later show false cadence gaps.
 */
export const MAX_OCCURRENCES = 5000;

/** A rule expands to more than `limit` occurrences in the range asked for; nothing is cut short. */
export class TooManyOccurrencesError extends Error {
  constructor(
    readonly limit: number,
    readonly from: string,
    readonly to: string,
  ) {
    super(`the rule has more than ${limit} occurrences between ${from} and ${to}`);
    this.name = 'TooManyOccurrencesError';
  }
}

/** Whether `rule` is an RRULE the rrule package understands (without DTSTART). */
export function isValidRecurrence(rule: string): boolean {
  try {
    const options = RRule.parseString(rule);
    return options.freq !== undefined && !('dtstart' in options && options.dtstart);
  } catch {
    return false;
  }
}

/**
 * Visits the starts of an activity's occurrences whose zone-time day falls in [from, to] (calendar
 * days, inclusive), in order, until `visit` returns false. Without a rule the activity occurs
 * once, at `startsAt`.
 */
function eachOccurrence(
  startsAt: string | Date,
  recurrence: string | null,
  from: string,
  to: string,
  visit: (start: Date) => boolean,
): void {
  const start = new Date(startsAt);
  const first = Date.parse(`${from}T00:00:00Z`);
  const last = Date.parse(`${to}T23:59:59.999Z`);
  const wallStart = wallClockOf(start);
  if (!recurrence) {
    if (wallStart.getTime() >= first && wallStart.getTime() <= last) visit(start);
    return;
  }
  const rule = new RRule({ ...RRule.parseString(recurrence), dtstart: wallStart });
  rule.between(new Date(first), new Date(last), true, (wall) => visit(instantOfWallClock(wall)));
}

/**
 * The starts of an activity's occurrences whose zone-time day falls in [from, to], all of them:
 * more than `limit` is a TooManyOccurrencesError, never a silently shortened list.
 */
export function expandOccurrences(
  startsAt: string | Date,
  recurrence: string | null,
  from: string,
  to: string,
  limit = MAX_OCCURRENCES,
): Date[] {
  const found: Date[] = [];
  let overflow = false;
  eachOccurrence(startsAt, recurrence, from, to, (start) => {
    if (found.length === limit) {
      overflow = true;
      return false;
    }
    found.push(start);
    return true;
  });
  if (overflow) throw new TooManyOccurrencesError(limit, from, to);
  return found;
}

/**
 * Whether an activity takes place on a zone-time calendar day: one of its occurrences starts that
 * day, or, for a one-off spanning several days (a study tour), the day lies between its first and last.
 */
export function activityOccursOn(
  activity: { startsAt: string | Date; endsAt: string | Date | null; recurrence: string | null },
  day: string,
): boolean {
  let occurs = false;
  eachOccurrence(activity.startsAt, activity.recurrence, day, day, () => {
    occurs = true;
    return false;
  });
  if (occurs) return true;
  if (activity.recurrence || !activity.endsAt) return false;
  return zoneDay(new Date(activity.startsAt)) <= day && day <= zoneDay(new Date(activity.endsAt));
}

/** How far ahead a recurring activity's occurrences are stored when its campaign sets no end. */
export const OCCURRENCE_HORIZON_YEARS = 3;

/** The last day (zone time) up to which an activity's occurrences are stored. */
export function occurrenceHorizon(startsAt: string | Date, campaignEndsOn: string | null): string {
  if (campaignEndsOn) return campaignEndsOn;
  const horizon = wallClockOf(new Date(startsAt));
  horizon.setUTCFullYear(horizon.getUTCFullYear() + OCCURRENCE_HORIZON_YEARS);
  return horizon.toISOString().slice(0, 10);
}

/**
 * Stores an activity's occurrences (activity_occurrences), which the cadence checks and the monthly
 * counts read in SQL: a one-off's start, or every occurrence of a rule up to the campaign's last
 * day (OCCURRENCE_HORIZON_YEARS ahead when it has none). A rule with more than MAX_OCCURRENCES
 * there is a TooManyOccurrencesError and nothing is stored.
 */
export async function writeOccurrences(
  tx: Executor,
  activity: { id: number; startsAt: string; recurrence: string | null },
  campaignEndsOn: string | null,
): Promise<number> {
  const start = new Date(activity.startsAt);
  const starts = activity.recurrence
    ? expandOccurrences(start, activity.recurrence, zoneDay(start), occurrenceHorizon(start, campaignEndsOn))
    : [start];
  // An hourly rule names the hour summer time skips and the hour after it: one instant (RFC 5545).
  const instants = [...new Set(starts.map((instant) => instant.toISOString()))];
  if (instants.length === 0) return 0;
  // One JSON parameter: PGlite and node-postgres pass it alike.
  await tx.execute(sql`
    insert into activity_occurrences (activity_id, starts_at, day)
    select ${activity.id}, s::timestamptz, (s::timestamptz at time zone ${timeZoneSql()})::date
    from json_array_elements_text(${JSON.stringify(instants)}::json) s
    on conflict do nothing`);
  return instants.length;
}
