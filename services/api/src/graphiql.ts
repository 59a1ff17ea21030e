import type { GraphiQLOptions } from 'graphql-yoga';
import type { GraphiQLAssets } from './graphiql-assets.ts';
import { SESSION_CHANGED_HEADER } from './graphiql-session.ts';
import { CSRF_HEADER } from './limits.ts';

/**
 * GraphiQL for admins at `GET /graphql` (a browser asking for text/html).
 *
 * The page is yoga's GraphiQL as `@graphql-yoga/render-graphiql` bundles it (yoga's default page
 * loads it from unpkg), but not inlined: the script, styles, editor workers and icon are served by
 * the API itself under `/graphiql/`, each named by a hash of its content and cached for a year
 * (graphiql-assets.ts), so the HTML is a few kilobytes, a second visit loads nothing else, and a
 * network that reaches no CDN works. Signing in with the first tab sets a session cookie for
 * GraphiQL (graphiql-session.ts), so the other tabs, the docs and autocompletion work without a
 * token in their Headers.
 */

const signIn = `# Sign in: your username and password in Variables
# below, then run (▶). GraphiQL keeps you signed in
# until the browser closes: every tab, the docs and
# autocompletion then work as you (the SignOut tab
# ends it).
# No admin yet? Beside the running server:
#   npm run cli -- create-admin --username NAME
#     --password-stdin
mutation SignIn($username: String!, $password: String!) {
  login(input: { username: $username, password: $password }) {
    token
    expiresAt
  }
}
`;

const signOut = `# Sign out: ends the session SignIn started (the token
# stops working and GraphiQL forgets it).
mutation SignOut {
  logout {
    sessionEnded
  }
}
`;

const zoneUnits = `# The zone's units and the first cadres of each (demo
# data). Sign in with the SignIn tab first.
query ZoneUnits {
  organization(code: "ZONE") {
    name
    children {
      code
      name
      cadres(first: 5) {
        totalCount
        nodes {
          name
          position
        }
      }
    }
  }
}
`;

const metricSeries = `# The zone's fiscal revenue in 2012-Q1 (as the document
# reports it), with year-on-year growth.
query FiscalRevenue2012Q1 {
  metricSeries(
    input: {
      metricCodes: ["FISCAL_REVENUE_TOTAL", "LOCAL_FISCAL_REVENUE"]
      orgCode: "ZONE"
      granularity: QUARTER
      from: "2012-01-01"
      to: "2012-03-31"
    }
  ) {
    metric {
      code
      name
      unit
    }
    points {
      period {
        label
      }
      value
      priorYearValue
      yoyGrowth
      target
      completionRate
    }
  }
}
`;

const studyCompliance = `# Who falls short of the 2012 study requirement in the
# zone (note quota, mandatory materials, a chosen book).
query StudyComplianceShortfalls {
  studyCompliance(
    campaignCode: "SIX_TYPE_2012"
    year: 2012
    orgCode: "ZONE"
    includeDescendants: true
    onlyNonCompliant: true
    first: 20
  ) {
    totalCount
    nodes {
      cadre {
        name
        organization {
          name
        }
      }
      noteCharacters
      noteCharactersQuota
      quotaMet
      mandatoryMaterialsCovered
      chosenMaterials {
        title
      }
      compliant
    }
  }
}
`;

const problemLedger = `# The rectification ledger: open problems across the
# zone, and the counts by category.
query ProblemLedger {
  problems(
    campaignCode: "SIX_TYPE_2012"
    orgCode: "ZONE"
    includeDescendants: true
    filter: { state: { in: [FOUND, RECTIFYING, AWAITING_ACCEPTANCE, REOPENED] } }
    first: 20
  ) {
    totalCount
    nodes {
      description
      category {
        name
      }
      organization {
        name
      }
      state
      deadline
      overdue
    }
  }
  problemCounts(campaignCode: "SIX_TYPE_2012", orgCode: "ZONE") {
    total
    overdue
    byCategory {
      name
      count
      overdue
    }
  }
}
`;

const progressReport = `# The zone's 2012-Q1 campaign progress report as
# Markdown, and where to download it as PDF (GET with
# the same sign-in). Sign in with the SignIn tab first.
query ProgressReport2012Q1 {
  campaignReport(campaignCode: "SIX_TYPE_2012", orgCode: "ZONE", period: "2012-Q1") {
    period {
      label
      start
      end
    }
    markdown
    downloadUrl(format: PDF)
  }
}
`;

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** The tabs a new browser opens with (GraphiQL keeps the user's own tabs after that). */
export const GRAPHIQL_EXAMPLES = [
  {
    name: 'SignIn',
    query: signIn,
    variables: pretty({ username: 'admin', password: '' }),
    headers: pretty({}),
  },
  // No Authorization header: the session cookie that SignIn sets stands in for it.
  { name: 'ZoneUnits', query: zoneUnits, variables: null, headers: pretty({}) },
  { name: 'FiscalRevenue2012Q1', query: metricSeries, variables: null, headers: pretty({}) },
  { name: 'StudyComplianceShortfalls', query: studyCompliance, variables: null, headers: pretty({}) },
  { name: 'ProblemLedger', query: problemLedger, variables: null, headers: pretty({}) },
  { name: 'ProgressReport2012Q1', query: progressReport, variables: null, headers: pretty({}) },
  { name: 'SignOut', query: signOut, variables: null, headers: pretty({}) },
] as const;

export const graphiqlOptions: GraphiQLOptions = {
  title: 'Six-Type Agency platform',
  defaultQuery: signIn,
  defaultTabs: GRAPHIQL_EXAMPLES.map(({ query, variables, headers }) => ({ query, variables, headers })),
  defaultEditorToolsVisibility: 'headers',
  // Tokens stay out of the browser's storage.
  shouldPersistHeaders: false,
  method: 'POST',
  additionalHeaders: { [CSRF_HEADER]: 'graphiql' },
};

/**
 * Renders the page: a few kilobytes of HTML naming the assets by their hashed URLs, built once
 * per set of options. The options go in as JSON with `<` escaped, so no text in them can end the
 * script element.
 */
export function createGraphiQLRenderer(assets: GraphiQLAssets): (options: GraphiQLOptions) => Promise<string> {
  const pages = new Map<string, string>();
  return async (options) => {
    const key = JSON.stringify(options);
    let page = pages.get(key);
    if (page === undefined) {
      const urls = await assets.urls();
      const json = (value: unknown) => JSON.stringify(value).replaceAll('<', '\\u003c');
      page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${urls.favicon}" />
    <link rel="stylesheet" href="${urls.css}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${json({ editorWorkerService: urls.editorWorkerService, json: urls.jsonWorker, graphql: urls.graphqlWorker })};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
      // Signing in or out changes what introspection may show: fetch the schema again then.
      const nativeFetch = window.fetch.bind(window);
      window.fetch = async (...args) => {
        const response = await nativeFetch(...args);
        if (response.headers.has(${json(SESSION_CHANGED_HEADER)})) {
          setTimeout(() => document.querySelector('button[aria-label^="Re-fetch GraphQL schema"]')?.click(), 0);
        }
        return response;
      };
    </script>
    <script src="${urls.js}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${json(options)});
    </script>
  </body>
</html>
`;
      pages.set(key, page);
    }
    return page;
  };
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
