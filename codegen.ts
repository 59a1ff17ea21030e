// Generates the SDK's typed documents from the printed schema (packages/graphql/schema.graphql)
// and the operations we publish. Run it through `npm run generate`, which prints the schema first;
// CI regenerates and fails when the committed output differs. The output is left as codegen
// writes it (deterministic): biome.json ignores **/generated, so `biome format` would skip it.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  overwrite: true,
  schema: 'packages/graphql/schema.graphql',
  documents: 'packages/sdk/src/operations/*.graphql',
  // An empty or mistyped operations glob must fail the run, not write an SDK without operations.
  ignoreNoDocuments: false,
  // The persisted-operation manifest (hash → document) is built from the documents just written,
  // so its hashes are those of exactly what the client sends. Runs on every generate, written or not.
  hooks: { afterAllFileWrite: ['tsx packages/sdk/scripts/persisted-operations.ts'] },
  generates: {
    'packages/sdk/src/generated/graphql.ts': {
      // No `typescript` plugin: since typescript-operations 6 the operations plugin emits the enum
      // and input types it uses itself, and adding `typescript` declares them twice (tsc fails).
      // It would also add whole-schema object types that no selection actually returns.
      // https://the-guild.dev/graphql/codegen/docs/migration/operations-and-client-preset-from-5-0
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        // Wire formats, documented in packages/sdk/README.md. With strictScalars a new custom
        // scalar fails generation until it is mapped here, instead of becoming `unknown`.
        strictScalars: true,
        scalars: {
          // A branded string (packages/sdk/src/scalars.ts spells the same, as `Id`): an id the API
          // returned goes straight back into a variable, while a day, a decimal or any other string
          // does not fit where an ID belongs without `asId()`. GraphQL has one ID scalar, so one brand.
          ID: "string & { readonly __sixtype: 'ID' }",
          // Template-literal types (packages/sdk/src/scalars.ts spells the same): a calendar day
          // cannot go where a decimal belongs, and a literal such as "2012-03-31" still fits.
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a TypeScript type
          Date: '`${number}-${number}-${number}`',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a TypeScript type
          DateTime: '`${number}-${number}-${number}T${string}`',
          // Exact decimals travel as strings ("7430", "0.43"); never parse them into floats to add.
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a TypeScript type
          Decimal: '`${number}`',
          // Audit events' before/after: any JSON value, for the caller to narrow.
          JSON: 'unknown',
        },
        // String unions, no runtime enum objects (typescript-operations 6 spelling of enumsAsTypes).
        enumType: 'string-literal',
        useTypeImports: true,
        // Result fields are never optional (a nullable field is `T | null`); variables and input
        // fields stay optional so callers leave out what they do not set.
        avoidOptionals: { variableValue: false, inputValue: false, defaultValue: false },
      },
    },
  },
};

export default config;
