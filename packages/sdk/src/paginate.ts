import { SixtypeError } from './errors.ts';
import type { Variables } from './operation.ts';

/** What `paginate` needs from a connection: our list operations select `nodes` and `pageInfo`. */
export interface ConnectionPage<TNode> {
  nodes: readonly TNode[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Every node of a connection, page after page: `fetchPage` runs the operation with the variables
 * given, and `after` set to the previous page's `endCursor`, until `hasNextPage` is false.
 */
export async function* paginate<TVars extends Variables & { after?: string | null | undefined }, TNode>(
  variables: TVars,
  fetchPage: (variables: TVars) => Promise<ConnectionPage<TNode>>,
): AsyncGenerator<TNode, void, undefined> {
  let pageVariables = variables;
  let after = variables.after ?? null;
  for (;;) {
    const page = await fetchPage(pageVariables);
    yield* page.nodes;
    if (!page.pageInfo.hasNextPage) return;
    const next = page.pageInfo.endCursor;
    // Without a new cursor the next request would fetch the same page again, forever.
    if (next === null || next === after) {
      throw new SixtypeError('INTERNAL_SERVER_ERROR', 'The connection has a next page but no new endCursor');
    }
    after = next;
    pageVariables = { ...variables, after };
  }
}
