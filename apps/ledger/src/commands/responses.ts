import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOperation, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { problemDetailsRef } from '../http/problem-details';

const problem = { 'application/problem+json': { schema: problemDetailsRef } };

/** The answers every command route gives, for the OpenAPI document. */
export function ApiCommandResponses(summary: string) {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiCreatedResponse({ description: 'Done (or, with a reused Idempotency-Key, the first response again with Idempotent-Replayed: true). `position` is the global position of the last event written.' }),
    ApiBadRequestResponse({ description: 'Malformed input: a path id, header or body field (VALIDATION_FAILED, INVALID_HEADER, or a domain code of kind invalid)', content: problem }),
    ApiNotFoundResponse({ description: 'Something the command names does not exist', content: problem }),
    ApiConflictResponse({ description: 'Clashes with what the ledger holds (e.g. KEY_ALREADY_CLAIMED, LICENSE_ALREADY_BOUND)', content: problem }),
    ApiUnprocessableEntityResponse({ description: 'Refused by a rule (e.g. INSUFFICIENT_LICENSES, NOT_AN_END_USER); nothing was written', content: problem }),
  );
}
