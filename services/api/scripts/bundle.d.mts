/** Bundles each entry's TypeScript (with the workspace packages it imports) into ES modules, a folder's entries split into shared chunks beside them. */
export function bundle(entries: readonly { in: string; out: string }[]): Promise<void>;
