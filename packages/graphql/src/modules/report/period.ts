import type { ReportPeriod } from '../../context.ts';
import { graphQLError } from '../../errors.ts';

const pad = (n: number) => String(n).padStart(2, '0');

function lastDay(year: number, month: number): string {
  return `${year}-${pad(month)}-${pad(new Date(Date.UTC(year, month, 0)).getUTCDate())}`;
}

function calendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The longest date range a report covers: its series and cadence checks are bounded by it. */
export const MAX_REPORT_RANGE_DAYS = 732;

/**
 * A report's period as the caller writes it: `2012` (year), `2012-Q1` (quarter), `2012-03` (month)
 * — labelled exactly as metricSeries labels its periods — or a range `2012-01-01..2012-03-31`,
 * whose figures are reported month by month.
 */
export function parseReportPeriod(text: string): ReportPeriod {
  const value = text.trim();
  let match = /^(\d{4})$/.exec(value);
  if (match) {
    const year = Number(match[1]);
    return { label: value, granularity: 'YEAR', isRange: false, start: `${year}-01-01`, end: `${year}-12-31` };
  }
  match = /^(\d{4})-Q([1-4])$/.exec(value);
  if (match) {
    const year = Number(match[1]);
    const first = (Number(match[2]) - 1) * 3 + 1;
    return {
      label: value,
      granularity: 'QUARTER',
      isRange: false,
      start: `${year}-${pad(first)}-01`,
      end: lastDay(year, first + 2),
    };
  }
  match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (match) {
    const year = Number(match[1]);
    const month = Number(match[2]);
    return {
      label: value,
      granularity: 'MONTH',
      isRange: false,
      start: `${year}-${pad(month)}-01`,
      end: lastDay(year, month),
    };
  }
  match = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(value);
  if (match) {
    const [start, end] = [match[1] as string, match[2] as string];
    if (!calendarDay(start) || !calendarDay(end)) {
      throw graphQLError('BAD_USER_INPUT', '`period`: both ends of a range must be calendar days, YYYY-MM-DD');
    }
    const days = (Date.parse(end) - Date.parse(start)) / 86_400_000;
    if (days < 0) throw graphQLError('BAD_USER_INPUT', '`period`: a range must not end before it starts');
    if (days > MAX_REPORT_RANGE_DAYS) {
      throw graphQLError('BAD_USER_INPUT', `\`period\`: a range may span at most ${MAX_REPORT_RANGE_DAYS} days`);
    }
    return { label: `${start}..${end}`, granularity: 'MONTH', isRange: true, start, end };
  }
  throw graphQLError(
    'BAD_USER_INPUT',
    '`period` must be a year (2012), a quarter (2012-Q1), a month (2012-03) or a range (2012-01-01..2012-03-31)',
  );
}
