/**
 * The API's custom scalars as they travel in JSON. The generated operation types use plain
 * `string` for them (so values pass straight through `JSON.parse`); these aliases name the formats
 * for your own signatures. None is parsed by the client: convert where you need to.
 */

/**
 * An exact decimal number as a string: `"15825"`, `"7430.5"`, `"0.4300"` (a fraction: 43 %).
 * Metric values, targets, completion rates and YoY growth use it. Do not add them as floats; use a
 * decimal library (or `BigInt` on scaled integers) when you compute with them.
 */
export type DecimalString = string;

/** A calendar day, `YYYY-MM-DD` (`"2012-03-31"`), with no time zone: period starts and ends. */
export type DateString = string;

/** An instant in ISO 8601, UTC: `"2012-03-31T16:00:00.000Z"`; `new Date(value)` parses it. */
export type DateTimeString = string;
