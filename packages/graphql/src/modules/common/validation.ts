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
  .regex(/^[A-Z][A-Z0-9_]*$/, 'must be upper-case letters, digits and underscores, starting with a letter');

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
