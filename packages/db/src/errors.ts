/**
 * node-postgres and PGlite both raise errors carrying PostgreSQL's SQLSTATE in `code` and the
 * violated constraint in `constraint`/`constraint_name`; drizzle wraps them in `cause`.
 */
export interface PgErrorInfo {
  code: string;
  constraint: string | undefined;
  detail: string | undefined;
}

export function pgErrorOf(error: unknown): PgErrorInfo | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const candidate = current as {
      code?: unknown;
      constraint?: unknown;
      constraint_name?: unknown;
      detail?: unknown;
      cause?: unknown;
    };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      const constraint = candidate.constraint ?? candidate.constraint_name;
      return {
        code: candidate.code,
        constraint: typeof constraint === 'string' ? constraint : undefined,
        detail: typeof candidate.detail === 'string' ? candidate.detail : undefined,
      };
    }
    current = candidate.cause;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => pgErrorOf(error)?.code === '23505';
export const isForeignKeyViolation = (error: unknown) => pgErrorOf(error)?.code === '23503';
export const isCheckViolation = (error: unknown) => pgErrorOf(error)?.code === '23514';
