/** Bundles each entry's TypeScript (with the workspace packages it imports) into one ES module. */
export function bundle(entries: readonly { in: string; out: string }[]): Promise<void>;
