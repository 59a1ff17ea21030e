import { today } from '@sixtype/db';

/**
 * The calendar day the reminder rules run for: the installation's today (the shared clock of
 * packages/db/src/clock.ts, so its time zone and a test's fixed day apply here too).
 */
export function reminderToday(): string {
  return today();
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
