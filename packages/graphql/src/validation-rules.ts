import {
  type ASTNode,
  type ASTVisitor,
  GraphQLError,
  Kind,
  specifiedRules,
  type ValidationContext,
  type ValidationRule,
  ValuesOfCorrectTypeRule,
  visitInParallel,
} from 'graphql';

/**
 * graphql-js's ValuesOfCorrectTypeRule, with each error naming where the literal sits
 * (`input.from: Date must be …`). The stock rule reports a scalar's own error as it is, which
 * names no argument and, for our scalars, no location either. Variables need no such help:
 * graphql-js already names the variable and the path inside it.
 */
export function ValuesOfCorrectTypeNamedRule(context: ValidationContext): ASTVisitor {
  const names: string[] = [];
  let current: ASTNode | undefined;
  const named = (error: GraphQLError) =>
    new GraphQLError(names.length > 0 ? `${names.join('.')}: ${error.message}` : error.message, {
      nodes: error.nodes ?? current,
      originalError: error.originalError,
      extensions: error.extensions,
    });
  // Everything but reportError is the real context (its methods read its own fields).
  const reporting = Object.create(context, {
    reportError: { value: (error: GraphQLError) => context.reportError(named(error)) },
  }) as ValidationContext;
  const inList = (parent: unknown, ancestors: readonly unknown[]) =>
    Array.isArray(parent) && (ancestors.at(-1) as ASTNode | undefined)?.kind === Kind.LIST;
  const tracker: ASTVisitor = {
    enter(node, key, parent, _path, ancestors) {
      current = node;
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) names.push(node.name.value);
      else if (node.kind === Kind.VARIABLE_DEFINITION) names.push(`$${node.variable.name.value}`);
      else if (inList(parent, ancestors)) names.push(String(key));
    },
    leave(node, _key, parent, _path, ancestors) {
      if (
        node.kind === Kind.ARGUMENT ||
        node.kind === Kind.OBJECT_FIELD ||
        node.kind === Kind.VARIABLE_DEFINITION ||
        inList(parent, ancestors)
      ) {
        names.pop();
      }
    },
  };
  return visitInParallel([tracker, ValuesOfCorrectTypeRule(reporting)]);
}

/** The rules every document is validated with: the specified ones, literal errors named. */
export const validationRules: readonly ValidationRule[] = specifiedRules.map((rule) =>
  rule === ValuesOfCorrectTypeRule ? ValuesOfCorrectTypeNamedRule : rule,
);
