import { Controller, Get, Inject } from '@nestjs/common';
import { VENDOR_ACCOUNT } from '@ledger/application';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { DomainError } from '@ledger/licensing';
import { LedgerQueries } from '@ledger/read-models';
import { CurrentPrincipal } from '../auth/current-principal';
import type { Principal } from '../auth/principal';
import { ScopeResolver } from '../auth/scope.resolver';
import { IdParam } from '../commands/id-param';
import { ReadYourWrites } from '../read-models/read-your-writes';
import { ApiQueryResponses, AsOfQuery, ExpiringQuery, SearchQuery, ZodQuery, checkedCursor, parseAsOf } from './query-params';
import { device, license, param, Policy, READERS } from '../auth/policy';

@ApiTags('queries')
@Controller('v1')
export class LedgerQueriesController {
  constructor(
    private readonly queries: LedgerQueries,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(VENDOR_ACCOUNT) private readonly vendor: { accountId: string },
    private readonly scope: ScopeResolver,
  ) {}

  @Get('licenses/:id')
  @Policy({ roles: READERS, targets: [license(param())] })
  @ApiQueryResponses(
    'A license: model, owner, state, binding, activation and expiry, deployment, key and PO, lineage both ways (predecessors oldest first, successors); asOf: as it was then',
    'LICENSE_NOT_FOUND: no such license (or not yet at asOf)',
  )
  async license(@IdParam() id: string, @ZodQuery(AsOfQuery) query: z.infer<typeof AsOfQuery>, @CurrentPrincipal() principal: Principal) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    const asOf = parseAsOf(query.asOf, now);
    const answer = asOf ? await this.queries.licenseAsOf(id, asOf.value, now) : await this.queries.license(id, now);
    if (answer === null) throw new DomainError('LICENSE_NOT_FOUND', `license ${id} does not exist${asOf ? ' at that moment' : ''}`, { licenseId: id });
    // Hand-offs lead to other accounts (a sibling customer, a linked account): the caller sees only the part of the lineage in its scope.
    const visible = await this.scope.within(principal, this.vendor.accountId, [...answer.predecessors, ...answer.successors].map((l) => l.ownerId));
    const scoped = { ...answer, predecessors: answer.predecessors.filter((l) => visible.has(l.ownerId)), successors: answer.successors.filter((l) => visible.has(l.ownerId)) };
    return asOf ? { asOf: asOf.echo, ...scoped } : scoped;
  }

  @Get('devices/:id')
  @Policy({ roles: [...READERS, 'device'], targets: [device(param())] })
  @ApiQueryResponses(
    'A device: owner, serial, model, channels, validity per category and channel, its licenses by category, earliest expiry; asOf: as it was then',
    'DEVICE_NOT_FOUND: no such device (or not yet at asOf)',
  )
  async device(@IdParam() id: string, @ZodQuery(AsOfQuery) query: z.infer<typeof AsOfQuery>) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    const asOf = parseAsOf(query.asOf, now);
    const answer = asOf ? await this.queries.deviceAsOf(id, asOf.value, now) : await this.queries.device(id, now);
    if (answer === null) throw new DomainError('DEVICE_NOT_FOUND', `device ${id} does not exist${asOf ? ' at that moment' : ''}`, { deviceId: id });
    return asOf ? { asOf: asOf.echo, ...answer } : answer;
  }

  @Get('search')
  @Policy({ roles: READERS, scopedList: true })
  @ApiQueryResponses(
    'Accounts by name (case-insensitive part), a PO number, a key code (dashes and case ignored), a License ID, a device serial (spaces and case ignored); no match is an empty page',
  )
  async search(@ZodQuery(SearchQuery) query: z.infer<typeof SearchQuery>, @CurrentPrincipal() principal: Principal) {
    await this.readYourWrites.waitFor(query.minPosition);
    return checkedCursor(() => this.queries.search(query.q, { ...query, ...this.scopeOf(principal) }));
  }

  @Get('expiring')
  @Policy({ roles: READERS, scopedList: true })
  @ApiQueryResponses('Licenses (available or bound) and devices whose validity ends within the next `days` days, soonest first')
  async expiring(@ZodQuery(ExpiringQuery) query: z.infer<typeof ExpiringQuery>, @CurrentPrincipal() principal: Principal) {
    const now = new Date().toISOString();
    await this.readYourWrites.waitFor(query.minPosition);
    return checkedCursor(() => this.queries.expiring(query.days, { ...query, ...this.scopeOf(principal) }, now));
  }

  /** Lists cover the caller's account and those below it; the vendor's own callers see all, with no filter to pay for. */
  private scopeOf(principal: Principal): { within?: string } {
    return principal.accountId === this.vendor.accountId ? {} : { within: principal.accountId };
  }
}
