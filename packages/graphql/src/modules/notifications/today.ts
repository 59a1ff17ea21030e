import { zoneDay } from '@sixtype/db';

/**
 * The zone-time calendar day the reminder rules run for. The one place reminders ask for "today",
 * so a shared clock (time zone, a test's fixed day) can replace it in one edit.
 */
export function reminderToday(now: Date = new Date()): string {
  return zoneDay(now);
}

/** The calendar day `days` after `day` (negative: before), YYYY-MM-DD. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The month before the one `day` falls in: its label (2012-06) and its last day. */
export function previousMonth(day: string): { label: string; lastDay: string } {
  const lastDay = addDays(`${day.slice(0, 7)}-01`, -1);
  return { label: lastDay.slice(0, 7), lastDay };
}
