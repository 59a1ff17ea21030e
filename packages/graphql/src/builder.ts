import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin, { decodeGlobalID, encodeGlobalID, resolveNodes as resolveRelayNodes } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { type Relations, relations } from '@sixtype/db';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { GraphQLError, type GraphQLSchema, isObjectType, Kind } from 'graphql';
import { GraphQLDateTimeISO, GraphQLJSON } from 'graphql-scalars';
import {
  directorySubtree,
  type GraphQLContext,
  mayReadPersonalData,
  metricsSubtree,
  pathWithin,
  studyRowVisible,
  studyVisibility,
  viewerChecks,
  writableSubtree,
} from './context.ts';
import { graphQLError } from './errors.ts';
import { inputGuardPlugin } from './input-guard.ts';
import { CALENDAR_DAY_MESSAGE, decimalFromNumber, isCalendarDay } from './modules/common/validation.ts';

export const MAX_PAGE_SIZE = 100;

/**
 * The drizzle plugin's node loader rejects with "Model <table>(<id>) not found" for an id whose
 * row does not exist (or no longer does); Relay's `node` answers null for such an id.
 */
const isMissingRow = (error: unknown) => error instanceof Error && /^Model \w+\(.*\) not found$/.test(error.message);

/**
 * The typename given to an id this API never gave out (not base64 of `Type:id`). Decoding it does
 * not fail: a mutation then answers ValidationError naming its input field (`databaseIdOf` gives
 * -1, refused by `idOf`), and `node`/`nodes` say which argument held it.
 */
export const UNREADABLE_ID_TYPENAME = '__UnreadableId';

function decodeOrMarkUnreadable(globalID: string): { typename: string; id: string } {
  try {
    return decodeGlobalID(globalID);
  } catch {
    return { typename: UNREADABLE_ID_TYPENAME, id: globalID };
  }
}

/**
 * Refuses, naming the argument, an id that is not base64 of `Type:id` and one whose type has no ids
 * (`Nope:1`, `MetricSeries:1`): Relay's node loader would otherwise fail on the unknown type with
 * an internal error.
 */
function assertReadableIds(argument: string, ids: readonly { typename: string; id: unknown }[], schema: GraphQLSchema) {
  const unreadable = ids.find((id) => id.typename === UNREADABLE_ID_TYPENAME || !isNodeType(schema, id.typename));
  if (unreadable) {
    const text =
      unreadable.typename === UNREADABLE_ID_TYPENAME
        ? String(unreadable.id)
        : encodeGlobalID(unreadable.typename, String(unreadable.id));
    throw graphQLError(
      'BAD_USER_INPUT',
      `${argument}: "${text}" is not an id this API gave out (use the id field of an object it returned)`,
    );
  }
}

function isNodeType(schema: GraphQLSchema, typename: string): boolean {
  const type = schema.getType(typename);
  return isObjectType(type) && type.getInterfaces().some((face) => face.name === 'Node');
}

async function nullWhenMissing(load: unknown): Promise<unknown> {
  try {
    return await load;
  } catch (error) {
    if (isMissingRow(error)) return null;
    throw error;
  }
}
export const DEFAULT_PAGE_SIZE = 20;

export interface AuthScopes {
  /** Marks a field anyone may call (sign-in). Every root field declares some scope. */
  public: boolean;
  /** Any caller with a credential. */
  authenticated: boolean;
  /** An ADMIN account, or an in-process SYSTEM caller. */
  admin: boolean;
  /** May read the organization directory: the units, and the cadres of some subtree. */
  directoryRead: boolean;
  /** May change the directory in some subtree. */
  directoryWrite: boolean;
  /** The cadre at this ltree path is inside the subtree the viewer may read. */
  cadreVisible: string;
  /** May read this cadre's personal data (phone). */
  personalData: { id: number; organizationPath: string };
  /** May read the zone's figures (people: any role; API clients: metrics:read). */
  metricsRead: boolean;
  /** May submit figures (admins, managers for their subtree, API clients with metrics:write). */
  metricsWrite: boolean;
  /** May read some study records: everyone's (admins), a subtree's (managers) or one's own (cadres). */
  studyRead: boolean;
  /** May read this cadre's study records and compliance. */
  studyRecordVisible: { cadreId: number; organizationPath: string };
  /** A signed-in person (people have a notification feed; systems get webhooks). */
  person: boolean;
  /** The viewer is this user: only the recipient reads a notification. */
  recipient: number;
}

export interface PothosTypes {
  Context: GraphQLContext;
  DrizzleRelations: Relations;
  AuthScopes: AuthScopes;
  Scalars: {
    ID: { Input: string; Output: string | number };
    DateTime: { Input: string; Output: string | Date };
    Date: { Input: string; Output: string };
    Decimal: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}

// Annotated because the nodes resolver below refers back to the builder.
export const builder: PothosSchemaTypes.SchemaBuilder<PothosSchemaTypes.ExtendDefaultTypes<PothosTypes>> =
  new SchemaBuilder<PothosTypes>({
    // The input guard sits inside scope-auth: a caller without access is refused before input is judged.
    plugins: [ScopeAuthPlugin, inputGuardPlugin, ErrorsPlugin, ValidationPlugin, RelayPlugin, DrizzlePlugin],
    defaultFieldNullability: false,
    scopeAuth: {
      // Scopes are computed once per request from the viewer the API put in the context.
      authScopes: ({ viewer }) => ({
        public: true,
        authenticated: viewer.kind !== 'ANONYMOUS',
        admin: viewerChecks.isAdmin(viewer),
        directoryRead: directorySubtree(viewer) !== undefined,
        directoryWrite: writableSubtree(viewer) !== undefined,
        cadreVisible: (path) => pathWithin(path, directorySubtree(viewer)),
        personalData: (cadre) => mayReadPersonalData(viewer, cadre),
        metricsRead: metricsSubtree(viewer, 'read') !== undefined,
        metricsWrite: metricsSubtree(viewer, 'write') !== undefined,
        studyRead: studyVisibility(viewer).kind !== 'NONE',
        studyRecordVisible: (cadre) => studyRowVisible(studyVisibility(viewer), cadre),
        person: viewer.kind === 'USER',
        recipient: (userId) => viewer.kind === 'USER' && viewer.userId === userId,
      }),
      unauthorizedError: (_parent, context) =>
        context.viewer.kind === 'ANONYMOUS'
          ? graphQLError('UNAUTHENTICATED', 'Sign in or send an API key to use this field')
          : graphQLError('FORBIDDEN', 'Not allowed'),
    },
    validation: {
      validationError: (result) =>
        new GraphQLError(result.issues.map((issue) => issue.message).join('; '), {
          extensions: {
            code: 'BAD_USER_INPUT',
            issues: result.issues.map((issue) => ({
              message: issue.message,
              path: issue.path?.map((part) => String(typeof part === 'object' ? part.key : part)) ?? [],
            })),
          },
        }),
    },
    relay: {
      nodesOnConnection: true,
      clientMutationId: 'omit',
      cursorType: 'String',
      decodeGlobalID: decodeOrMarkUnreadable,
      // Relay: an id of no row answers null, not an error.
      nodeQueryOptions: {
        authScopes: { directoryRead: true },
        resolve: (_root, args, _context, info, resolveNode) => {
          assertReadableIds('id', [args.id], info.schema);
          return nullWhenMissing(resolveNode(args.id));
        },
      },
      nodesQueryOptions: {
        authScopes: { directoryRead: true },
        // One batched load per type. A missing row fails the whole batch, so only then does each id
        // load on its own, and the ids that exist still answer.
        resolve: async (_root, args, context, info, resolveNodes): Promise<readonly unknown[]> => {
          assertReadableIds('ids', args.ids, info.schema);
          try {
            return await resolveNodes(args.ids);
          } catch (error) {
            if (!isMissingRow(error)) throw error;
            return Promise.all(
              args.ids.map((id) =>
                nullWhenMissing(resolveRelayNodes(builder, context, info, [id]).then(([node]) => node)),
              ),
            );
          }
        },
      },
    },
    drizzle: {
      client: (context) => context.db,
      // The relations include a view (organization_ancestry); the plugin only reads keys of tables.
      getTableConfig: (table) => getTableConfig(table as PgTable),
      relations,
      defaultConnectionSize: DEFAULT_PAGE_SIZE,
      maxConnectionSize: MAX_PAGE_SIZE,
    },
  });

const isoDateTime = (value: string | Date) => (value instanceof Date ? value : new Date(value)).toISOString();

const DATE_TIME_MESSAGE = 'DateTime must be an ISO 8601 instant in the years 0001 to 9999';

/**
 * graphql-scalars' DateTimeISO reads the RFC 3339 text (a date, `T`, a time, `Z` or an offset,
 * nothing looser); ours keeps it in the years PostgreSQL can store (no year 0, and a year past 9999
 * takes a sign in ISO text it cannot read) and hands the resolvers the UTC ISO string.
 */
function parseDateTime(value: unknown): string {
  let instant: Date;
  try {
    instant = GraphQLDateTimeISO.parseValue(value) as Date;
  } catch {
    throw graphQLError('BAD_USER_INPUT', DATE_TIME_MESSAGE);
  }
  const year = instant.getUTCFullYear();
  if (!(year >= 1 && year <= 9999)) throw graphQLError('BAD_USER_INPUT', DATE_TIME_MESSAGE);
  return instant.toISOString();
}

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 string in UTC (2012-03-31T16:00:00.000Z), in the years 0001 to 9999.',
  // The database's timestamps arrive as Date objects or as PostgreSQL's text; both leave as ISO.
  serialize: (value) => isoDateTime(value),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : null),
});

/**
 * Accepts only real calendar days from 0001-01-01 to 9999-12-31 (see isCalendarDay). Ours, not
 * graphql-scalars' LocalDate: the text fields that hold a day (`periodStart`) follow the same rule,
 * isCalendarDay, and LocalDate takes the year 0000, which PostgreSQL has not. Every row of a batch
 * or bulk upload passes the check twice, and LocalDate with the year-0000 guard took 0.75 µs a call
 * against isCalendarDay's 0.11 µs (Node 20, a million days), 5% of a 1,000-row batch's CPU.
 */
export function parseCalendarDate(value: unknown): string {
  if (isCalendarDay(value)) return value;
  throw graphQLError('BAD_USER_INPUT', `Date ${CALENDAR_DAY_MESSAGE}`);
}

builder.scalarType('Date', {
  description: 'A calendar day, YYYY-MM-DD, from 0001-01-01 to 9999-12-31.',
  serialize: (value) => String(value).slice(0, 10),
  parseValue: parseCalendarDate,
  parseLiteral: (ast) => parseCalendarDate(ast.kind === Kind.STRING ? ast.value : null),
});

const DECIMAL_TYPE_MESSAGE = 'Decimal must be a string such as "7430.5"';

/**
 * Exact decimals travel as strings ("7430", "0.4300"), never as floats. A JSON number is taken
 * only when it is exactly what the sender wrote (decimalFromNumber); an INT or FLOAT literal in
 * the query keeps its digits as written, since the query text is exact. Whether the text follows
 * the decimal grammar is checked where it is used, so a batch reports a bad value by its row.
 * Ours: graphql-scalars has no exact decimal (its numeric scalars are JavaScript numbers).
 */
builder.scalarType('Decimal', {
  description:
    'An exact decimal number written as a string, e.g. "15825" or "0.4300". A JSON number is accepted only when it converts exactly (a safe integer, or at most 15 significant digits).',
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (typeof value === 'string') return value;
    if (typeof value !== 'number') throw graphQLError('BAD_USER_INPUT', DECIMAL_TYPE_MESSAGE);
    const exact = decimalFromNumber(value);
    if (exact === null) {
      throw graphQLError(
        'BAD_USER_INPUT',
        `Decimal ${value} does not convert exactly from a JSON number: send decimals as strings, e.g. "12345678901234567891"`,
      );
    }
    return exact;
  },
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return ast.value;
    throw graphQLError('BAD_USER_INPUT', DECIMAL_TYPE_MESSAGE);
  },
});

// Any JSON value, literal or variable, as graphql-scalars reads and writes it.
builder.addScalarType('JSON', GraphQLJSON);

builder.queryType({});
builder.mutationType({});
