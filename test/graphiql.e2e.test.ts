import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestDatabase, type TestDatabase } from '@sixtype/db/testing';
import { type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './api-process.ts';

/**
 * A new admin's first minutes, as README tells them: start the API as `npm start` does (no
 * NODE_ENV) on a new database, create the first admin with the CLI while it runs, then in a real
 * browser (Debian's chromium driven by playwright-core) sign in once from GraphiQL and run every
 * example tab. Every request the page makes to a host other than this machine's loopback is
 * aborted and recorded, so the test proves the page needs no CDN (the API is meant for a closed
 * network).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
// CI installs chromium (.ci/run) and must run this test; elsewhere it says why it did not run.
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
if (!haveChromium) {
  console.warn(
    `test/graphiql.e2e.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const ADMIN = { username: 'first.admin', password: 'the first admin password' };

let api: ApiProcess;
let database: TestDatabase | undefined;
let dataDir: string | undefined;
/** The environment the server and the CLI share: a new data folder, or a new PostgreSQL database. */
let env: Record<string, string | undefined>;
let browser: BrowserContext;
let profile: string;
const offMachine: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  if (process.env.TEST_DATABASE_URL) {
    database = await openTestDatabase({ demo: false });
    env = { DATABASE_URL: database.url, SEED_DEMO: '1' };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'sixtype-first-run-'));
    env = { DATA_DIR: dataDir, DATABASE_URL: undefined };
  }
  // As `npm start` runs it: no NODE_ENV (vitest's own `test` removed too).
  api = await startApiProcess({ ...env, NODE_ENV: undefined });
  profile = mkdtempSync(join(tmpdir(), 'sixtype-graphiql-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // Tall enough for the result editor to render the whole first series (it draws visible lines only).
    viewport: { width: 1280, height: 1400 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await browser.grantPermissions(['clipboard-read', 'clipboard-write']);
  await browser.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOOPBACK.has(url.hostname)) return route.continue();
    offMachine.push(url.href);
    return route.abort('blockedbyclient');
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  api?.kill();
  await api?.exited();
  await database?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The answer to the next POST to /graphql whose body matches `operation`. */
function nextGraphQLResponse(page: Page, operation: RegExp): Promise<Response> {
  return page.waitForResponse(
    (response) =>
      response.url().endsWith('/graphql') &&
      response.request().method() === 'POST' &&
      operation.test(response.request().postData() ?? ''),
  );
}

/**
 * Replaces the text of the visible Variables editor by pasting, as a user would (typed text would
 * get the editor's automatic closing quotes and braces).
 */
async function pasteVariables(page: Page, text: string) {
  await page.locator('.graphiql-editor-tools').getByText('Variables', { exact: true }).click();
  await page.locator('.graphiql-editor-tool .monaco-editor:visible').click();
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('ControlOrMeta+v');
  await expect.poll(() => editorText(page, '.graphiql-editor-tool .monaco-editor:visible')).toContain(text);
}

/** The lines an editor shows, as plain text (it renders spaces as no-break spaces). */
const editorText = async (page: Page, editor: string) =>
  ((await page.locator(`${editor} .view-lines`).textContent()) ?? '').replaceAll('\u00a0', ' ');

const resultText = (page: Page) => editorText(page, '.result-window');

type Answer = { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };

/** Opens a tab, runs it with ▶ and returns what the API answered. */
async function runTab(page: Page, name: string): Promise<Answer> {
  await page.locator(`button[title="${name}"]`).press('Enter');
  await expect.poll(() => editorText(page, '.graphiql-query-editor')).toContain(`${name}`);
  const answered = nextGraphQLResponse(page, new RegExp(name));
  // A click in the query puts the cursor there, so GraphiQL takes the operation from this tab's
  // document rather than keeping the last tab's operation name ("Cannot infer operation SignIn").
  const execute = async () => {
    await page.locator('.graphiql-query-editor .view-lines').click();
    await page.locator('.graphiql-execute-button').click();
  };
  await execute();
  // If GraphiQL still refused (its tab state lags a slow machine), run it once more.
  const firstTry = await Promise.race([
    answered,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
  ]);
  if (firstTry === null) await execute();
  const response = firstTry ?? (await answered);
  expect(response.status()).toBe(200);
  return (await response.json()) as Answer;
}

describe.skipIf(!haveChromium)('first run: npm start, the first admin, GraphiQL', () => {
  it('creates the admin beside the running server, signs in once, and runs every example tab with no outside network', async () => {
    // The log says how to make the first admin, and that the server may keep running.
    expect(api.output()).toContain('npm run cli -- create-admin');
    const created = spawnSync(
      'npm',
      ['run', 'cli', '--', 'create-admin', '--username', ADMIN.username, '--password-stdin'],
      {
        cwd: repositoryRoot,
        env: Object.fromEntries(
          Object.entries({ ...process.env, NODE_ENV: undefined, ...env }).filter(([, value]) => value !== undefined),
        ),
        input: `${ADMIN.password}\n`,
        encoding: 'utf8',
      },
    );
    expect(created.stderr).not.toContain('in use by process');
    expect(created.status).toBe(0);
    expect(created.stdout).toContain(`Created admin ${ADMIN.username}`);

    const page = await browser.newPage();
    // Fail at the step that went wrong rather than at the test's timeout.
    page.setDefaultTimeout(15_000);
    const firstIntrospection = nextGraphQLResponse(page, /__schema/);
    const opened = await page.goto(api.url);
    expect(opened?.status()).toBe(200);
    expect(opened?.headers()['content-type']).toContain('text/html');
    expect((await opened?.body())?.byteLength).toBeLessThan(100 * 1024);

    // The example tabs, the sign-in one first.
    await expect
      .poll(() => page.locator('.graphiql-tab').allInnerTexts())
      .toEqual([
        'SignIn',
        'ZoneUnits',
        'FiscalRevenue2012Q1',
        'StudyComplianceShortfalls',
        'ProblemLedger',
        'ProgressReport2012Q1',
        'SignOut',
      ]);
    // `npm start` is production: no introspection before signing in.
    expect(await (await firstIntrospection).json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });

    // Sign in: the SignIn tab's mutation with the admin's credentials as its variables. The page
    // then fetches the schema again, now as the admin (the docs and autocompletion).
    await pasteVariables(page, JSON.stringify(ADMIN));
    const signedIn = nextGraphQLResponse(page, /SignIn/);
    const adminIntrospection = nextGraphQLResponse(page, /__schema/);
    await page.locator('.graphiql-execute-button').click();
    const signInResponse = await signedIn;
    const { data } = (await signInResponse.json()) as { data: { login: { token: string } } };
    expect(data.login.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // The browser keeps the session for itself: HttpOnly, SameSite=Strict, until it closes (expires -1).
    expect(await browser.cookies(api.url)).toEqual([
      expect.objectContaining({ name: 'sixtype_graphiql_session', httpOnly: true, sameSite: 'Strict', expires: -1 }),
    ]);
    await expect.poll(() => resultText(page)).toContain('"expiresAt"');
    const schema = (await (await adminIntrospection).json()) as {
      data?: { __schema: { queryType: { name: string } } };
    };
    expect(schema.data?.__schema.queryType.name).toBe('Query');

    // Every example, with nothing pasted into its Headers.
    for (const name of ['ZoneUnits', 'FiscalRevenue2012Q1', 'StudyComplianceShortfalls', 'ProblemLedger']) {
      const answer = await runTab(page, name);
      expect(answer.errors, name).toBeUndefined();
      expect(
        Object.values(answer.data ?? {}).every((value) => value !== null),
        name,
      ).toBe(true);
    }
    // Read from the page: the document's 2012-Q1 revenue figures (demo data), with local revenue's +43%.
    await page.locator('button[title="FiscalRevenue2012Q1"]').press('Enter');
    await expect.poll(() => resultText(page)).toContain('"LOCAL_FISCAL_REVENUE"');
    const shown = JSON.parse(await resultText(page)) as {
      errors?: unknown;
      data: { metricSeries: { metric: { code: string }; points: { period: { label: string } }[] }[] };
    };
    expect(shown.errors).toBeUndefined();
    expect(shown.data.metricSeries).toEqual([
      {
        metric: expect.objectContaining({ code: 'FISCAL_REVENUE_TOTAL' }),
        points: [expect.objectContaining({ period: { label: '2012-Q1' }, value: '15825', yoyGrowth: null })],
      },
      {
        metric: expect.objectContaining({ code: 'LOCAL_FISCAL_REVENUE' }),
        points: [expect.objectContaining({ period: { label: '2012-Q1' }, value: '7430', yoyGrowth: '0.43' })],
      },
    ]);

    // Signing out ends it: the cookie is gone and the examples answer UNAUTHENTICATED again.
    expect(await runTab(page, 'SignOut')).toEqual({ data: { logout: { sessionEnded: true } } });
    expect(await browser.cookies(api.url)).toEqual([]);
    const afterSignOut = await runTab(page, 'ZoneUnits');
    expect(afterSignOut.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    expect(offMachine).toEqual([]);
    await page.close();
  }, 180_000);
});
