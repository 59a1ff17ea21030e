import { CODE_PATTERN_MESSAGE, codePattern } from '@sixtype/db';
import { z } from 'zod';
import { graphQLError, ValidationError } from '../../errors.ts';

/**
 * Parses mutation input with a zod schema; failures become one ValidationError whose paths start
 * at the GraphQL argument (`input.name`), so a client can point at the offending field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, root = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [root, ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}

/** A mutation input as GraphQL hands it over: every optional field may also be an explicit null. */
export type Raw<T> = { [K in keyof T]: T[K] | null };

/** A natural key (campaign, unit, material codes): upper-case letters, digits and underscores. */
export const codeSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(codePattern, CODE_PATTERN_MESSAGE);

/**
 * The database id behind a global id argument (ids.ts `databaseIdOf`): an id of another type, or
 * one this API never gave out, arrives as -1 and is refused in words, naming what was expected.
 */
export const idOf = (typename: string) =>
  z.number().int().positive(`is not the id of a ${typename}: use the id field of a ${typename} this API returned`);

/** A query argument checked with a zod schema; a bad one is BAD_USER_INPUT naming the argument. */
export function checkedArg<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw graphQLError('BAD_USER_INPUT', `${name}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  return result.data;
}

// ---------------------------------------------------------------------------------------------
// The input grammar every module shares (README, "Input rules"). Written once here so that
// observations, targets, study hours and the scalars cannot drift apart.

/**
 * A finite decimal as text: optional minus, no leading zeros, at most 30 integer and 12 fraction
 * digits. No whitespace, no plus sign, no exponent, no NaN: `" 12"`, `"0012"`, `".5"` and `"1e3"`
 * are refused alike. PostgreSQL's numeric would accept most of them; other systems reading our
 * figures back get exactly the text that was stored.
 */
export const DECIMAL_PATTERN = /^-?(0|[1-9]\d{0,29})(\.\d{1,12})?$/;
export const DECIMAL_MESSAGE = 'must be a finite decimal such as "7430.5" (no spaces, no leading zeros)';

export const isDecimalText = (value: string): boolean => DECIMAL_PATTERN.test(value);

/** A Decimal input field as zod sees it; refinements (sign, fraction digits, bounds) go on top. */
export const decimalText = z.string().regex(DECIMAL_PATTERN, DECIMAL_MESSAGE);

/** Digits after the point of a text that passed the decimal grammar. */
export const fractionDigits = (value: string): number => value.split('.')[1]?.length ?? 0;

/** Significant digits a JSON number can carry exactly: any decimal of 15 digits survives a double. */
const EXACT_DIGITS = 15;

/**
 * The exact decimal text of a JSON number, or null when the number may not be what the sender
 * wrote: an integer beyond 2^53 - 1, or a fraction whose shortest form needs more than 15
 * significant digits (12345678901234567891 arrives as 12345678901234567000).
 */
export function decimalFromNumber(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  if (Number.isInteger(value)) return Number.isSafeInteger(value) ? String(value) : null;
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) return null;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits.length > EXACT_DIGITS) return null;
  const shift = Number(exponent);
  if (shift >= 0) return String(value);
  // Below 1e-6 the shortest form uses an exponent (1.5e-7): written out as 0.00000015.
  return `${sign}0.${'0'.repeat(-shift - 1)}${whole}${fraction}`;
}

export const FIRST_DAY = '0001-01-01';
export const LAST_DAY = '9999-12-31';
export const CALENDAR_DAY_MESSAGE = `must be a calendar day YYYY-MM-DD from ${FIRST_DAY} to ${LAST_DAY}`;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A real day of the (proleptic Gregorian) calendar in years 1 to 9999: 2012-02-30 is refused
 * rather than rolled into March, and 0000-01-01 rather than sent to PostgreSQL, which has no year 0.
 */
export function isCalendarDay(value: unknown): value is string {
  const match = typeof value === 'string' ? DAY_PATTERN.exec(value) : null;
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const length = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= length;
}

/** A calendar-day input field (a `Date` or a `String` holding one) as zod sees it. */
export const calendarDay = z.string().refine(isCalendarDay, CALENDAR_DAY_MESSAGE);

/** PostgreSQL refuses U+0000 in text, so no text input may carry it (checked by input-guard.ts). */
export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';
