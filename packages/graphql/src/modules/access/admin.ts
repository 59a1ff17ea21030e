import { decodeGlobalID } from '@pothos/plugin-relay';
import type { apiClients, users } from '@sixtype/db';
import { builder } from '../../builder.ts';
import { auditActorOf } from '../../context.ts';
import { NotFoundError } from '../../errors.ts';
import { mutationErrors } from '../common/errors.ts';
import { createApiClient, createUser, revokeApiClient, rotateApiClientKey } from './access.service.ts';
import { UserRole } from './access.ts';

type UserRow = typeof users.$inferSelect;
type ApiClientRow = typeof apiClients.$inferSelect;

// Password and key hashes are deliberately not fields: nothing in the schema can return them.
export const UserAccount = builder.drizzleNode('users', {
  name: 'User',
  description: 'An account a person signs in with. Admins only.',
  id: { column: (user) => user.id },
  authScopes: { admin: true },
  fields: (t) => ({
    username: t.exposeString('username'),
    role: t.expose('role', { type: UserRole }),
    organization: t.relation('organization', {
      nullable: true,
      description: 'The unit a manager acts for.',
    }),
    cadre: t.relation('cadre', { nullable: true, description: 'For a cadre’s account, the cadre.' }),
    lastLoginAt: t.expose('lastLoginAt', { type: 'DateTime', nullable: true }),
    lockedUntil: t.expose('lockedUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'Set after repeated failed sign-ins.',
    }),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const ApiClient = builder.drizzleNode('apiClients', {
  name: 'ApiClient',
  description: 'Another system calling the API with a key. Admins only; the key itself is never readable.',
  id: { column: (client) => client.id },
  authScopes: { admin: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    keyPrefix: t.exposeString('keyPrefix', {
      description: 'The first characters of the current key, to tell which key a system holds.',
    }),
    scopes: t.exposeStringList('scopes'),
    organization: t.relation('organization', {
      nullable: true,
      description: 'The unit whose subtree the client is restricted to; null for the whole zone.',
    }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    username: t.string({ required: true, description: '3 to 64 letters, digits or _ . @ -; unique ignoring case.' }),
    password: t.string({ required: true, description: 'At least 10 characters.' }),
    role: t.field({ type: UserRole, required: true }),
    organizationCode: t.string({ description: 'Required for an ORG_MANAGER: the unit they act for.' }),
    cadreEmployeeNumber: t.string({ description: 'Required for a CADRE: whose account this is.' }),
  }),
});

const CreateApiClientInput = builder.inputType('CreateApiClientInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.stringList({
      required: true,
      description: 'directory:read, directory:write, directory:personal, metrics:read, metrics:write',
    }),
    organizationCode: t.string({ description: 'Restricts the client to this unit’s subtree.' }),
  }),
});

const ApiClientIdInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({ id: t.id({ required: true, description: 'The ApiClient’s global id.' }) }),
  });

const CreateUserPayload = builder.objectRef<{ user: UserRow }>('CreateUserPayload').implement({
  fields: (t) => ({ user: t.field({ type: UserAccount, resolve: (payload) => payload.user }) }),
});

const ApiClientWithKeyPayload = (name: string) =>
  builder.objectRef<{ client: ApiClientRow; key: string }>(name).implement({
    fields: (t) => ({
      apiClient: t.field({ type: ApiClient, resolve: (payload) => payload.client }),
      key: t.exposeString('key', {
        description:
          'The key, shown only in this response (only its hash is stored). Send it as `Authorization: ApiKey <key>`.',
      }),
    }),
  });

const RevokeApiClientPayload = builder.objectRef<{ client: ApiClientRow }>('RevokeApiClientPayload').implement({
  fields: (t) => ({ apiClient: t.field({ type: ApiClient, resolve: (payload) => payload.client }) }),
});

/** The database id inside an ApiClient global id; anything else names no client. */
function apiClientDatabaseId(globalId: string): string {
  try {
    const { typename, id } = decodeGlobalID(globalId);
    if (typename === 'ApiClient' && /^\d+$/.test(id)) return id;
  } catch {
    // Not base64 of `Type:id`: falls through to not found.
  }
  throw new NotFoundError('ApiClient', globalId);
}

builder.mutationFields((t) => ({
  createUser: t.field({
    type: CreateUserPayload,
    description: 'Creates an account. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateUserResult' } },
    resolve: async (_root, { input }, ctx) => ({ user: await createUser(ctx.db, auditActorOf(ctx.viewer), input) }),
  }),
  createApiClient: t.field({
    type: ApiClientWithKeyPayload('CreateApiClientPayload'),
    description: 'Registers another system and returns its key, which is never shown again. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateApiClientInput, required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'CreateApiClientResult' } },
    // The service validates the scope names (zod), so an unknown one is a ValidationError.
    resolve: (_root, { input }, ctx) =>
      createApiClient(ctx.db, auditActorOf(ctx.viewer), input as Parameters<typeof createApiClient>[2]),
  }),
  revokeApiClient: t.field({
    type: RevokeApiClientPayload,
    description: 'Revokes a client: its key stops working at once. Revoking twice is harmless. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: ApiClientIdInput('RevokeApiClientInput'), required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'RevokeApiClientResult' } },
    resolve: async (_root, { input }, ctx) => ({
      client: await revokeApiClient(ctx.db, auditActorOf(ctx.viewer), apiClientDatabaseId(String(input.id))),
    }),
  }),
  rotateApiClientKey: t.field({
    type: ApiClientWithKeyPayload('RotateApiClientKeyPayload'),
    description: 'Gives a client a new key (returned once); the old key stops working at once. Admins only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: ApiClientIdInput('RotateApiClientKeyInput'), required: true }) },
    errors: { types: [...mutationErrors], directResult: true, union: { name: 'RotateApiClientKeyResult' } },
    resolve: (_root, { input }, ctx) =>
      rotateApiClientKey(ctx.db, auditActorOf(ctx.viewer), apiClientDatabaseId(String(input.id))),
  }),
}));
