import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestServer, type TestServer } from './support.ts';

/**
 * GraphiQL in a real browser: Debian's chromium driven by playwright-core. Every request the page
 * makes to a host other than this machine's loopback is aborted and recorded, so the test proves
 * the page needs no CDN (the API is meant for a closed network).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
// CI installs chromium (.ci/run) and must run this test; elsewhere it is skipped without one.
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

let server: TestServer;
let browser: BrowserContext;
let profile: string;
const offMachine: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  server = await startTestServer();
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
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
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
 * Replaces the text of the visible Variables or Headers editor by pasting, as a user would (typed
 * text would get the editor's automatic closing quotes and braces).
 */
async function pasteIntoEditorTool(page: Page, tool: 'Variables' | 'Headers', text: string) {
  await page.locator('.graphiql-editor-tools').getByText(tool, { exact: true }).click();
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

describe.skipIf(!haveChromium)('GraphiQL at /graphql', () => {
  it('loads with no outside network, signs in, and runs the example metric query as an admin', async () => {
    const page = await browser.newPage();
    // Fail at the step that went wrong rather than at the test's timeout.
    page.setDefaultTimeout(10_000);
    const firstIntrospection = nextGraphQLResponse(page, /__schema/);
    const opened = await page.goto(server.url);
    expect(opened?.status()).toBe(200);
    expect(opened?.headers()['content-type']).toContain('text/html');

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
      ]);
    // Anonymous introspection is for development only (this server runs with NODE_ENV=test).
    expect(await (await firstIntrospection).json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });

    // Sign in: the SignIn tab's mutation with the admin's credentials as its variables.
    await pasteIntoEditorTool(
      page,
      'Variables',
      JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    );
    const signedIn = nextGraphQLResponse(page, /SignIn/);
    await page.locator('.graphiql-execute-button').click();
    const { data } = (await (await signedIn).json()) as { data: { login: { token: string } } };
    expect(data.login.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    await expect.poll(() => resultText(page)).toContain('"expiresAt"');

    // The metric example with the token in its Headers tab.
    await page.locator('button[title="FiscalRevenue2012Q1"]').press('Enter');
    await expect.poll(() => editorText(page, '.graphiql-query-editor')).toContain('metricSeries');
    await pasteIntoEditorTool(page, 'Headers', JSON.stringify({ Authorization: `Bearer ${data.login.token}` }));

    // With the admin's token GraphiQL may introspect (the schema reload button).
    const adminIntrospection = nextGraphQLResponse(page, /__schema/);
    await page.getByRole('button', { name: /re-fetch graphql schema/i }).click();
    const schema = (await (await adminIntrospection).json()) as {
      data?: { __schema: { queryType: { name: string } } };
    };
    expect(schema.data?.__schema.queryType.name).toBe('Query');

    const ran = nextGraphQLResponse(page, /FiscalRevenue2012Q1/);
    await page.locator('.graphiql-execute-button').click();
    expect((await ran).status()).toBe(200);
    // Read from the page: the document's 2012-Q1 revenue figures (demo data), with local revenue's +43%.
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

    expect(offMachine).toEqual([]);
    await page.close();
  });
});
