import { builder } from '../../builder.ts';
import {
  ConflictError,
  type FieldIssue,
  InvalidTransitionError,
  NotFoundError,
  type UserError,
  ValidationError,
} from '../../errors.ts';

export const UserErrorInterface = builder.interfaceRef<UserError>('UserError').implement({
  description: 'An expected failure of a mutation. `code` is the same code an error would carry in extensions.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.string({ resolve: (error) => error.code }),
  }),
});

const FieldError = builder.objectRef<FieldIssue>('FieldError').implement({
  description: 'One invalid input field: `path` starts at the mutation argument (`input`, `name`).',
  fields: (t) => ({
    path: t.exposeStringList('path'),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    fieldErrors: t.field({ type: [FieldError], resolve: (error) => error.fieldErrors }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    entity: t.exposeString('entity'),
    key: t.exposeString('key'),
  }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: (t) => ({
    field: t.exposeString('field', { nullable: true }),
  }),
});

builder.objectType(InvalidTransitionError, {
  name: 'InvalidTransitionError',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof InvalidTransitionError,
  fields: (t) => ({
    from: t.exposeString('from'),
    to: t.exposeString('to'),
  }),
});

/** The failures any mutation can return as data (its result union): bad input, a missing row, a conflict. */
export const mutationErrors = [ValidationError, NotFoundError, ConflictError] as const;
