import type { GraphiQLOptions } from 'graphql-yoga';
import { CSRF_HEADER } from './limits.ts';

/**
 * GraphiQL for admins at `GET /graphql` (a browser asking for text/html).
 *
 * The page is `@graphql-yoga/render-graphiql`: yoga's GraphiQL with its script, styles, editor
 * workers and icon inlined into one HTML document, so it works on a network that reaches no CDN
 * (yoga's default page loads them from unpkg). The first tab signs in; the others are worked
 * examples against the demo data that need the token in their Headers tab.
 */

/** What the Headers tab of every example shows; the placeholder is replaced by the token `login` returns. */
export const GRAPHIQL_AUTH_HEADERS = JSON.stringify({ Authorization: 'Bearer <token from the SignIn tab>' }, null, 2);

const signIn = `# Sign in: your username and password in Variables
# below, then run (▶). Paste the token into the
# Headers of the other tabs:
#   { "Authorization": "Bearer <token>" }
# then reload the schema (↻, bottom left).
# No admin yet? On the server:
#   npm run cli -- create-admin --username NAME
#     --password-stdin
mutation SignIn($username: String!, $password: String!) {
  login(input: { username: $username, password: $password }) {
    token
    expiresAt
  }
}
`;

const zoneUnits = `# The zone's units and the first cadres of each (demo
# data). Needs the token in the Headers tab.
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
# reports it), with year-on-year growth. Needs the token
# in the Headers tab.
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
# Needs the token in the Headers tab.
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
# zone, and the counts by category. Needs the token in
# the Headers tab.
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
# the same Authorization header). Needs the token in the
# Headers tab.
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
  { name: 'ZoneUnits', query: zoneUnits, variables: null, headers: GRAPHIQL_AUTH_HEADERS },
  { name: 'FiscalRevenue2012Q1', query: metricSeries, variables: null, headers: GRAPHIQL_AUTH_HEADERS },
  { name: 'StudyComplianceShortfalls', query: studyCompliance, variables: null, headers: GRAPHIQL_AUTH_HEADERS },
  { name: 'ProblemLedger', query: problemLedger, variables: null, headers: GRAPHIQL_AUTH_HEADERS },
  { name: 'ProgressReport2012Q1', query: progressReport, variables: null, headers: GRAPHIQL_AUTH_HEADERS },
] as const;

export const GRAPHIQL_DEFAULT_QUERY = signIn;

export const graphiqlOptions: GraphiQLOptions = {
  title: 'Six-Type Agency platform',
  defaultQuery: GRAPHIQL_DEFAULT_QUERY,
  defaultTabs: GRAPHIQL_EXAMPLES.map(({ query, variables, headers }) => ({ query, variables, headers })),
  defaultEditorToolsVisibility: 'headers',
  // Tokens stay out of the browser's storage.
  shouldPersistHeaders: false,
  method: 'POST',
  additionalHeaders: { [CSRF_HEADER]: 'graphiql' },
};

/**
 * Renders the self-contained page. It is about 9 MB of inlined script, so it is built once per set
 * of options rather than on every request.
 */
export function createGraphiQLRenderer(): (options: GraphiQLOptions) => Promise<string> {
  const pages = new Map<string, string>();
  return async (options) => {
    const key = JSON.stringify(options);
    let page = pages.get(key);
    if (page === undefined) {
      // Loaded on the first page view: the bundle is tens of megabytes of source text that a
      // process serving only API calls never needs to hold.
      const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
      page = renderGraphiQL(options);
      pages.set(key, page);
    }
    return page;
  };
}
