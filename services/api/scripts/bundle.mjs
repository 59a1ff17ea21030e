// Bundles the API for `npm start` and `npm run start:cluster`: our TypeScript (this service and the
// workspace packages it imports) into one ES module per entry, every npm dependency left to
// node_modules. Node then runs plain JavaScript: no TypeScript loader in the process (about 30 MB
// less resident memory than under tsx, and nothing compiled at start).
//
// A bundle is written at the depth of the source it replaces (services/api/dist beside src), so the
// paths a module finds relative to itself (the repository root in env.ts, the SDK's manifest in
// persisted-operations.ts) stay right; packages/db finds its migrations through its package.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

// The report's rendering process (packages/report/src/isolated.ts) runs render-worker.mjs from the
// folder of the bundle that starts it.
const renderWorker = here('../../../packages/report/src/render-worker.ts');

/**
 * Bundles `entries` (`in`: a TypeScript file, `out`: the .mjs file to write), each with the report's
 * rendering process's script beside it. A folder's entries are built together and split: a module
 * an entry imports dynamically (main.ts's serve.ts, loaded after NODE_ENV's default is set) is a
 * chunk of its own, `chunk-<hash>.mjs` beside the entries, so its npm imports load only when
 * it does (a single file would hoist them above the entry's first statement).
 */
export async function bundle(entries) {
  const folders = new Map();
  for (const entry of entries) folders.set(dirname(entry.out), [...(folders.get(dirname(entry.out)) ?? []), entry]);
  for (const [folder, inFolder] of folders) {
    mkdirSync(folder, { recursive: true });
    for (const file of readdirSync(folder)) if (file.startsWith('chunk-')) rmSync(join(folder, file));
    await build({
      entryPoints: [...inFolder, { in: renderWorker, out: join(folder, 'render-worker.mjs') }].map((entry) => ({
        in: entry.in,
        out: basename(entry.out, '.mjs'),
      })),
      outdir: folder,
      outExtension: { '.js': '.mjs' },
      splitting: true,
      chunkNames: 'chunk-[hash]',
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
