import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';
import { problemDetailsRef } from './problem-details';
import { type FieldProblem, RequestValidationError, pointerOf } from './request-errors';

// Body schemas are written with `z.strictObject` (nested objects too), so a
// misspelt optional field is refused instead of silently dropped. ZodBody checks
// the outermost object when the app starts; the nested ones are the author's care.

/** A client learns enough from the first ones; thousands of bad lines would only bloat the answer. */
const MAX_PROBLEMS = 50;

// The schema travels wrapped: Nest takes a bare zod schema for a pipe (it has a
// `transform` method) or for its own Standard Schema options (it has `~standard`).
const ValidatedBody = createParamDecorator((data: { zod: z.ZodType }, ctx: ExecutionContext) =>
  parseBody(data.zod, ctx.switchToHttp().getRequest<{ body?: unknown }>().body),
);

/**
 * Validates and returns the JSON body of a route, and documents it:
 * `create(@ZodBody(OpenAccountBody) body: z.infer<typeof OpenAccountBody>)`.
 * Every issue becomes `{ pointer, detail }` in one 400 VALIDATION_FAILED answer.
 * The schema must be synchronous (no async refinements): `safeParse` runs it.
 */
export function ZodBody(schema: z.ZodType): ParameterDecorator {
  assertStrict(schema);
  return (target, key, index) => {
    ValidatedBody({ zod: schema })(target, key, index);
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key !== undefined && descriptor) ApiZodBody(schema)(target, key, descriptor);
  };
}

/**
 * The OpenAPI request body (and its 400 answer) from a zod schema. ZodBody
 * applies it already; use it alone for a body read some other way.
 */
export function ApiZodBody(schema: z.ZodType): MethodDecorator {
  return applyDecorators(
    // The input side: what a client sends, before defaults and transforms.
    ApiBody({ schema: z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as SchemaObject }),
    ApiBadRequestResponse({
      description: 'The body is not valid JSON (MALFORMED_JSON) or does not match the schema (VALIDATION_FAILED)',
      content: { 'application/problem+json': { schema: problemDetailsRef } },
    }),
  );
}

/** The check itself, apart from Nest, for callers that hold a body already. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined) throw new RequestValidationError([{ pointer: '', detail: 'a JSON request body is required' }]);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new RequestValidationError(problemsOf(result.error.issues));
}

function problemsOf(issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // One entry per unknown field, pointing at the field itself rather than its parent.
      for (const key of issue.keys) problems.push({ pointer: pointerOf([...issue.path, key]), detail: 'unknown field' });
    } else {
      problems.push({ pointer: pointerOf(issue.path), detail: issue.message });
    }
  }
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), { pointer: '', detail: `${problems.length - MAX_PROBLEMS} more problems not listed` }];
}

function assertStrict(schema: z.ZodType): void {
  if (schema instanceof z.ZodObject && schema.def.catchall?._zod.def.type !== 'never') {
    throw new Error('ZodBody: a body schema must be a z.strictObject (unknown fields are refused, not dropped)');
  }
}
