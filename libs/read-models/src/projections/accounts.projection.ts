import type { RecordedEvent } from '@ledger/event-store';
import { type ReadModel, type Rows, type TableSpec, instant } from '../read-model';
import { ledgerEvent } from './event';

export interface AccountRow {
  account_id: string;
  kind: string;
  name: string;
  /** Lower-cased name: the sort key of customer lists and the haystack of search. */
  name_key: string;
  parent_id: string | null;
  emails: string[];
  linked: string[];
  msp_portal_valid_until: string | null;
  opened_at: string;
  last_position: number;
}

export const ACCOUNTS_TABLE: TableSpec = {
  name: 'rm_accounts',
  key: 'account_id',
  columns: {
    account_id: 'text',
    kind: 'text',
    name: 'text',
    name_key: 'text',
    parent_id: 'text',
    emails: 'jsonb',
    linked: 'jsonb',
    msp_portal_valid_until: 'instant',
    opened_at: 'instant',
    last_position: 'bigint',
  },
  indexes: [
    { columns: ['parent_id', 'name_key', 'account_id'] },
    // Search by any part of a name (LIKE '%…%' on the lower-cased name).
    { columns: ['name_key'], trigram: true },
  ],
};

/** Accounts: partners' customers, linked accounts, MSP portal validity. */
export const accountsProjection: ReadModel = {
  name: 'accounts',
  version: 1,
  tables: [ACCOUNTS_TABLE],
  touches: (e: RecordedEvent) => (e.streamId.startsWith('account-') ? [[ACCOUNTS_TABLE.name, String(e.data.accountId)]] : []),
  apply(rows: Rows, e: RecordedEvent) {
    const event = ledgerEvent(e);
    const t = ACCOUNTS_TABLE.name;
    if (event.type === 'AccountOpened') {
      const d = event.data;
      const row: AccountRow = {
        account_id: d.accountId, kind: d.kind, name: d.name, name_key: d.name.toLowerCase(), parent_id: d.parentId,
        emails: d.emails, linked: [], msp_portal_valid_until: null, opened_at: instant(d.openedAt), last_position: e.globalPosition,
      };
      rows.put(t, { ...row });
      return;
    }
    const row = rows.get<AccountRow & Record<string, unknown>>(t, String(e.data.accountId));
    if (!row) return;
    switch (event.type) {
      case 'AccountLinked':
        rows.put(t, { ...row, linked: [...row.linked, event.data.linkedAccountId], last_position: e.globalPosition });
        return;
      case 'MspPortalExtended':
      case 'MspPortalShortened':
        rows.put(t, { ...row, msp_portal_valid_until: instant(event.data.validUntil), last_position: e.globalPosition });
        return;
    }
  },
};
