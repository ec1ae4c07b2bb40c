import type { SchemaObject } from '@nestjs/swagger';
import type { FieldProblem } from './request-errors';

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

/** An RFC 9457 problem, with our stable `code` as an extension member. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  details?: Record<string, unknown>;
  errors?: readonly FieldProblem[];
}

/** Titles of the HTTP layer's own codes; other codes get a title spelled from the code. */
const TITLES: Readonly<Record<string, string>> = {
  VALIDATION_FAILED: 'Request validation failed',
  INVALID_HEADER: 'Invalid request header',
  MALFORMED_JSON: 'Malformed JSON body',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  NOT_FOUND: 'Not found',
  INTERNAL_ERROR: 'Internal error',
};

/**
 * `type` is a URN rather than a URL: nothing has to be hosted for it, and it
 * stays the same whichever host serves the API.
 */
export function problemType(code: string): string {
  return `urn:ledger:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** The same for every occurrence of a code, as RFC 9457 wants of a title. */
export function problemTitle(code: string): string {
  const known = TITLES[code];
  if (known) return known;
  // Abbreviations stay upper-case: "PO lines required", not "Po lines required".
  const words = code.toLowerCase().replaceAll('_', ' ').replace(/\b(po|id|msp)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function problem(fields: { code: string; status: number; detail: string; instance: string } & Pick<ProblemDetails, 'details' | 'errors'>): ProblemDetails {
  const { code, status, detail, instance, ...extensions } = fields;
  return { type: problemType(code), title: problemTitle(code), status, detail, instance, code, ...extensions };
}

/** OpenAPI 3.0 schema of a problem body (components.schemas.ProblemDetails of the document). */
export const problemDetailsSchema: SchemaObject = {
  type: 'object',
  description: 'An RFC 9457 problem. Match on `code` (stable); `detail` is for people and may change.',
  required: ['type', 'title', 'status', 'detail', 'instance', 'code'],
  properties: {
    type: { type: 'string', example: 'urn:ledger:problem:license-already-bound', description: '`urn:ledger:problem:` and the code in kebab case' },
    title: { type: 'string', example: 'License already bound', description: 'The same for every problem of this type' },
    status: { type: 'integer', example: 409 },
    detail: { type: 'string', example: 'license L-1 is already bound to device D-7' },
    instance: { type: 'string', example: '/v1/licenses/L-1/bind', description: 'Path of the request' },
    code: { type: 'string', example: 'LICENSE_ALREADY_BOUND', description: 'Stable machine-readable code' },
    details: { type: 'object', additionalProperties: true, description: 'Facts about a domain refusal a client can act on' },
    errors: {
      type: 'array',
      description: 'The offending parts of the request',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: {
          pointer: { type: 'string', example: '/lines/0/quantity', description: 'JSON pointer into the body, or /headers/<name>' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

export const PROBLEM_DETAILS_SCHEMA_NAME = 'ProblemDetails';

/** Where setupOpenApi puts problemDetailsSchema; use in `content: { 'application/problem+json': { schema: problemDetailsRef } }`. */
export const problemDetailsRef = { $ref: `#/components/schemas/${PROBLEM_DETAILS_SCHEMA_NAME}` };
