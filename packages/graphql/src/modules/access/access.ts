import { userRoles } from '@sixtype/db';
import { builder } from '../../builder.ts';
import type { Viewer } from '../../context.ts';
import { graphQLError } from '../../errors.ts';
import { login, logout } from './access.service.ts';

export const ViewerKind = builder.enumType('ViewerKind', { values: ['USER', 'API_CLIENT', 'SYSTEM'] as const });
export const UserRole = builder.enumType('UserRole', { values: userRoles });

type KnownViewer = Exclude<Viewer, { kind: 'ANONYMOUS' }>;

export const ViewerRef = builder.objectRef<KnownViewer>('Viewer').implement({
  description: 'The caller of this request: a signed-in person, an API client, or the system itself.',
  fields: (t) => ({
    kind: t.field({ type: ViewerKind, resolve: (viewer) => viewer.kind }),
    username: t.string({ nullable: true, resolve: (viewer) => (viewer.kind === 'USER' ? viewer.username : null) }),
    role: t.field({
      type: UserRole,
      nullable: true,
      resolve: (viewer) => (viewer.kind === 'USER' ? viewer.role : null),
    }),
    clientName: t.string({ nullable: true, resolve: (viewer) => (viewer.kind === 'API_CLIENT' ? viewer.name : null) }),
    scopes: t.stringList({
      description: 'An API client’s scopes; empty for people, whose rights follow from their role.',
      resolve: (viewer) => (viewer.kind === 'API_CLIENT' ? [...viewer.scopes] : []),
    }),
    organization: t.drizzleField({
      type: 'organizations',
      nullable: true,
      description: 'The unit the caller acts for; null for admins and unrestricted clients.',
      resolve: (query, viewer, _args, ctx) =>
        viewer.kind !== 'SYSTEM' && viewer.organizationId !== null
          ? ctx.db.query.organizations
              .findFirst(query({ where: { id: viewer.organizationId } }))
              .then((row) => row ?? null)
          : null,
    }),
    cadre: t.drizzleField({
      type: 'cadres',
      nullable: true,
      description: 'For a cadre’s account, the cadre.',
      resolve: (query, viewer, _args, ctx) =>
        viewer.kind === 'USER' && viewer.cadreId !== null
          ? ctx.db.query.cadres.findFirst(query({ where: { id: viewer.cadreId } })).then((row) => row ?? null)
          : null,
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'Who this request is made as.',
    authScopes: { authenticated: true },
    // `authenticated` refuses an anonymous request before this runs.
    resolve: (_root, _args, ctx) => ctx.viewer as KnownViewer,
  }),
);

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    username: t.string({ required: true }),
    password: t.string({ required: true }),
  }),
});

const LoginPayload = builder.objectRef<{ token: string; expiresAt: string }>('LoginPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Send as `Authorization: Bearer <token>`.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

const LogoutPayload = builder.objectRef<{ sessionEnded: boolean }>('LogoutPayload').implement({
  fields: (t) => ({ sessionEnded: t.exposeBoolean('sessionEnded') }),
});

builder.mutationFields((t) => ({
  login: t.field({
    type: LoginPayload,
    description:
      'Signs a person in. A wrong name or password, or an account locked after repeated failures, answers UNAUTHENTICATED.',
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      if (!ctx.tokenSecret) throw new Error('sign-in is not configured: no token secret in the context');
      return login(ctx.db, ctx.tokenSecret, input);
    },
  }),
  logout: t.field({
    type: LogoutPayload,
    description: 'Ends the session of the bearer token this request carries.',
    authScopes: { authenticated: true },
    resolve: async (_root, _args, ctx) => {
      if (ctx.viewer.kind !== 'USER') throw graphQLError('FORBIDDEN', 'Only a signed-in person has a session to end');
      await logout(ctx.db, ctx.viewer);
      return { sessionEnded: true };
    },
  }),
}));
