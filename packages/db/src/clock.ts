import { eq, type SQL, sql } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { activityOccurrences } from './schema/campaign.ts';
import { systemSettings } from './schema/system.ts';

/**
 * The installation's one clock. A zone's offices live by one calendar: every "today" (which periods
 * may be reported, which problems are overdue, which supervision periods have begun, up to which
 * month compliance is published) and every occurrence's day is the day in this time zone, never
 * the server's or UTC. The API sets the zone from TIME_ZONE when it starts (services/api/src/env.ts
 * is the only reader of the environment); tests set a fixed `now`.
 */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface ClockSettings {
  /** An IANA time zone name such as Asia/Shanghai. */
  timeZone?: string;
  /** The current instant; the system clock when left out. */
  now?: () => Date;
}

const systemNow = () => new Date();
let zone = DEFAULT_TIME_ZONE;
let currentNow: () => Date = systemNow;

/**
 * Whether `name` is an IANA zone name that both Node (ICU) and PostgreSQL read the same way. Offsets
 * such as "+08:00" are refused: PostgreSQL reads a bare offset as POSIX, east and west swapped.
 */
export function isTimeZoneName(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Sets the zone and/or the source of now; what is left out keeps its current setting. */
export function configureClock(settings: ClockSettings): void {
  if (settings.timeZone !== undefined) {
    if (!isTimeZoneName(settings.timeZone)) throw new RangeError(`unknown time zone: ${settings.timeZone}`);
    // One spelling per zone (asia/shanghai and PRC are Asia/Shanghai), as the database records it.
    zone = new Intl.DateTimeFormat('en-US', { timeZone: settings.timeZone }).resolvedOptions().timeZone;
  }
  if (settings.now !== undefined) currentNow = settings.now;
}

/** A clock stopped at `instant` (an ISO 8601 instant with its offset), for tests. */
export function fixClock(instant: string): void {
  const fixed = new Date(instant);
  if (Number.isNaN(fixed.getTime())) throw new RangeError(`not an instant: ${instant}`);
  configureClock({ now: () => new Date(fixed) });
}

/** Back to the default zone and the system clock. */
export function resetClock(): void {
  zone = DEFAULT_TIME_ZONE;
  currentNow = systemNow;
}

export const timeZone = (): string => zone;
export const now = (): Date => currentNow();

/** The zone as an SQL parameter, for `at time zone`. */
export const timeZoneSql = (): SQL => sql`${zone}::text`;

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClockParts(instant: Date): Record<string, number> {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, format);
  }
  const parts: Record<string, number> = {};
  let beforeChrist = false;
  for (const part of format.formatToParts(instant)) {
    if (part.type === 'era') beforeChrist = part.value === 'BC' || part.value === 'B';
    else if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  if (beforeChrist && parts.year !== undefined) parts.year = 1 - parts.year;
  return parts;
}

/**
 * The zone's wall clock at `instant`, written as a UTC instant ("floating" time: 09:00 in the zone
 * is 09:00Z), which is what calendar arithmetic and the rrule package work on.
 */
export function wallClockOf(instant: Date): Date {
  const p = wallClockParts(instant);
  const wall = new Date(0);
  wall.setUTCFullYear(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1);
  wall.setUTCHours(p.hour ?? 0, p.minute ?? 0, p.second ?? 0, instant.getUTCMilliseconds());
  return wall;
}

/**
 * The instant at which the zone's wall clock shows `wall` (floating time, see wallClockOf), as RFC
 * 5545 reads local times: a time shown twice (clocks turned back) is its first instant, a time
 * skipped (clocks turned forward) is read with the offset from before the change.
 */
export function instantOfWallClock(wall: Date): Date {
  const day = 86_400_000;
  const offsetAt = (instant: Date) => wallClockOf(instant).getTime() - instant.getTime();
  // Offset changes are months apart: a day either side sees the offsets before and after one.
  const before = offsetAt(new Date(wall.getTime() - day));
  const after = offsetAt(new Date(wall.getTime() + day));
  const shown = [before, after]
    .map((offset) => new Date(wall.getTime() - offset))
    .filter((instant) => wallClockOf(instant).getTime() === wall.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
  return shown[0] ?? new Date(wall.getTime() - before);
}

/** The zone's calendar day (YYYY-MM-DD) of an instant. */
export function zoneDay(instant: Date): string {
  return wallClockOf(instant).toISOString().slice(0, 10);
}

/** Today in the zone (YYYY-MM-DD). */
export const today = (): string => zoneDay(now());

/** The system_settings key under which a database records the zone its days are kept in. */
export const TIME_ZONE_KEY = 'time_zone';

/**
 * Sets the clock's zone to the one the database recorded (the API's TIME_ZONE on its first start),
 * for a process that does not read TIME_ZONE itself (the worker); a database without one leaves
 * the clock as it is.
 */
export async function adoptRecordedTimeZone(db: Executor): Promise<void> {
  const [row] = await db
    .select({ value: systemSettings.value })
    .from(systemSettings)
    .where(eq(systemSettings.key, TIME_ZONE_KEY));
  if (typeof row?.value === 'string') configureClock({ timeZone: row.value });
}

/**
 * Records the clock's zone as the database's on first start, and refuses to run with another one
 * later: stored days (activity occurrences) and the database's own trigger for one-off activities
 * go by the recorded zone, so a second zone would split the calendar in two. A database from
 * before the zone was recorded is checked against its stored days first.
 */
export async function recordTimeZone(db: Executor): Promise<void> {
  try {
    await db.execute(sql`select now() at time zone ${timeZoneSql()}`);
  } catch (cause) {
    throw new Error(`TIME_ZONE ${zone}: the database does not know this time zone`, { cause });
  }
  const recorded = async () =>
    (
      await db.select({ value: systemSettings.value }).from(systemSettings).where(eq(systemSettings.key, TIME_ZONE_KEY))
    )[0]?.value;
  const refuse = (other: string) =>
    new Error(
      `TIME_ZONE is ${zone} but this database keeps its days in ${other}; set TIME_ZONE=${other} (one installation, one time zone)`,
    );
  const before = await recorded();
  if (before !== undefined) {
    if (before !== zone) throw refuse(before);
    return;
  }
  const [mismatch] = await db
    .select({ day: activityOccurrences.day })
    .from(activityOccurrences)
    .where(sql`${activityOccurrences.day} <> (${activityOccurrences.startsAt} at time zone ${timeZoneSql()})::date`)
    .limit(1);
  if (mismatch) throw refuse(`another zone (stored activity days such as ${mismatch.day} disagree with ${zone})`);
  await db.insert(systemSettings).values({ key: TIME_ZONE_KEY, value: zone }).onConflictDoNothing();
  const after = await recorded();
  if (after !== zone) throw refuse(after ?? 'no zone');
}
