import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import {
  type ASTNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  Kind,
  type OperationDefinitionNode,
  visit,
} from 'graphql';
import { graphQLError } from './errors.ts';
import { NUL_MESSAGE } from './modules/common/validation.ts';

const NUL = '\u0000';

/** Where a coerced variable value holds a NUL: `$input.observations.3.source`, or null. */
function nulInValue(value: unknown, path: string): string | null {
  const keys = nulKeys(value);
  return keys ? [path, ...keys.reverse()].join('.') : null;
}

/**
 * The keys from the NUL up to `value` (innermost first), or null. Nothing is allocated unless a
 * NUL is found: a 1,000-row batch has some 6,000 values, and building each one's path up front
 * was most of this check's cost.
 */
function nulKeys(value: unknown): (string | number)[] | null {
  if (typeof value === 'string') return value.includes(NUL) ? [] : null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = nulKeys(value[index]);
      if (found) {
        found.push(index);
        return found;
      }
    }
    return null;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const key of Object.keys(value)) {
      if (key.includes(NUL)) return [key];
      const found = nulKeys((value as Record<string, unknown>)[key]);
      if (found) {
        found.push(key);
        return found;
      }
    }
  }
  return null;
}

/** Where a string literal of the document holds a NUL, named by its argument: `input.source`. */
function nulInLiterals(nodes: readonly ASTNode[]): string | null {
  const names: string[] = [];
  let found: string | null = null;
  for (const root of nodes) {
    visit(root, {
      enter(node, key, parent, _path, ancestors) {
        if (found) return false;
        if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) names.push(node.name.value);
        else if (node.kind === Kind.VARIABLE_DEFINITION) names.push(`$${node.variable.name.value}`);
        else if (Array.isArray(parent) && (ancestors.at(-1) as ASTNode | undefined)?.kind === Kind.LIST) {
          names.push(String(key));
        }
        if (node.kind === Kind.STRING && node.value.includes(NUL)) found = names.join('.') || 'a string';
        return undefined;
      },
      leave(node, _key, parent, _path, ancestors) {
        if (
          node.kind === Kind.ARGUMENT ||
          node.kind === Kind.OBJECT_FIELD ||
          node.kind === Kind.VARIABLE_DEFINITION ||
          (Array.isArray(parent) && (ancestors.at(-1) as ASTNode | undefined)?.kind === Kind.LIST)
        ) {
          names.pop();
        }
      },
    });
  }
  return found;
}

// Per document (yoga caches parsed documents) and per execution (its coerced variables).
const literalsChecked = new WeakMap<OperationDefinitionNode, string | null>();
const variablesChecked = new WeakMap<object, string | null>();

/**
 * The first place of this operation where text input holds U+0000, or null. Every argument of
 * every field comes from a literal of the document or from a variable, so checking both covers
 * all input, nested fields included: those are planned into the root field's SQL before their
 * own resolvers would run.
 */
export function nulInOperation(info: GraphQLResolveInfo): string | null {
  let literal = literalsChecked.get(info.operation);
  if (literal === undefined) {
    literal = nulInLiterals([info.operation, ...Object.values(info.fragments)]);
    literalsChecked.set(info.operation, literal);
  }
  if (literal) return literal;
  let variable = variablesChecked.get(info.variableValues);
  if (variable === undefined) {
    variable = null;
    for (const [name, value] of Object.entries(info.variableValues)) {
      variable = nulInValue(value, `$${name}`);
      if (variable) break;
    }
    variablesChecked.set(info.variableValues, variable);
  }
  return variable;
}

function guarded<C>(resolver: GraphQLFieldResolver<unknown, C, object>): GraphQLFieldResolver<unknown, C, object> {
  return (parent, args, context, info) => {
    const where = nulInOperation(info);
    if (where) throw graphQLError('BAD_USER_INPUT', `${where}: ${NUL_MESSAGE}`);
    return resolver(parent, args, context, info);
  };
}

const ROOT_KINDS = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * Refuses an operation whose text input holds a NUL character as BAD_USER_INPUT naming where,
 * before any root field runs (PostgreSQL refuses U+0000 in text, which would surface as a masked
 * internal error). Placed after scope-auth, so a caller without access learns nothing more.
 */
export class InputGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    return ROOT_KINDS.has(fieldConfig.kind) ? guarded(resolver) : resolver;
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    return subscribe && ROOT_KINDS.has(fieldConfig.kind) ? guarded(subscribe) : subscribe;
  }
}

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      inputGuard: InputGuardPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('inputGuard', InputGuardPlugin);

export const inputGuardPlugin = 'inputGuard' as const;
