import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClients, auditEvents, cadres, createDb, users, webhookEndpoints } from '@sixtype/db';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { authenticate, loadTokenSecret, login } from '@sixtype/graphql';
import { and, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-commands.ts';
import { loadEnv } from './env.ts';

let database: TestDatabase;
let secret: string;
/** Where the tests' files go (the CLI's working folder). */
let folder: string;

beforeAll(async () => {
  database = await openTestDatabase();
  secret = await loadTokenSecret(database.db);
  folder = mkdtempSync(join(tmpdir(), 'sixtype-cli-'));
});
afterAll(async () => {
  await database?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
  /** What the command wrote to stdout as raw text (an export). */
  written: string;
  opened: boolean;
}

/** Runs the CLI in this process against the test database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
async function cli(argv: string[], stdin = ''): Promise<Run> {
  const run: Run = { code: -1, stdout: [], stderr: [], written: '', opened: false };
  run.code = await runCli(argv, {
    env: loadEnv({ LOG_LEVEL: 'warn', DATABASE_URL: database.url }),
    cwd: folder,
    actor: { kind: 'SYSTEM', id: 'cli:test' },
    io: {
      stdout: (line) => run.stdout.push(...line.split('\n')),
      stderr: (line) => run.stderr.push(...line.split('\n')),
      write: (text) => {
        run.written += text;
      },
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

const count = async (
  table: typeof users | typeof apiClients | typeof auditEvents | typeof cadres | typeof webhookEndpoints,
) => {
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
      'import-metrics',
      'export-compliance',
      'backup',
    ]) {
      // Each name stands apart from its summary (export-compliance once ran into "write").
      expect(text).toMatch(new RegExp(`^  ${command}  +\\S`, 'm'));
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
    expect((await cli(['create-admin', '--username', 'ops.taken', '--password', 'correct horse battery'])).code).toBe(
      0,
    );
    const before = { users: await count(users), audit: await count(auditEvents) };
    const taken = await cli(['create-admin', '--username', 'OPS.TAKEN', '--password', 'another long password']);
    expect(taken).toMatchObject({ code: 1, stdout: [] });
    expect(taken.stderr.join('\n')).toContain('username OPS.TAKEN is already taken');

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
  // This file's tests share its database (the CLI commits): each test makes its own client, by name.
  const createKey = async (name: string) => {
    const run = await cli(['create-api-key', '--name', name, '--scopes', 'metrics:read']);
    expect(run.code).toBe(0);
    return { key: lastLine(run), clientId: /API client (\d+)/.exec(run.stdout.join('\n'))?.[1] ?? '' };
  };

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
    const key = lastLine(run);
    expect(key).toMatch(/^sxk_/);
    const clientId = /API client (\d+)/.exec(run.stdout.join('\n'))?.[1] ?? '';
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
    const { key } = await createKey('rotation bureau');
    const run = await cli(['rotate-api-key', '--name', 'rotation bureau']);
    expect(run.code).toBe(0);
    const newKey = lastLine(run);
    expect(newKey).toMatch(/^sxk_/);
    expect(newKey).not.toBe(key);
    expect(await keyWorks(key)).toBe(false);
    expect(await keyWorks(newKey)).toBe(true);
  });

  it('revoke-api-key --id stops the key; --id and --name together, or an unknown client, fail', async () => {
    const { clientId } = await createKey('revocation bureau');
    const rotated = await cli(['rotate-api-key', '--name', 'revocation bureau']);
    expect(rotated.code).toBe(0);
    const key = lastLine(rotated);
    const both = await cli(['revoke-api-key', '--id', clientId, '--name', 'revocation bureau']);
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

describe('webhook commands', () => {
  /** A new endpoint for the petition office; its id, its secret and what the command printed. */
  const createWebhook = async () => {
    const run = await cli([
      'create-webhook',
      '--url',
      'https://oa.example.gov/hooks',
      '--events',
      'reminder_created,PROBLEM_TRANSITIONED',
      '--org',
      'PETITION_OFFICE',
    ]);
    expect(run.code).toBe(0);
    return { run, secret: lastLine(run), id: /webhook (\d+)/.exec(run.stdout[0] ?? '')?.[1] ?? '' };
  };

  it('create-webhook prints the secret last, once; it is stored encrypted', async () => {
    const { run, secret, id } = await createWebhook();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(run.stdout[0]).toBe(
      `Created webhook ${id} https://oa.example.gov/hooks (REMINDER_CREATED, PROBLEM_TRANSITIONED; unit PETITION_OFFICE).`,
    );
    const [row] = await database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, Number(id)));
    expect(row?.secretCiphertext).not.toContain(secret.slice(6));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it('refuses an unknown event type (exit 2, nothing opened) and a private address (exit 1, nothing written)', async () => {
    const before = { endpoints: await count(webhookEndpoints), audit: await count(auditEvents) };
    const events = await cli(['create-webhook', '--url', 'https://oa.example.gov/x', '--events', 'REMINDER_DELETED']);
    expect(events).toMatchObject({ code: 2, opened: false });
    expect(events.stderr[0]).toContain('unknown event type REMINDER_DELETED');
    const local = await cli(['create-webhook', '--url', 'https://192.168.1.10/x', '--events', 'REMINDER_CREATED']);
    expect(local.code).toBe(1);
    expect(local.stderr.join('\n')).toContain('--url: 192.168.1.10 is a private, loopback or link-local address');
    expect({ endpoints: await count(webhookEndpoints), audit: await count(auditEvents) }).toEqual(before);
  });

  it('update-webhook, rotate-webhook-secret and delete-webhook, each with its audit row', async () => {
    const { id, secret } = await createWebhook();
    const update = await cli(['update-webhook', '--id', id, '--whole-zone', '--inactive']);
    expect(update.stdout[0]).toBe(
      `Updated webhook ${id} https://oa.example.gov/hooks (REMINDER_CREATED, PROBLEM_TRANSITIONED; the whole zone; inactive).`,
    );
    const rotate = await cli(['rotate-webhook-secret', '--id', id]);
    expect(rotate.code).toBe(0);
    expect(lastLine(rotate)).toMatch(/^whsec_/);
    expect(lastLine(rotate)).not.toBe(secret);
    const gone = await cli(['delete-webhook', '--id', id]);
    expect(gone.code).toBe(0);
    expect(await cli(['delete-webhook', '--id', id])).toMatchObject({ code: 1 });
    const operations = await database.db
      .select({ operation: auditEvents.operation })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, 'WebhookEndpoint'), eq(auditEvents.entityId, id)))
      .orderBy(auditEvents.id);
    expect(operations.map((row) => row.operation)).toEqual([
      'createWebhookEndpoint',
      'updateWebhookEndpoint',
      'rotateWebhookSecret',
      'deleteWebhookEndpoint',
    ]);
  });
});

describe('export-compliance', () => {
  const demoCadres = () => count(cadres);

  it("writes the zone's compliance as CSV on stdout: the header, then one row per cadre", async () => {
    const run = await cli(['export-compliance', '--campaign', 'SIX_TYPE_2012', '--year', '2012', '--org', 'ZONE']);
    expect(run).toMatchObject({ code: 0, stderr: [] });
    // A UTF-8 byte order mark first, so Excel on Chinese Windows does not read the file as GBK.
    expect([...Buffer.from(run.written, 'utf8').subarray(0, 6)]).toEqual([0xef, 0xbb, 0xbf, 0xe5, 0x8d, 0x95]);
    const lines = run.written.slice(1).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe('单位代码,单位名称,工号,姓名,笔记字数,字数要求,学时,字数达标,必学内容已学,所选书目,合格');
    expect(lines.length - 2).toBe(await demoCadres());
    // Every demo cadre is in the demo data as 工号 KFQ-…, and one in three is compliant.
    expect(lines.slice(1, -1).every((line) => /^[A-Z_]+,[^,]+,KFQ-\d{4},/.test(line))).toBe(true);
    expect(lines.some((line) => line.endsWith(',是'))).toBe(true);
    expect(lines.some((line) => line.endsWith(',否'))).toBe(true);
  });

  it('writes to --out and refuses to overwrite it; --only-unit leaves out the units below', async () => {
    const run = await cli([
      'export-compliance',
      '--campaign',
      'SIX_TYPE_2012',
      '--year',
      '2012',
      '--org',
      'ZONE',
      '--out',
      'zone.csv',
    ]);
    expect(run.code).toBe(0);
    const file = join(folder, 'zone.csv');
    expect(run.stdout.join('\n')).toBe(`${await demoCadres()} cadres written to ${file}`);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').startsWith('单位代码,')).toBe(true);
    expect(bytes.toString('utf8').split('\r\n').length - 2).toBe(await demoCadres());

    const again = await cli([
      'export-compliance',
      '--campaign',
      'SIX_TYPE_2012',
      '--year',
      '2012',
      '--org',
      'ZONE',
      '--out',
      'zone.csv',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr.join('\n')).toContain(`${file} already exists`);

    const onlyZone = await cli([
      'export-compliance',
      '--campaign',
      'SIX_TYPE_2012',
      '--year',
      '2012',
      '--org',
      'ZONE',
      '--only-unit',
    ]);
    expect(onlyZone.code).toBe(0);
    expect(onlyZone.written.split('\r\n').length - 2).toBeLessThan(await demoCadres());
  });

  it('refuses a bad command line with exit code 2 and an unknown campaign or unit with exit code 1', async () => {
    const missing = await cli(['export-compliance', '--year', '2012', '--org', 'ZONE']);
    expect(missing).toMatchObject({ code: 2, opened: false });
    expect(missing.stderr[0]).toBe('export-compliance: give --campaign CODE');
    const badYear = await cli([
      'export-compliance',
      '--campaign',
      'SIX_TYPE_2012',
      '--year',
      'twelve',
      '--org',
      'ZONE',
    ]);
    expect(badYear).toMatchObject({ code: 2, opened: false });
    expect(badYear.stderr[0]).toBe('export-compliance: --year must be a year, e.g. 2012');

    const campaign = await cli(['export-compliance', '--campaign', 'NO_SUCH', '--year', '2012', '--org', 'ZONE']);
    expect(campaign).toMatchObject({ code: 1, written: '' });
    expect(campaign.stderr.join('\n')).toContain('Campaign NO_SUCH does not exist');
    const unit = await cli(['export-compliance', '--campaign', 'SIX_TYPE_2012', '--year', '2012', '--org', 'NOPE']);
    expect(unit.code).toBe(1);
    expect(unit.stderr.join('\n')).toContain('Organization NOPE does not exist');
  });
});

describe('backup', () => {
  it('explains itself with --help', async () => {
    const run = await cli(['backup', '--help']);
    expect(run).toMatchObject({ code: 0, opened: false });
    expect(run.stdout.join('\n')).toContain('pg_restore');
  });

  it('writes a backup that restores to the same rows', async () => {
    const run = await cli(['backup', '--out', 'db.backup']);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const file = join(folder, 'db.backup');
    expect(run.stdout[0]).toContain(`to ${file} (${statSync(file).size} bytes)`);
    const cadresBefore = await count(cadres);
    expect(cadresBefore).toBeGreaterThan(0);

    let restoredCadres: number;
    if (database.kind === 'pglite') {
      // The operator's restore: unpack into an empty folder and open it as DATA_DIR.
      const dataDir = join(folder, 'restored');
      mkdirSync(dataDir);
      execFileSync('tar', ['-xzf', file, '-C', dataDir], { stdio: 'pipe' });
      const restored = await createDb({ dataDir });
      const [row] = await restored.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(cadres);
      restoredCadres = row?.n ?? 0;
      await restored.close();
    } else {
      // The operator's restore, as `backup` prints it: pg_restore into a new, empty database.
      const admin = new URL(database.url as string);
      const name = `${admin.pathname.slice(1)}_restored`;
      const restoredUrl = new URL(admin);
      restoredUrl.pathname = `/${name}`;
      execFileSync('psql', [admin.toString(), '-qc', `create database "${name}"`], { stdio: 'pipe' });
      try {
        execFileSync('pg_restore', ['--no-owner', `--dbname=${restoredUrl}`, file], { stdio: 'pipe' });
        const restored = await createDb({ databaseUrl: restoredUrl.toString(), maxConnections: 1 });
        try {
          const [row] = await restored.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(cadres);
          restoredCadres = row?.n ?? 0;
          // Migrating the restored database finds nothing to do (its migrations table came along).
          await restored.migrate();
        } finally {
          await restored.close();
        }
      } finally {
        execFileSync('psql', [admin.toString(), '-qc', `drop database if exists "${name}" with (force)`], {
          stdio: 'pipe',
        });
      }
    }
    expect(restoredCadres).toBe(cadresBefore);

    const again = await cli(['backup', '--out', 'db.backup']);
    expect(again.code).toBe(1);
    expect(again.stderr.join('\n')).toContain(`${file} already exists; name a new file`);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'says what to install when pg_dump is missing, leaving no file',
    async () => {
      const run = await cli(['backup', '--out', 'missing.dump', '--pg-dump', '/nonexistent/pg_dump']);
      expect(run.code).toBe(1);
      expect(run.stderr.join('\n')).toContain(
        '/nonexistent/pg_dump was not found: install the PostgreSQL client tools',
      );
      expect(() => statSync(join(folder, 'missing.dump'))).toThrow();
      expect(() => statSync(join(folder, 'missing.dump.partial'))).toThrow();
    },
  );
});
