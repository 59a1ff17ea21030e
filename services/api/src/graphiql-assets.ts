import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

/** Where GraphiQL's files are served, beside `/graphql`. */
export const GRAPHIQL_ASSET_PREFIX = '/graphiql/';

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** The URL of each asset the page names (hashed: a new GraphiQL version gets new URLs). */
export interface GraphiQLAssetUrls {
  js: string;
  css: string;
  favicon: string;
  editorWorkerService: string;
  jsonWorker: string;
  graphqlWorker: string;
}

export interface GraphiQLAssets {
  urls(): Promise<GraphiQLAssetUrls>;
  /** The asset at `pathname`, or undefined. */
  get(pathname: string): Promise<Asset | undefined>;
}

/**
 * GraphiQL's script, styles, editor workers and icon, as `@graphql-yoga/render-graphiql` bundles
 * them (about 9 MB), served as separate files. Loaded on the first page view: a process that only
 * serves API calls never holds them.
 */
export function createGraphiQLAssets(): GraphiQLAssets {
  let loaded: Promise<{ urls: GraphiQLAssetUrls; files: Map<string, Asset> }> | undefined;
  const load = () => {
    loaded ??= import('@graphql-yoga/render-graphiql/graphiql').then((bundle) => {
      const files = new Map<string, Asset>();
      const add = (name: string, extension: string, type: string, content: string | Uint8Array<ArrayBuffer>) => {
        const body = typeof content === 'string' ? new TextEncoder().encode(content) : content;
        const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
        const pathname = `${GRAPHIQL_ASSET_PREFIX}${name}-${hash}.${extension}`;
        files.set(pathname, { body, type });
        return pathname;
      };
      const script = 'text/javascript; charset=utf-8';
      // The icon comes as a data: URL; as a file it is cached like the rest.
      const [iconType = 'image/x-icon', iconBase64 = ''] =
        /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon)?.slice(1) ?? [];
      const urls: GraphiQLAssetUrls = {
        js: add('graphiql', 'js', script, bundle.js),
        css: add('graphiql', 'css', 'text/css; charset=utf-8', bundle.css),
        favicon: add('favicon', 'ico', iconType, Buffer.from(iconBase64, 'base64')),
        editorWorkerService: add('editor.worker', 'js', script, bundle.editorWorkerService),
        jsonWorker: add('json.worker', 'js', script, bundle.jsonWorker),
        graphqlWorker: add('graphql.worker', 'js', script, bundle.graphqlWorker),
      };
      return { urls, files };
    });
    return loaded;
  };
  return {
    urls: async () => (await load()).urls,
    get: async (pathname) => (await load()).files.get(pathname),
  };
}

/**
 * Answers `GET /graphiql/<name>-<hash>.<ext>` before any other plugin (no credential, rate limit
 * or operation log): the files are public, the same for everyone, and never change under their
 * name, so browsers keep them for a year.
 */
export function useGraphiQLAssets(assets: GraphiQLAssets): Plugin {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSET_PREFIX)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      return assets.get(url.pathname).then((asset) => {
        if (!asset) {
          endResponse(new fetchAPI.Response('Not found', { status: 404 }));
          return;
        }
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : asset.body, {
            status: 200,
            headers: {
              'content-type': asset.type,
              'content-length': String(asset.body.byteLength),
              'cache-control': 'public, max-age=31536000, immutable',
              'x-content-type-options': 'nosniff',
            },
          }),
        );
      });
    },
  };
}
