import type { z } from 'zod';
import { ValidationError } from '../../errors.ts';

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
