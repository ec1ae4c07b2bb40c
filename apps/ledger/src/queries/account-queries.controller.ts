import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { DomainError } from '@ledger/licensing';
import { LedgerQueries } from '@ledger/read-models';
import { IdParam } from '../commands/id-param';
import { ReadYourWrites } from '../read-models/read-your-writes';
import {
  ApiQueryResponses,
  CustomerInventoryQuery,
  CustomersQuery,
  DeploymentsQuery,
  InventoryQuery,
  PageQuery,
  PlainQuery,
  ZodQuery,
  checkedCursor,
  parseAsOf,
} from './query-params';
import { account, param, Policy, READERS } from '../auth/policy';

const UNKNOWN_ACCOUNT = 'ACCOUNT_NOT_FOUND: no such account';

/** Presence is checked by the queries themselves: null means no such account. */
function found<T>(answer: T | null, accountId: string): T {
  if (answer === null) throw new DomainError('ACCOUNT_NOT_FOUND', `account ${accountId} does not exist`, { accountId });
  return answer;
}

@ApiTags('queries')
@Controller('v1/accounts')
export class AccountQueriesController {
  constructor(
    private readonly queries: LedgerQueries,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  @Get(':id')
  @Policy({ roles: READERS, targets: [account(param())] })
  @ApiQueryResponses('An account: kind, parent, linked accounts, MSP portal validity (and whether it is still valid now)', UNKNOWN_ACCOUNT)
  async account(@IdParam() id: string, @ZodQuery(PlainQuery) query: z.infer<typeof PlainQuery>) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    return found(await this.queries.account(id, now), id);
  }

  @Get(':id/inventory')
  @Policy({ roles: READERS, targets: [account(param())] })
  @ApiQueryResponses(
    "The account's licenses: counts per model and state (expired: available or bound past validUntil, counted only there), and a page of licenses by License ID",
    UNKNOWN_ACCOUNT,
  )
  async inventory(@IdParam() id: string, @ZodQuery(InventoryQuery) query: z.infer<typeof InventoryQuery>) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    const asOf = parseAsOf(query.asOf, now);
    if (asOf) return { asOf: asOf.echo, ...found(await checkedCursor(() => this.queries.inventoryAsOf(id, asOf.value, query, now)), id) };
    return found(await checkedCursor(() => this.queries.inventory(id, query, now)), id);
  }

  @Get(':id/customer-inventory')
  @Policy({ roles: READERS, targets: [account(param())] })
  @ApiQueryResponses("The licenses of the partner's customers, with each license's owner: counts per model and state, and a page of licenses", UNKNOWN_ACCOUNT)
  async customerInventory(@IdParam() id: string, @ZodQuery(CustomerInventoryQuery) query: z.infer<typeof CustomerInventoryQuery>) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    return found(await checkedCursor(() => this.queries.customerInventory(id, query, now)), id);
  }

  @Get(':id/customers')
  @Policy({ roles: READERS, targets: [account(param())] })
  @ApiQueryResponses("The partner's customers by name (q: a case-insensitive part of it), with linked accounts and MSP portal validity", UNKNOWN_ACCOUNT)
  async customers(@IdParam() id: string, @ZodQuery(CustomersQuery) query: z.infer<typeof CustomersQuery>) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    return found(await checkedCursor(() => this.queries.customers(id, query, now)), id);
  }

  @Get(':id/devices')
  @Policy({ roles: READERS, targets: [account(param())] })
  @ApiQueryResponses("The account's devices, the soonest to expire first (those that never expire last)", UNKNOWN_ACCOUNT)
  async devices(@IdParam() id: string, @ZodQuery(PageQuery) query: z.infer<typeof PageQuery>) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    return found(await checkedCursor(() => this.queries.devices(id, query, now)), id);
  }

  @Get(':id/deployments')
  @Policy({ roles: READERS, targets: [account(param())] })
  @ApiQueryResponses('Deployments the account owns or created, oldest first, with state and maintenance date', UNKNOWN_ACCOUNT)
  async deployments(@IdParam() id: string, @ZodQuery(DeploymentsQuery) query: z.infer<typeof DeploymentsQuery>) {
    await this.readYourWrites.waitFor(query.minPosition);
    return found(await checkedCursor(() => this.queries.deployments(id, query)), id);
  }
}
