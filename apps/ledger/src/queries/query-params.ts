import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiServiceUnavailableResponse, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';
import { INVENTORY_STATUSES, InvalidCursorError } from '@ledger/read-models';
import { Code } from '../commands/schemas';
import { problemDetailsRef } from '../http/problem-details';
import { type FieldProblem, RequestValidationError, pointerOf } from '../http/request-errors';

/** Query strings of the query routes: strict (an unknown parameter is refused), numbers as decimal text. */

const integerText = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, `${name} must be an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be an integer from ${min} to ${max}`).max(max, `${name} must be an integer from ${min} to ${max}`));

/** The position a command answered with: the query waits until the read models reached it. */
const MinPosition = integerText('minPosition', 0, Number.MAX_SAFE_INTEGER).optional();
const Limit = integerText('limit', 1, 200).default(50);
const Cursor = z.string().min(1).max(2_000).optional();
/** A past moment: a global position (a non-negative integer) or an ISO-8601 instant. */
const AsOf = z
  .string()
  .refine(
    (v) => /^\d{1,16}$/.test(v) || z.iso.datetime({ offset: true }).safeParse(v).success,
    'must be a global position (a non-negative integer) or an ISO-8601 instant such as 2027-01-31T00:00:00Z',
  )
  .optional();
const Category = z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'must be a lower-case category such as pro, cloud-ai, msp, channel');

const Page = { minPosition: MinPosition, limit: Limit, cursor: Cursor };
const InventoryFilters = { ...Page, modelCode: Code.optional(), category: Category.optional(), status: z.enum(INVENTORY_STATUSES).optional() };

export const PlainQuery = z.strictObject({ minPosition: MinPosition });
export const AsOfQuery = z.strictObject({ minPosition: MinPosition, asOf: AsOf });
export const InventoryQuery = z.strictObject({ ...InventoryFilters, asOf: AsOf });
export const CustomerInventoryQuery = z.strictObject(InventoryFilters);
/** Search text: PostgreSQL text holds no NUL, and no control character belongs in a name, serial or code. */
const SearchText = z.string().trim().min(1, 'q must not be empty').max(200).regex(/^[^\p{Cc}]*$/u, 'q must not contain control characters');
export const CustomersQuery = z.strictObject({ ...Page, q: SearchText.optional() });
export const PageQuery = z.strictObject(Page);
export const DeploymentsQuery = z.strictObject({ ...Page, status: z.enum(['created', 'installed', 'uninstalled']).optional() });
export const SearchQuery = z.strictObject({ ...Page, q: SearchText });
export const ExpiringQuery = z.strictObject({ ...Page, days: integerText('days', 1, 3650), kind: z.enum(['licenses', 'devices']).optional() });

const ValidatedQuery = createParamDecorator((data: { zod: z.ZodType }, ctx: ExecutionContext) =>
  parseQuery(data.zod, ctx.switchToHttp().getRequest<{ query?: unknown }>().query),
);

/** Validates and returns the query string of a route (400 VALIDATION_FAILED with `/query/<name>` pointers), and documents it. */
export function ZodQuery(schema: z.ZodObject): ParameterDecorator {
  return (target, key, index) => {
    ValidatedQuery({ zod: schema })(target, key, index);
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key !== undefined && descriptor) ApiZodQuery(schema)(target, key, descriptor);
  };
}

function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as SchemaObject;
  const required = new Set(json.required ?? []);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: required.has(name), schema: property as SchemaObject, description: QUERY_DOCS[name] }),
    ),
  );
}

const QUERY_DOCS: Record<string, string> = {
  minPosition: 'Read your writes: the `position` a command answered with. The query waits until every read model applied it (up to READ_WAIT_TIMEOUT_MS), else 503 READ_MODELS_BEHIND with Retry-After.',
  limit: 'Items per page, 1 to 200 (50).',
  cursor: 'The `nextCursor` of the previous page (opaque).',
  asOf: 'A past moment: a global position, or an ISO-8601 instant (not in the future). The answer is folded from the events up to it.',
  status: 'Only licenses in this state (`expired`: available or bound, past validUntil).',
  q: 'What to look for.',
  days: 'The window: from now to now + days (1 to 3650).',
};

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse({ ...((query as object | undefined) ?? {}) });
  if (result.success) return result.data;
  const problems: FieldProblem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') for (const k of issue.keys) problems.push({ pointer: pointerOf(['query', k]), detail: 'unknown query parameter' });
    else problems.push({ pointer: pointerOf(['query', ...issue.path]), detail: issue.message });
  }
  throw new RequestValidationError(problems);
}

/** An invalid cursor is the client's mistake: 400 VALIDATION_FAILED pointing at it. */
export async function checkedCursor<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new RequestValidationError([{ pointer: '/query/cursor', detail: error.message }]);
    throw error;
  }
}

/** asOf as the library takes it, and as the answer echoes it; an instant in the future is refused. */
export function parseAsOf(asOf: string | undefined, now: string): { value: { position: number } | { instant: string }; echo: string | number } | undefined {
  if (asOf === undefined) return undefined;
  if (/^\d+$/.test(asOf)) return { value: { position: Number(asOf) }, echo: Number(asOf) };
  if (Date.parse(asOf) > Date.parse(now)) throw new RequestValidationError([{ pointer: '/query/asOf', detail: 'must not be in the future' }]);
  return { value: { instant: new Date(asOf).toISOString() }, echo: asOf };
}

const problem = { 'application/problem+json': { schema: problemDetailsRef } };

/** The answers every query route gives, for the OpenAPI document. */
export function ApiQueryResponses(summary: string, notFound?: string) {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiOkResponse({ description: 'The answer, read from the read models (or, with asOf, folded from the events up to that moment)' }),
    ApiBadRequestResponse({ description: 'A malformed path id or query parameter, an unknown query parameter, an invalid cursor (VALIDATION_FAILED)', content: problem }),
    ...(notFound === undefined ? [] : [ApiNotFoundResponse({ description: notFound, content: problem })]),
    ApiServiceUnavailableResponse({ description: 'READ_MODELS_BEHIND: minPosition not reached in time; retry after Retry-After seconds', content: problem }),
  );
}
