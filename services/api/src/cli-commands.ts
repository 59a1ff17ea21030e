import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type AuditActor, type DatabaseHandle, loadDemoData } from '@sixtype/db';
import { apiScopes, createApiClient, createUser, revokeApiClient, rotateApiClientKey } from '@sixtype/graphql';
import { pino } from 'pino';
import { openDatabase } from './bootstrap.ts';
import { backupCommand, exportComplianceCommand } from './cli-operations.ts';
import { reportCommand } from './cli-report.ts';
import { webhookCommands } from './cli-webhooks.ts';
import type { Env } from './env.ts';
import { importMetricsCsv, importMetricsCsvBulk } from './import-metrics.ts';
import type { Logger } from './logger.ts';

/** Where the CLI writes: results on stdout (a key always as the last line), everything else on stderr. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Writes text to stdout as it is (a CSV export); `stdout` line by line when absent. */
  write?(text: string): void;
  /** Reads one line of a secret (the password) from standard input. */
  readSecret(prompt: string): Promise<string>;
}

export interface CliOptions {
  env: Env;
  io: CliIo;
  /** Who the audit rows name. */
  actor: AuditActor;
  /** Opens the configured database; tests hand in their own. */
  open?: (env: Env, logger: Logger) => Promise<DatabaseHandle>;
  /** The folder relative file names are read from and written to (default: the process's). */
  cwd?: string;
  /** Shows progress bars on this stream (the CLI passes stderr when it is a terminal). */
  progress?: NodeJS.WritableStream | undefined;
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  help: string;
  options: Options;
  /** Checks the arguments before any database is opened; returns a usage error or nothing. */
  check?(values: Values): string | undefined;
  run(values: Values, context: RunContext): Promise<void>;
}

export interface RunContext extends CliOptions {
  database: DatabaseHandle;
  /** Arguments that are not options (a file name). */
  positionals: string[];
}

/** A mistake in the command line: exit code 2 and the command's help. */
class UsageError extends Error {}

const helpOption: Options = { help: { type: 'boolean', short: 'h' } };
const clientOptions: Options = { id: { type: 'string' }, name: { type: 'string' } };

const keyAdvice =
  'Store it now: it is shown only this once. Send it as "Authorization: ApiKey <key>" or "x-api-key: <key>".';

function clientRef(values: Values): string {
  return (values.id ?? values.name) as string;
}

function checkClientRef(values: Values): string | undefined {
  if ((values.id === undefined) === (values.name === undefined)) return 'give either --id ID or --name NAME';
  if (values.id !== undefined && !/^\d+$/.test(values.id as string)) return '--id must be a number';
  return undefined;
}

function describeScope(client: { scopes: string[]; organizationId: number | null }, orgCode?: string) {
  const unit = client.organizationId === null ? 'the whole zone' : `unit ${orgCode ?? client.organizationId}`;
  return `scopes ${client.scopes.join(', ')}; ${unit}`;
}

const commands: Record<string, Command> = {
  'import-metrics': {
    summary: 'import observations from a CSV file (idempotent: importing a file again writes nothing)',
    help: `Usage: npm run cli -- import-metrics FILE [--key KEY] [--batch-size N | --bulk]

Imports metric observations from a CSV file with the header
  metricCode,orgCode,periodStart,granularity,value,source
with the rules of submitMetricObservations: valid rows are written as new revisions, invalid rows
are listed by the line on which they start. Rows go in batches of --batch-size (default 1000, at
most 10000), each idempotent under a key naming its rows, KEY:<first>-<last> (KEY defaults to a
hash of the file). Rows an earlier run under KEY sent are not sent again, so a file imported twice,
or an import interrupted and run again, writes every row exactly once, whatever the batch sizes.
Cells are taken as written (no trimming). Exits 1 when a row was refused.

--bulk streams the file through the bulk path instead (as POST /metrics/observations/bulk): all
or nothing in one transaction under KEY (default: a hash of the file), refused rows listed by their
number among the file's rows; for backfills of any size.`,
    options: { key: { type: 'string' }, 'batch-size': { type: 'string' }, bulk: { type: 'boolean' } },
    check(values) {
      const size = values['batch-size'];
      if (size !== undefined && !/^[1-9]\d*$/.test(size as string))
        return '--batch-size must be a positive whole number';
      return undefined;
    },
    async run(values, { database, io, actor, positionals, cwd, progress }) {
      const [name] = positionals;
      if (!name) throw new UsageError('name the CSV file to import');
      if (values.bulk) {
        const bulk = await importMetricsCsvBulk({
          db: database.db,
          actor,
          file: resolve(cwd ?? '.', name),
          key: values.key as string | undefined,
        });
        for (const error of bulk.errors) io.stderr(`row ${error.row}: ${error.field}: ${error.message}`);
        io.stdout(
          bulk.rejected > 0
            ? `${bulk.rejected} rows refused, nothing written`
            : `${bulk.accepted} rows accepted${bulk.replayed ? ' (imported before; nothing new written)' : ''}`,
        );
        if (bulk.rejected > 0) throw new Error(`${bulk.rejected} rows were refused; see the rows above`);
        return;
      }
      const summary = await importMetricsCsv({
        db: database.db,
        actor,
        file: resolve(cwd ?? '.', name),
        key: values.key as string | undefined,
        batchSize: values['batch-size'] ? Number(values['batch-size']) : undefined,
        progress,
      });
      for (const error of summary.errors) io.stderr(`line ${error.line}: ${error.field}: ${error.message}`);
      io.stdout(
        `${summary.rows} rows: ${summary.accepted} accepted, ${summary.rejected} refused` +
          (summary.replayedBatches > 0
            ? ` (${summary.replayedBatches} batches had been imported before; nothing new written for them)`
            : ''),
      );
      if (summary.rejected > 0) throw new Error(`${summary.rejected} rows were refused; see the lines above`);
    },
  },
  migrate: {
    summary: 'apply the database migrations (a new embedded database also gets the demo data)',
    help: `Usage: npm run cli -- migrate

Applies the committed migrations to the configured database. A new embedded database (DATA_DIR)
also gets the demo data, as on the server's first start.`,
    options: {},
    async run(_values, { io }) {
      io.stdout('migrations applied');
    },
  },
  'seed-demo': {
    summary: 'load the demo data into the configured database (once)',
    help: `Usage: npm run cli -- seed-demo

Loads the demo data (the document's units, demo units and cadres) into the configured database.
A second run, or a database that already has units, changes nothing.`,
    options: {},
    async run(_values, { io, database }) {
      const loaded = await loadDemoData(database.db);
      io.stdout(
        loaded ? 'demo data loaded' : 'demo data was already loaded (or the database has units); nothing changed',
      );
    },
  },
  'create-admin': {
    summary: 'create an ADMIN account',
    help: `Usage: npm run cli -- create-admin --username NAME (--password PW | --password-stdin)

Creates an ADMIN account. Sign in with the login mutation, then send Authorization: Bearer <token>.

Options:
  --username NAME    3 to 64 letters, digits or _ . @ -
  --password PW      at least 10 characters (visible in the process list and shell history)
  --password-stdin   read the password from standard input (its first line); on a terminal it is
                     asked for without echo
  -h, --help         show this text`,
    options: { username: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
    check(values) {
      if (values.username === undefined) return 'give --username NAME';
      if ((values.password === undefined) === !values['password-stdin']) {
        return 'give either --password PW or --password-stdin';
      }
      return undefined;
    },
    async run(values, { io, database, actor }) {
      let password = values.password as string | undefined;
      if (password === undefined) password = await io.readSecret('Password for the new admin: ');
      else io.stderr('note: --password is visible in the process list and shell history; --password-stdin is not');
      const user = await createUser(database.db, actor, {
        username: values.username as string,
        password,
        role: 'ADMIN',
      });
      io.stdout(`Created admin ${user.username} (user ${user.id}). Sign in with the login mutation.`);
    },
  },
  'create-api-key': {
    summary: 'create an API client and print its key (last line)',
    help: `Usage: npm run cli -- create-api-key --name NAME --scopes SCOPE[,SCOPE...] [--org CODE]

Creates an API client for another system and prints its key as the last line of the output. The
key is shown only this once; only its hash is stored.

Options:
  --name NAME      the calling system's name
  --scopes LIST    comma-separated, from: ${apiScopes.join(', ')}
  --org CODE       restrict the client to this unit and the units below it (default: the whole zone)
  -h, --help       show this text`,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, org: { type: 'string' } },
    check(values) {
      if (values.name === undefined) return 'give --name NAME';
      if (values.scopes === undefined) return `give --scopes, from: ${apiScopes.join(', ')}`;
      const unknown = splitScopes(values.scopes as string).filter(
        (scope) => !(apiScopes as readonly string[]).includes(scope),
      );
      if (unknown.length > 0) {
        return `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the scopes are: ${apiScopes.join(', ')}`;
      }
      return undefined;
    },
    async run(values, { io, database, actor }) {
      const { client, key } = await createApiClient(database.db, actor, {
        name: values.name as string,
        scopes: splitScopes(values.scopes as string) as (typeof apiScopes)[number][],
        organizationCode: values.org as string | undefined,
      });
      io.stdout(
        `Created API client ${client.id} "${client.name}" (${describeScope(client, values.org as string | undefined)}).`,
      );
      io.stdout(`Its key follows. ${keyAdvice}`);
      io.stdout(key);
    },
  },
  'rotate-api-key': {
    summary: 'give an API client a new key (the old one stops working) and print it (last line)',
    help: `Usage: npm run cli -- rotate-api-key (--id ID | --name NAME)

Gives an API client a new key and prints it as the last line; the old key stops working at once.

Options:
  --id ID        the client's number (printed by create-api-key)
  --name NAME    the client's name, when exactly one active client has it
  -h, --help     show this text`,
    options: clientOptions,
    check: checkClientRef,
    async run(values, { io, database, actor }) {
      const { client, key } = await rotateApiClientKey(database.db, actor, clientRef(values));
      io.stdout(`API client ${client.id} "${client.name}" has a new key; the old one no longer works.`);
      io.stdout(`Its key follows. ${keyAdvice}`);
      io.stdout(key);
    },
  },
  'revoke-api-key': {
    summary: 'revoke an API client: its key stops working',
    help: `Usage: npm run cli -- revoke-api-key (--id ID | --name NAME)

Revokes an API client; requests with its key are refused from now on. Revoking twice is harmless.

Options:
  --id ID        the client's number (printed by create-api-key)
  --name NAME    the client's name, when exactly one active client has it
  -h, --help     show this text`,
    options: clientOptions,
    check: checkClientRef,
    async run(values, { io, database, actor }) {
      const client = await revokeApiClient(database.db, actor, clientRef(values));
      io.stdout(`Revoked API client ${client.id} "${client.name}"; its key no longer works.`);
    },
  },
};

commands['export-compliance'] = exportComplianceCommand;
commands.backup = backupCommand;
commands.report = reportCommand;
Object.assign(commands, webhookCommands);

function splitScopes(list: string): string[] {
  return list
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');
}

// Two spaces past the longest command name, so no name runs into its summary.
const commandColumn = Math.max(...Object.keys(commands).map((name) => name.length)) + 2;

const usage = `Usage: npm run cli -- <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(commandColumn)}${command.summary}`)
  .join('\n')}
  ${'help'.padEnd(commandColumn)}show this text

Run "npm run cli -- <command> --help" for a command's options. The database is DATABASE_URL when
set, otherwise the embedded one in DATA_DIR (default .data/), which must not be open in a running
API server at the same time.`;

/** Where a service's field path (input.organizationCode) came from on the command line. */
const flagOfField: Record<string, string> = {
  username: '--username',
  password: '--password',
  name: '--name',
  scopes: '--scopes',
  organizationCode: '--org',
  client: '--id/--name',
  url: '--url',
  eventTypes: '--events',
  description: '--description',
};

/** Expected failures from the services (ValidationError, NotFoundError, ConflictError) as CLI text. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fieldErrors = (error as { fieldErrors?: { path: string[]; message: string }[] }).fieldErrors;
  if (Array.isArray(fieldErrors)) {
    return fieldErrors
      .map(({ path, message }) => {
        const field = path.find((part) => part !== 'input' && !/^\d+$/.test(part)) ?? '';
        return `${flagOfField[field] ?? field}: ${message}`;
      })
      .join('\n');
  }
  return error.message;
}

/** A logger that writes plain lines on stderr, so stdout holds only the command's result. */
function createCliLogger(level: Env['LOG_LEVEL'], write: (line: string) => void): Logger {
  return pino(
    { level, base: undefined, timestamp: false },
    {
      write(line: string) {
        const { level: _level, msg, ...details } = JSON.parse(line) as Record<string, unknown>;
        const shown = Object.entries(details)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
        write(shown.length > 0 ? `${msg} (${shown.join(', ')})` : String(msg));
      },
    },
  );
}

/** Runs one CLI command; resolves to the exit code (0 done, 1 failed, 2 wrong usage). */
export async function runCli(argv: readonly string[], options: CliOptions): Promise<number> {
  const { io } = options;
  const [name = 'help', ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    io.stdout(usage);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`Unknown command: ${name}\n\n${usage}`);
    return 2;
  }
  let values: Values;
  let positionals: string[] = [];
  try {
    // No option is declared `multiple`, so every value is a string or a boolean.
    const parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, ...helpOption },
      strict: true,
      allowPositionals: name === 'import-metrics',
    });
    values = parsed.values as Values;
    positionals = parsed.positionals;
    if (values.help) {
      io.stdout(command.help);
      return 0;
    }
    const problem = command.check?.(values);
    if (problem) throw new UsageError(problem);
  } catch (error) {
    // parseArgs throws TypeErrors (ERR_PARSE_ARGS_*) for unknown options and missing values.
    if (!(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw error;
    io.stderr(`${name}: ${(error as Error).message}\n\n${command.help}`);
    return 2;
  }

  const logger = createCliLogger(options.env.LOG_LEVEL, io.stderr);
  // seed-demo reports whether it loaded anything, so opening must not load the data first.
  const env = name === 'seed-demo' ? { ...options.env, SEED_DEMO: false } : options.env;
  let database: DatabaseHandle;
  try {
    database = await (options.open ?? openDatabase)(env, logger);
  } catch (error) {
    io.stderr(`${name}: ${describeFailure(error)}`);
    return 1;
  }
  try {
    await command.run(values, { ...options, database, positionals });
    return 0;
  } catch (error) {
    io.stderr(`${name} failed: ${describeFailure(error)}`);
    return 1;
  } finally {
    await database.close();
  }
}
