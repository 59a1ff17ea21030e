import fc from 'fast-check';

/**
 * What the soak's fuzzer sends: fast-check arbitraries for request bodies and headers, from
 * garbage bytes to schema-shaped documents with hostile arguments. Each value is one HTTP request.
 */
export interface FuzzRequest {
  method: 'GET' | 'POST';
  /** Appended to /graphql (GET parameters). */
  search: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Which generator made it, for the report. */
  kind: string;
}

const rootFields = [
  'organization',
  'organizations',
  'cadres',
  'cadre',
  'node',
  'nodes',
  'viewer',
  'metricSeries',
  'metricRanking',
  'metricDefinitions',
  'campaign',
  'campaigns',
  'problems',
  'problemCounts',
  'activities',
  'studyCompliance',
  'studyComplianceCsv',
  'studyLagging',
  'auditEvents',
  'login',
  'logout',
  'createCadre',
  'submitMetricObservations',
  '__schema',
  '__type',
  '__typename',
];
const argNames = [
  'code',
  'orgCode',
  'first',
  'last',
  'after',
  'before',
  'id',
  'ids',
  'input',
  'filter',
  'includeDescendants',
  'campaignCode',
  'year',
  'asOfDate',
  'employeeNumber',
];
const subFields = ['id', 'name', 'code', 'totalCount', 'nodes', 'edges', 'node', 'cursor', 'pageInfo', 'phone', 'path'];
const punctuation = ['{', '}', '(', ')', ':', '$', '!', '[', ']', '...', '@', '=', ',', '"', '#', '\n'];
const keywords = ['query', 'mutation', 'subscription', 'fragment', 'on', 'true', 'false', 'null', 'include', 'skip'];

/** Any GraphQL argument value, well-formed or hostile (huge numbers, odd strings, deep lists). */
const argumentValue: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.constantFrom('2147483648', '-1', '0', '1e308', '99999999999999999999'),
    fc.string({ unit: 'binary', maxLength: 40 }).map((text) => JSON.stringify(text)),
    fc.constantFrom(
      '"ZONE"',
      '"PETITION_OFFICE"',
      '"SIX_TYPE_2012"',
      '"2012-02-30"',
      '"0000-00-00"',
      '"\'; drop table cadres; --"',
      '"../../etc/passwd"',
      '"Q2FkcmU6MQ=="',
      '"T3JnYW5pemF0aW9uOjE="',
      '"%00"',
      '"𠮷学"',
    ),
    fc.constantFrom('true', 'false', 'null', 'QUARTER', 'MONTH', 'FOUND', 'NAME'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(fc.constantFrom(...argNames, 'metricCodes', 'granularity', 'from', 'to'), tie('value')), {
        maxLength: 4,
      })
      .map((pairs) => `{ ${pairs.map(([name, value]) => `${name}: ${value}`).join(', ')} }`),
  ),
})).value;

/** A selection: real-looking field names nested a few levels, sometimes deeper than allowed. */
const selection: fc.Arbitrary<string> = fc.letrec<{ set: string }>((tie) => ({
  set: fc
    .array(fc.tuple(fc.constantFrom(...subFields, ...rootFields), fc.option(tie('set'), { nil: undefined, freq: 2 })), {
      minLength: 1,
      maxLength: 5,
    })
    .map((fields) => `{ ${fields.map(([name, inner]) => (inner ? `${name} ${inner}` : name)).join(' ')} }`),
})).set;

/** A document built from the schema's own names, with random arguments and selections. */
const schemaShapedDocument = fc
  .tuple(
    fc.constantFrom('', 'query ', 'mutation ', 'query Fuzz ', 'subscription '),
    fc.array(
      fc.tuple(
        fc.constantFrom(...rootFields),
        fc.array(fc.tuple(fc.constantFrom(...argNames), argumentValue), { maxLength: 4 }),
        fc.option(selection, { nil: undefined }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(
    ([operation, fields]) =>
      `${operation}{ ${fields
        .map(([name, args, inner]) => {
          const list = args.length > 0 ? `(${args.map(([arg, value]) => `${arg}: ${value}`).join(', ')})` : '';
          return `${name}${list}${inner ? ` ${inner}` : ''}`;
        })
        .join(' ')} }`,
  );

/** Token soup: the lexer and parser's turn. */
const tokenSoup = fc
  .array(fc.constantFrom(...rootFields, ...argNames, ...subFields, ...punctuation, ...keywords), { maxLength: 60 })
  .map((tokens) => tokens.join(' '));

const variables = fc.option(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string(), fc.jsonValue())), {
  nil: undefined,
});

const graphQLBody = fc
  .record(
    {
      query: fc.oneof(schemaShapedDocument, tokenSoup, fc.string({ unit: 'grapheme', maxLength: 200 })),
      variables,
      operationName: fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('Fuzz')), { nil: undefined }),
      extensions: fc.option(
        fc.oneof(
          fc.record({
            persistedQuery: fc.record({ version: fc.constant(1), sha256Hash: fc.stringMatching(/^[0-9a-f]{64}$/) }),
          }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        { nil: undefined },
      ),
    },
    { requiredKeys: ['query'] },
  )
  .map((body) => JSON.stringify(body));

/** Credentials a caller might send, from none to garbage. */
const garbageCredentials = fc.oneof(
  fc.constant({}),
  fc.string({ maxLength: 80 }).map((value) => ({ authorization: `Bearer ${value}` })),
  fc.string({ maxLength: 80 }).map((value) => ({ authorization: value })),
  fc.string({ maxLength: 60 }).map((value) => ({ 'x-api-key': value })),
  fc.stringMatching(/^sxk_[A-Za-z0-9_-]{0,60}$/).map((value) => ({ authorization: `ApiKey ${value}` })),
);

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql+json',
  'application/graphql',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
);

/** One request of the fuzzer; `credentials` are the real ones of the role sending it (or none). */
export function fuzzRequest(credentials: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const headersWith = (extra: fc.Arbitrary<Record<string, string>>) =>
    fc
      .tuple(fc.boolean(), garbageCredentials, extra)
      .map(([own, garbage, more]) => ({ ...(own ? credentials : garbage), ...more }));
  const jsonPost = (body: fc.Arbitrary<string>, kind: string) =>
    fc.record({
      method: fc.constant<'POST'>('POST'),
      search: fc.constant(''),
      headers: headersWith(fc.constant({ 'content-type': 'application/json' })),
      body,
      kind: fc.constant(kind),
    });
  return fc.oneof(
    { weight: 6, arbitrary: jsonPost(graphQLBody, 'graphql') },
    {
      weight: 2,
      arbitrary: jsonPost(
        fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
        'json',
      ),
    },
    {
      weight: 1,
      arbitrary: jsonPost(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
        'bytes',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constant<'POST'>('POST'),
        search: fc.constant(''),
        headers: headersWith(
          contentTypes.map((type): Record<string, string> => (type ? { 'content-type': type } : {})),
        ),
        body: graphQLBody,
        kind: fc.constant('content-type'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        method: fc.constant<'GET'>('GET'),
        search: fc
          .tuple(
            fc.oneof(schemaShapedDocument, tokenSoup),
            fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
          )
          .map(([query, vars]) => {
            const params = new URLSearchParams({ query });
            if (vars !== undefined) params.set('variables', JSON.stringify(vars));
            return `?${params}`;
          }),
        headers: headersWith(
          fc.constantFrom<Record<string, string>>(
            { accept: 'application/json', 'x-graphql-client': 'soak' },
            { accept: 'application/graphql-response+json', 'x-graphql-client': 'soak' },
            { accept: 'application/json' },
          ),
        ),
        body: fc.constant(undefined),
        kind: fc.constant('get'),
      }),
    },
  );
}
