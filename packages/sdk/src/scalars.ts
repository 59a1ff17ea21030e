/**
 * The API's custom scalars as they travel in JSON: strings, typed by their shape (template-literal
 * types, the same the generated operation types use through codegen.ts), so a calendar day cannot
 * be passed where a decimal belongs and a literal like "2012-03-31" still fits. A `string` from
 * elsewhere must be checked (or asserted) first. None is parsed by the client: convert where you
 * need to.
 */

/**
 * An exact decimal number as a string: `"15825"`, `"7430.5"`, `"0.4300"` (a fraction: 43 %).
 * Metric values, targets, completion rates and YoY growth use it. Do not add them as floats; use a
 * decimal library (or `BigInt` on scaled integers) when you compute with them.
 */
export type DecimalString = `${number}`;

/** A calendar day, `YYYY-MM-DD` (`"2012-03-31"`), with no time zone: period starts and ends. */
export type DateString = `${number}-${number}-${number}`;

/** An instant in ISO 8601, UTC: `"2012-03-31T16:00:00.000Z"`; `new Date(value)` parses it. */
export type DateTimeString = `${number}-${number}-${number}T${string}`;

/**
 * A global id (for `node(id)` and the `…Id` arguments): an opaque string, branded so that a day, a
 * decimal or any other string cannot go where an id belongs. Ids the API returned are already of this
 * type and go back into variables as they are; one from elsewhere (a URL, a stored row) goes through
 * {@link asId}. The brand exists only for the compiler: at run time an id is the plain string.
 */
export type Id = string & { readonly __sixtype: 'ID' };

/** Marks a string from elsewhere (a URL, a database row, a log) as a global id; it checks nothing. */
export function asId(value: string): Id {
  return value as Id;
}
