import { apiClients, auditEvents, users } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { authenticate, loadTokenSecret, login } from '@sixtype/graphql';
import { and, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-commands.ts';
import { loadEnv } from './env.ts';

let database: TestDatabase;
let secret: string;

beforeAll(async () => {
  database = await openTestDatabase();
  secret = await loadTokenSecret(database.db);
});
afterAll(async () => {
  await database?.close();
});

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
  opened: boolean;
}

/** Runs the CLI in this process against the test database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
async function cli(argv: string[], stdin = ''): Promise<Run> {
  const run: Run = { code: -1, stdout: [], stderr: [], opened: false };
  run.code = await runCli(argv, {
    env: loadEnv({ LOG_LEVEL: 'warn' }),
    actor: { kind: 'SYSTEM', id: 'cli:test' },
    io: {
      stdout: (line) => run.stdout.push(...line.split('\n')),
      stderr: (line) => run.stderr.push(...line.split('\n')),
      readSecret: async () => stdin.split('\n')[0] ?? '',
    },
    open: async () => {
      run.opened = true;
      // The test owns the database; the command's close must not end it.
      return { ...database, close: async () => {} };
    },
  });
  return run;
}

const count = async (table: typeof users | typeof apiClients | typeof auditEvents) => {
  const [row] = await database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(table);
  return row?.n ?? 0;
};

const lastLine = (run: Run) => run.stdout.at(-1) ?? '';

const keyWorks = async (key: string) =>
  authenticate(database.db, secret, { apiKey: key }).then(
    (viewer) => viewer.kind === 'API_CLIENT',
    () => false,
  );

describe('help', () => {
  it('lists the commands, and each command explains its options', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    const text = help.stdout.join('\n');
    for (const command of [
      'migrate',
      'seed-demo',
      'create-admin',
      'create-api-key',
      'rotate-api-key',
      'revoke-api-key',
    ]) {
      expect(text).toContain(command);
    }
    const perCommand = await cli(['create-api-key', '--help']);
    expect(perCommand).toMatchObject({ code: 0, opened: false });
    expect(perCommand.stdout.join('\n')).toContain('--scopes');
    expect(perCommand.stdout.join('\n')).toContain('metrics:write');
  });

  it('refuses an unknown command or option with exit code 2, on stderr, without opening the database', async () => {
    const unknownCommand = await cli(['make-coffee']);
    expect(unknownCommand).toMatchObject({ code: 2, stdout: [], opened: false });
    expect(unknownCommand.stderr[0]).toBe('Unknown command: make-coffee');

    const unknownOption = await cli(['create-admin', '--username', 'x', '--pasword', 'y']);
    expect(unknownOption).toMatchObject({ code: 2, opened: false });
    expect(unknownOption.stderr[0]).toContain("Unknown option '--pasword'");
  });
});

describe('create-admin', () => {
  it('creates an ADMIN who can sign in, and records it in the audit log', async () => {
    const run = await cli(['create-admin', '--username', 'ops.admin', '--password', 'correct horse battery']);
    expect(run.code).toBe(0);
    expect(run.stdout.join('\n')).toContain('Created admin ops.admin');
    expect(run.stderr.join('\n')).toContain('--password-stdin');

    const [user] = await database.db.select().from(users).where(eq(users.username, 'ops.admin'));
    expect(user?.role).toBe('ADMIN');
    const issued = await login(database.db, secret, { username: 'ops.admin', password: 'correct horse battery' });
    expect(await authenticate(database.db, secret, { authorization: `Bearer ${issued.token}` })).toMatchObject({
      kind: 'USER',
      role: 'ADMIN',
    });
    const [audit] = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.operation, 'createUser'))
      .orderBy(desc(auditEvents.id))
      .limit(1);
    expect(audit).toMatchObject({ actorKind: 'SYSTEM', actorId: 'cli:test', entityId: String(user?.id) });
  });

  it('reads the password from standard input with --password-stdin', async () => {
    const run = await cli(['create-admin', '--username', 'ops.stdin', '--password-stdin'], 'from stdin 12345\n');
    expect(run.code).toBe(0);
    expect(run.stderr).toEqual([]);
    await expect(
      login(database.db, secret, { username: 'ops.stdin', password: 'from stdin 12345' }),
    ).resolves.toHaveProperty('token');
  });

  it('fails with exit code 1 and a message on stderr for a taken username or a bad password, writing nothing', async () => {
    const before = { users: await count(users), audit: await count(auditEvents) };
    const taken = await cli(['create-admin', '--username', 'OPS.ADMIN', '--password', 'another long password']);
    expect(taken).toMatchObject({ code: 1, stdout: [] });
    expect(taken.stderr.join('\n')).toContain('username OPS.ADMIN is already taken');

    const weak = await cli(['create-admin', '--username', 'ops.weak', '--password', 'short']);
    expect(weak.code).toBe(1);
    expect(weak.stderr.join('\n')).toContain('--password: must be at least 10 characters');
    expect({ users: await count(users), audit: await count(auditEvents) }).toEqual(before);
  });

  it('needs exactly one of --password and --password-stdin', async () => {
    for (const argv of [
      ['create-admin', '--username', 'x.y.z'],
      ['create-admin', '--username', 'x.y.z', '--password', 'abcdefghijk', '--password-stdin'],
    ]) {
      const run = await cli(argv);
      expect(run).toMatchObject({ code: 2, opened: false });
      expect(run.stderr[0]).toContain('give either --password PW or --password-stdin');
    }
  });
});

describe('API keys', () => {
  let key: string;
  let clientId: string;

  it('create-api-key prints the key as the last line; the key carries the scopes and unit', async () => {
    const run = await cli([
      'create-api-key',
      '--name',
      'statistics bureau',
      '--scopes',
      'metrics:read, metrics:write',
      '--org',
      'PETITION_OFFICE',
    ]);
    expect(run.code).toBe(0);
    key = lastLine(run);
    expect(key).toMatch(/^sxk_/);
    clientId = /API client (\d+)/.exec(run.stdout.join('\n'))?.[1] ?? '';
    const viewer = await authenticate(database.db, secret, { authorization: `ApiKey ${key}` });
    expect(viewer).toMatchObject({
      kind: 'API_CLIENT',
      name: 'statistics bureau',
      scopes: ['metrics:read', 'metrics:write'],
    });
    expect(viewer.kind === 'API_CLIENT' && viewer.organizationPath).toMatch(/PETITION_OFFICE$/);
    const [row] = await database.db
      .select()
      .from(apiClients)
      .where(eq(apiClients.id, Number(clientId)));
    expect(row?.keyHash).not.toContain(key);
  });

  it('refuses an unknown scope (exit 2, before opening the database) and an unknown unit (exit 1)', async () => {
    const before = { clients: await count(apiClients), audit: await count(auditEvents) };
    const scope = await cli(['create-api-key', '--name', 'x', '--scopes', 'metrics:read,metrics:delete']);
    expect(scope).toMatchObject({ code: 2, stdout: [], opened: false });
    expect(scope.stderr[0]).toBe(
      'create-api-key: unknown scope metrics:delete; the scopes are: directory:read, directory:write, directory:personal, metrics:read, metrics:write',
    );

    const unit = await cli(['create-api-key', '--name', 'x', '--scopes', 'metrics:read', '--org', 'NOPE']);
    expect(unit).toMatchObject({ code: 1, stdout: [] });
    expect(unit.stderr.join('\n')).toContain('Organization NOPE does not exist');
    expect({ clients: await count(apiClients), audit: await count(auditEvents) }).toEqual(before);
  });

  it('rotate-api-key prints a new key last; the old key stops working', async () => {
    const run = await cli(['rotate-api-key', '--name', 'statistics bureau']);
    expect(run.code).toBe(0);
    const newKey = lastLine(run);
    expect(newKey).toMatch(/^sxk_/);
    expect(newKey).not.toBe(key);
    expect(await keyWorks(key)).toBe(false);
    expect(await keyWorks(newKey)).toBe(true);
    key = newKey;
  });

  it('revoke-api-key --id stops the key; --id and --name together, or an unknown client, fail', async () => {
    const both = await cli(['revoke-api-key', '--id', clientId, '--name', 'statistics bureau']);
    expect(both).toMatchObject({ code: 2, opened: false });
    const unknown = await cli(['revoke-api-key', '--id', '999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.join('\n')).toContain('ApiClient 999999 does not exist');

    const run = await cli(['revoke-api-key', '--id', clientId]);
    expect(run.code).toBe(0);
    expect(run.stdout.join('\n')).toContain(`Revoked API client ${clientId}`);
    expect(await keyWorks(key)).toBe(false);
    const operations = await database.db
      .select({ operation: auditEvents.operation })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, 'ApiClient'), eq(auditEvents.entityId, clientId)))
      .orderBy(auditEvents.id);
    expect(operations.map((row) => row.operation)).toEqual([
      'createApiClient',
      'rotateApiClientKey',
      'revokeApiClient',
    ]);
  });
});
