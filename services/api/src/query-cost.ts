import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@sixtype/graphql';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * A document's cost as graphql-armor weighs it (a field with a selection 2 plus 1.5 × its
 * children, a leaf 1, introspection free), where a list field's cost is multiplied by the page it
 * asks for: `first` or `last` as written, as a variable's value, or, left out, the page size the
 * server then uses (DEFAULT_PAGE_SIZE). graphql-armor's own rule runs before the variables are
 * known and counts literal numbers only, so `first: $n` and a missing `first` cost as one row.
 * This runs as execution starts, once the variables are there, and before any resolver.
 */
const OBJECT_COST = 2;
const LEAF_COST = 1;
const DEPTH_COST_FACTOR = 1.5;

export interface OperationMeasure {
  cost: number;
  /** The first page argument outside 0…MAX_PAGE_SIZE, if any. */
  badPage?: { argument: string; field: string; value: number };
}

function pageArgument(
  field: GraphQLField<unknown, unknown>,
  nodes: readonly { name: { value: string }; value: ValueNode }[],
  variable: (name: string) => unknown,
) {
  const argumentValue = (name: string): number | null | undefined => {
    const node = nodes.find((argument) => argument.name.value === name);
    if (!node) return undefined;
    if (node.value.kind === Kind.INT) return Number(node.value.value);
    if (node.value.kind === Kind.VARIABLE) {
      const value = variable(node.value.name.value);
      return typeof value === 'number' ? value : value == null ? null : undefined;
    }
    return node.value.kind === Kind.NULL ? null : undefined;
  };
  const hasFirst = field.args.some((argument) => argument.name === 'first');
  if (!hasFirst) return { size: 1 };
  const first = argumentValue('first');
  const last = field.args.some((argument) => argument.name === 'last') ? argumentValue('last') : undefined;
  for (const [argument, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (typeof value === 'number' && (value < 0 || value > MAX_PAGE_SIZE || !Number.isInteger(value))) {
      return { size: 1, bad: { argument, value } };
    }
  }
  return { size: Math.max(first ?? (last == null ? DEFAULT_PAGE_SIZE : 0), last ?? 0, 1) };
}

export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): OperationMeasure | null {
  return measure(schema, document, operationName, (name) => variables[name]);
}

function measure(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variable: (name: string) => unknown,
): OperationMeasure | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let badPage: OperationMeasure['badPage'];
  const visiting = new Set<string>();

  const selectionCost = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') continue;
        if (!selection.selectionSet) {
          total += LEAF_COST;
          continue;
        }
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        const type = field ? getNamedType(field.type) : undefined;
        if (!field || !type || !isCompositeType(type)) continue;
        const page = pageArgument(field, selection.arguments ?? [], variable);
        if (page.bad && !badPage) badPage = { ...page.bad, field: selection.alias?.value ?? name };
        total += (OBJECT_COST + DEPTH_COST_FACTOR * selectionCost(selection.selectionSet, type)) * page.size;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += selectionCost(selection.selectionSet, type && isCompositeType(type) ? type : parent);
      } else {
        const fragment = fragments.get(selection.name.value);
        // A cycle is refused by validation; this only keeps the walk finite.
        if (!fragment || visiting.has(fragment.name.value)) continue;
        visiting.add(fragment.name.value);
        const type = schema.getType(fragment.typeCondition.name.value);
        total += selectionCost(fragment.selectionSet, type && isCompositeType(type) ? type : parent);
        visiting.delete(fragment.name.value);
      }
    }
    return total;
  };
  const cost = selectionCost(operation.selectionSet, root);
  return badPage ? { cost, badPage } : { cost };
}

export const pageSizeError = (argument: string, field: string) =>
  new GraphQLError(
    `${argument} must be between 0 and ${MAX_PAGE_SIZE} (in ${field}); ask for the next page with after/before`,
    { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
  );

/**
 * Refuses, before any resolver runs and with HTTP 400 whatever the Accept header, a page size out
 * of range (the same message for 101 and for 1,000,000) and a document over `maxCost`.
 */
export function useQueryCost(options: {
  maxCost: number;
  tooComplex: (message: string) => GraphQLError;
  onMeasure?: (cost: number) => void;
}): Plugin {
  return {
    onExecute({ args }) {
      const measure = measureCached(
        args.schema,
        args.document,
        args.operationName,
        (args.variableValues ?? {}) as Record<string, unknown>,
      );
      if (!measure) return;
      if (measure.badPage) throw pageSizeError(measure.badPage.argument, measure.badPage.field);
      if (measure.cost > options.maxCost) {
        throw options.tooComplex(`Query Cost limit of ${options.maxCost} exceeded, found ${Math.round(measure.cost)}.`);
      }
      options.onMeasure?.(measure.cost);
    },
  };
}

/** Measures kept per document and operation name, for so many distinct page-size values each. */
const MEASURES_PER_OPERATION = 32;

interface MeasuredOperation {
  schema: GraphQLSchema;
  /** The variables the page arguments name: the measure depends on their values and on nothing else. */
  variables: readonly string[];
  byValues: Map<string, OperationMeasure | null>;
}

// yoga's parser cache hands back the same DocumentNode for the same text, so a document is walked
// once per page-size values rather than on every request.
const measuredDocuments = new WeakMap<DocumentNode, Map<string, MeasuredOperation>>();

/**
 * measureOperation, remembered. The walk reads the same variables whatever their values (every
 * selection is visited), so the first walk learns which ones it read, and a later request with
 * the same values for those (as pageArgument reads them: a number, null, or something else) gets
 * the same measure.
 */
function measureCached(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): OperationMeasure | null {
  let operations = measuredDocuments.get(document);
  if (!operations) {
    operations = new Map();
    measuredDocuments.set(document, operations);
  }
  const name = operationName ?? '';
  const known = operations.get(name);
  if (!known || known.schema !== schema) {
    const read = new Set<string>();
    const result = measure(schema, document, operationName, (variable) => {
      read.add(variable);
      return variables[variable];
    });
    const variableNames = [...read];
    operations.set(name, {
      schema,
      variables: variableNames,
      byValues: new Map([[valuesKey(variableNames, variables), result]]),
    });
    return result;
  }
  const key = valuesKey(known.variables, variables);
  const cached = known.byValues.get(key);
  if (cached !== undefined) return cached;
  const result = measure(schema, document, operationName, (variable) => variables[variable]);
  if (known.byValues.size < MEASURES_PER_OPERATION) known.byValues.set(key, result);
  return result;
}

/** The values of the page variables as pageArgument tells them apart. */
function valuesKey(names: readonly string[], variables: Record<string, unknown>): string {
  if (names.length === 0) return '';
  return JSON.stringify(
    names.map((name) => {
      const value = variables[name];
      return typeof value === 'number' ? value : value == null ? null : 'other';
    }),
  );
}
