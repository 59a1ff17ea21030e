import { sql } from 'drizzle-orm';
import rrule from 'rrule';
import type { Executor } from './client.ts';

const { RRule } = rrule;

/**
 * The zone keeps China Standard Time (UTC+8, no daylight saving). A rule such as BYDAY=TU means
 * Tuesday on the zone's wall clock, so expansion runs on wall-clock instants written as UTC (the
 * "floating" dates the rrule package expects) and shifts back afterwards.
 */
const ZONE_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Occurrences expanded from one rule are capped, so a careless range cannot exhaust the server. */
export const MAX_OCCURRENCES = 1000;

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
 * The starts of an activity's occurrences whose zone-time day falls in [from, to] (both calendar
 * days, inclusive). Without a rule the activity occurs once, at `startsAt`.
 */
export function expandOccurrences(
  startsAt: string | Date,
  recurrence: string | null,
  from: string,
  to: string,
): Date[] {
  const start = new Date(startsAt);
  const first = Date.parse(`${from}T00:00:00Z`);
  const last = Date.parse(`${to}T23:59:59.999Z`);
  const wallStart = new Date(start.getTime() + ZONE_OFFSET_MS);
  if (!recurrence) {
    return wallStart.getTime() >= first && wallStart.getTime() <= last ? [start] : [];
  }
  const rule = new RRule({ ...RRule.parseString(recurrence), dtstart: wallStart });
  const found: Date[] = [];
  rule.between(new Date(first), new Date(last), true, (date) => {
    found.push(new Date(date.getTime() - ZONE_OFFSET_MS));
    return found.length < MAX_OCCURRENCES;
  });
  return found;
}

/** The zone-time calendar day (YYYY-MM-DD) of an instant. */
export function zoneDay(instant: Date): string {
  return new Date(instant.getTime() + ZONE_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * Whether an activity takes place on a zone-time calendar day: one of its occurrences starts that
 * day, or, for a one-off spanning several days (a study tour), the day lies between its first and last.
 */
export function activityOccursOn(
  activity: { startsAt: string | Date; endsAt: string | Date | null; recurrence: string | null },
  day: string,
): boolean {
  if (expandOccurrences(activity.startsAt, activity.recurrence, day, day).length > 0) return true;
  if (activity.recurrence || !activity.endsAt) return false;
  return zoneDay(new Date(activity.startsAt)) <= day && day <= zoneDay(new Date(activity.endsAt));
}

/** How far ahead a recurring activity's occurrences are stored when its campaign sets no end. */
export const OCCURRENCE_HORIZON_YEARS = 3;

/**
 * Stores an activity's occurrences (activity_occurrences), which the cadence checks and the monthly
 * counts read in SQL: a one-off's start, or a rule's occurrences up to the campaign's last day (or
 * OCCURRENCE_HORIZON_YEARS ahead when it has none), at most MAX_OCCURRENCES.
 */
export async function writeOccurrences(
  tx: Executor,
  activity: { id: number; startsAt: string; recurrence: string | null },
  campaignEndsOn: string | null,
): Promise<number> {
  const start = new Date(activity.startsAt);
  const horizon = new Date(start);
  horizon.setUTCFullYear(horizon.getUTCFullYear() + OCCURRENCE_HORIZON_YEARS);
  const last = campaignEndsOn ?? zoneDay(horizon);
  const starts = activity.recurrence ? expandOccurrences(start, activity.recurrence, zoneDay(start), last) : [start];
  if (starts.length === 0) return 0;
  // One JSON parameter: PGlite and node-postgres pass it alike.
  await tx.execute(sql`
    insert into activity_occurrences (activity_id, starts_at, day)
    select ${activity.id}, s::timestamptz, (s::timestamptz at time zone 'Asia/Shanghai')::date
    from json_array_elements_text(${JSON.stringify(starts.map((instant) => instant.toISOString()))}::json) s
    on conflict do nothing`);
  return starts.length;
}
