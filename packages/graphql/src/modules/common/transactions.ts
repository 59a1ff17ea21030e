import { type Database, type Executor, isCheckViolation, isUniqueViolation, pgErrorOf } from '@sixtype/db';
import { ConflictError, UserError, ValidationError } from '../../errors.ts';

/**
 * Runs a write in one transaction and turns the constraint violations PostgreSQL reports into the
 * typed errors a client can act on. Anything else propagates unchanged (and is masked by the API).
 */
export async function inTransaction<T>(
  db: Executor,
  work: (tx: Executor) => Promise<T>,
  options: {
    /** Failures the caller handles itself (it may run the transaction again): rethrown unchanged. */
    passThrough?: (error: unknown) => boolean;
  } = {},
): Promise<T> {
  try {
    return await (db as Database).transaction(work);
  } catch (error) {
    if (error instanceof UserError || options.passThrough?.(error)) throw error;
    const pg = pgErrorOf(error);
    if (pg && isUniqueViolation(error)) {
      const field = pg.constraint?.includes('employee_number') ? 'employeeNumber' : 'code';
      throw new ConflictError(`${field} is already taken`, field);
    }
    if (pg && isCheckViolation(error)) {
      throw ValidationError.of(['input'], `rejected by the database rule ${pg.constraint ?? 'check'}`);
    }
    throw error;
  }
}
