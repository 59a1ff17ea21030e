import { getOperationAST, Kind, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { CSRF_HEADER } from './limits.ts';

/**
 * Signing in from GraphiQL. `login` called from the GraphiQL page also sets a session cookie
 * (HttpOnly, so page scripts cannot read it; SameSite=Strict, so no other site's page makes the
 * browser send it; no expiry, so it ends with the browser session, and the token inside still
 * expires after 8 hours). The cookie counts only on requests that carry GraphiQL's CSRF header
 * with GraphiQL's value, which a page of another origin cannot add without a CORS preflight that
 * the API answers without `Access-Control-Allow-Credentials` (server.ts). `logout` from GraphiQL
 * clears it. API clients never get one: they send `Authorization` or `x-api-key` as before.
 */
export const SESSION_COOKIE = 'sixtype_graphiql_session';
/** The value GraphiQL sends in the CSRF header (graphiql.ts `additionalHeaders`). */
export const GRAPHIQL_CLIENT = 'graphiql';
/** Set on an answer that signed GraphiQL in or out, so the page fetches the schema again. */
export const SESSION_CHANGED_HEADER = 'x-sixtype-session-changed';

const fromGraphiQL = (request: Request) => request.headers.get(CSRF_HEADER) === GRAPHIQL_CLIENT;

/** `Bearer <token>` from GraphiQL's session cookie, for a request from GraphiQL that sent no Authorization. */
export function graphiqlSessionAuthorization(request: Request): string | null {
  if (!fromGraphiQL(request)) return null;
  const cookies = request.headers.get('cookie');
  if (!cookies) return null;
  for (const part of cookies.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE && value.length > 0) return `Bearer ${decodeURIComponent(value.join('='))}`;
  }
  return null;
}

function sessionCookie(request: Request, token: string | null): string {
  const attributes = ['Path=/graphql', 'HttpOnly', 'SameSite=Strict'];
  if (new URL(request.url).protocol === 'https:') attributes.push('Secure');
  if (token === null) attributes.push('Max-Age=0');
  return [`${SESSION_COOKIE}=${token === null ? '' : encodeURIComponent(token)}`, ...attributes].join('; ');
}

/** The response keys (aliases included) of the root mutation fields named `field`. */
const responseKeys = (operation: OperationDefinitionNode, field: string) =>
  operation.selectionSet.selections.flatMap((selection) =>
    selection.kind === Kind.FIELD && selection.name.value === field ? [selection.alias?.value ?? field] : [],
  );

export function useGraphiQLSession(): Plugin {
  const cookies = new WeakMap<Request, string>();
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request || !fromGraphiQL(request)) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const logins = responseKeys(operation, 'login');
      const logouts = responseKeys(operation, 'logout');
      if (logins.length === 0 && logouts.length === 0) return;
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return;
          // Signing out forgets the cookie even when the session had already ended.
          if (logouts.length > 0) {
            cookies.set(request, sessionCookie(request, null));
            return;
          }
          for (const key of logins) {
            const token = (result.data?.[key] as { token?: unknown } | null | undefined)?.token;
            if (typeof token === 'string') cookies.set(request, sessionCookie(request, token));
          }
        },
      };
    },
    onResponse({ request, response }) {
      const cookie = cookies.get(request);
      if (cookie === undefined) return;
      response.headers.append('set-cookie', cookie);
      response.headers.set(SESSION_CHANGED_HEADER, '1');
    },
  };
}
