// Bundles the API for `npm start` and `npm run start:cluster`: our TypeScript (this service and the
// workspace packages it imports) into one ES module per entry, every npm dependency left to
// node_modules. Node then runs plain JavaScript: no TypeScript loader in the process (about 30 MB
// less resident memory than under tsx, and nothing compiled at start).
//
// A bundle is written at the depth of the source it replaces (services/api/dist beside src), so the
// paths a module finds relative to itself (the repository root in env.ts, the SDK's manifest in
// persisted-operations.ts) stay right; packages/db finds its migrations through its package.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

// The report's rendering process (packages/report/src/isolated.ts) runs render-worker.mjs from the
// folder of the bundle that starts it.
const renderWorker = here('../../../packages/report/src/render-worker.ts');

/** Bundles `entries` (`in`: a TypeScript file, `out`: the .mjs file to write), each with the report's rendering process's script beside it. */
export async function bundle(entries) {
  const folders = new Set(entries.map((entry) => dirname(entry.out)));
  const all = [
    ...entries,
    ...[...folders].map((folder) => ({ in: renderWorker, out: join(folder, 'render-worker.mjs') })),
  ];
  for (const entry of all) {
    await build({
      entryPoints: [entry.in],
      outfile: entry.out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      // The workspace packages' TypeScript, as tsconfig.base.json and the tests resolve them.
      conditions: ['@sixtype/source'],
      logLevel: 'warning',
      plugins: [
        {
          name: 'npm-dependencies-stay-external',
          setup(builder) {
            builder.onResolve({ filter: /^[^./]/ }, (args) =>
              args.path.startsWith('@sixtype/') ? undefined : { path: args.path, external: true },
            );
          },
        },
      ],
    });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle([
    { in: here('../src/main.ts'), out: here('../dist/main.mjs') },
    { in: here('../src/cluster.ts'), out: here('../dist/cluster.mjs') },
  ]);
}
