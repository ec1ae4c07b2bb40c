import { Body, Controller, Delete, Get, Inject, Param, type PipeTransform, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyDirectory, type CommandEnvelope, CreateApiKeyCommand, RevokeApiKeyCommand } from '@ledger/application';
import { ROLES } from '@ledger/licensing';
import { CommandSender, type HttpResponse as Response, now } from '../commands/command-sender';
import { ApiCommandResponses } from '../commands/responses';
import { Id, Instant, Text } from '../commands/schemas';
import { CommandContext } from '../http/command-context';
import { RequestValidationError } from '../http/request-errors';
import { ZodBody, parseBody } from '../http/zod-body';
import { ZodQuery } from '../queries/query-params';
import { KEY_ID, digestApiKey, generateApiKey } from './credentials';
import { LEDGER_SECRET } from './auth.tokens';
import { CurrentPrincipal } from './current-principal';
import type { Principal } from './principal';
import { KEY_MANAGERS, Policy, account, apiKey, body, param, query } from './policy';

export const CreateApiKeyBody = z.strictObject({
  accountId: Id,
  role: z.enum(ROLES),
  name: Text(100).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII'),
  deviceId: Id.optional(),
  serverId: z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters without spaces').optional(),
  expiresAt: Instant.optional(),
});
const RevokeApiKeyBody = z.strictObject({ reason: Text(500).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII').optional() });
const ListQuery = z.strictObject({
  accountId: Id.optional(),
  limit: z.string().regex(/^\d{1,3}$/, 'limit must be an integer from 1 to 500').transform(Number).pipe(z.number().int().min(1, 'limit must be an integer from 1 to 500').max(500, 'limit must be an integer from 1 to 500')).default(100),
  cursor: z.string().regex(KEY_ID, 'must be the nextCursor of an earlier page').optional(),
});

const keyIdPipe: PipeTransform<string, string> = {
  transform(value: string) {
    if (!KEY_ID.test(value)) throw new RequestValidationError([{ pointer: '/path/keyId', detail: 'must be a key id (the 12 characters after ldg_)' }]);
    return value;
  },
};

@ApiTags('api keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(
    private readonly commands: CommandSender,
    private readonly keys: ApiKeyDirectory,
    @Inject(LEDGER_SECRET) private readonly secret: Buffer,
  ) {}

  @Post()
  @Policy({ roles: KEY_MANAGERS, targets: [account(body('accountId'))] })
  @ApiCommandResponses(
    'CreateApiKey: a key for an account in your scope, with a role you may grant; `key` is shown in this answer only (a retry with the same Idempotency-Key answers without it)',
  )
  async create(
    @ZodBody(CreateApiKeyBody) input: z.infer<typeof CreateApiKeyBody>,
    @CurrentPrincipal() principal: Principal,
    @CommandContext() envelope: CommandEnvelope,
    @Res({ passthrough: true }) res: Response,
  ) {
    const fresh = generateApiKey();
    const command = new CreateApiKeyCommand(
      {
        now: now(),
        keyId: fresh.keyId,
        prefix: fresh.prefix,
        accountId: input.accountId,
        role: input.role,
        name: input.name,
        deviceId: input.deviceId ?? null,
        serverId: input.serverId ?? null,
        expiresAt: input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString(),
        grantorRole: principal.role,
        digest: digestApiKey(this.secret, fresh.key),
      },
      envelope,
    );
    const answer = await this.commands.send(command, res);
    // A replay answers the first key, whose secret this process never saw: it is not sent again.
    return answer.keyId === fresh.keyId ? { ...answer, name: input.name, key: fresh.key } : { ...answer, name: input.name };
  }

  @Get()
  @Policy({ roles: ['admin', 'auditor', 'partner'], targets: [account(query('accountId'))], scopedList: true })
  @ApiOperation({ summary: 'API keys of one account (default: your own; admins and auditors: every account), by key id; never the keys themselves' })
  @ApiOkResponse({ description: '{ items, nextCursor }' })
  async list(@ZodQuery(ListQuery) q: z.infer<typeof ListQuery>, @CurrentPrincipal() principal: Principal) {
    const global = principal.role === 'admin' || principal.role === 'auditor';
    const accounts = q.accountId !== undefined ? [q.accountId] : global ? null : [principal.accountId];
    const rows = await this.keys.list(accounts, q.limit + 1, q.cursor);
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.keyId ?? null) : null };
  }

  @Delete(':keyId')
  @Policy({ roles: KEY_MANAGERS, targets: [apiKey(param('keyId'))] })
  @ApiCommandResponses('RevokeApiKey: refused from the next request on, in every process; revoking again records nothing')
  async revoke(
    @Param('keyId', keyIdPipe) keyId: string,
    @Body() raw: unknown,
    @CommandContext() envelope: CommandEnvelope,
    @Res({ passthrough: true }) res: Response,
  ) {
    const input = parseBody(RevokeApiKeyBody, raw ?? {});
    return this.commands.send(new RevokeApiKeyCommand({ now: now(), keyId, reason: input.reason ?? null }, envelope), res);
  }
}
