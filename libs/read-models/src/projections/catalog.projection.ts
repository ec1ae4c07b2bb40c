import type { RecordedEvent } from '@ledger/event-store';
import type { PurchaseOrderLine } from '@ledger/licensing';
import { type ReadModel, type Rows, type TableSpec, instant } from '../read-model';
import { ledgerEvent } from './event';

export interface LicenseModelRow {
  code: string;
  name: string;
  category: string;
  binds_to: string;
  term_days: number | null;
  seats: number;
  device_models: string[];
  defined_at: string;
  last_position: number;
}

export interface PurchaseOrderRow {
  po_number: string;
  buyer_id: string;
  delivery_emails: string[];
  lines: PurchaseOrderLine[];
  key_codes: string[];
  placed_at: string;
  fulfilled_at: string | null;
  last_position: number;
}

export interface KeyRow {
  key_code: string;
  /** The code without its dashes: what search compares, however it was typed. */
  key_norm: string;
  po_number: string;
  line_no: number;
  buyer_id: string;
  model_code: string;
  quantity: number;
  valid_until: string | null;
  forced_activation_date: string | null;
  issued_at: string;
  claimed_by: string | null;
  claimed_at: string | null;
  last_position: number;
}

export const MODELS_TABLE: TableSpec = {
  name: 'rm_license_models',
  key: 'code',
  columns: { code: 'text', name: 'text', category: 'text', binds_to: 'text', term_days: 'integer', seats: 'integer', device_models: 'jsonb', defined_at: 'instant', last_position: 'bigint' },
};

export const PURCHASE_ORDERS_TABLE: TableSpec = {
  name: 'rm_purchase_orders',
  key: 'po_number',
  columns: {
    po_number: 'text', buyer_id: 'text', delivery_emails: 'jsonb', lines: 'jsonb', key_codes: 'jsonb', placed_at: 'instant', fulfilled_at: 'instant', last_position: 'bigint',
  },
  indexes: [{ columns: ['buyer_id', 'placed_at', 'po_number'] }],
};

export const KEYS_TABLE: TableSpec = {
  name: 'rm_keys',
  key: 'key_code',
  columns: {
    key_code: 'text', key_norm: 'text', po_number: 'text', line_no: 'integer', buyer_id: 'text', model_code: 'text', quantity: 'integer',
    valid_until: 'instant', forced_activation_date: 'instant', issued_at: 'instant', claimed_by: 'text', claimed_at: 'instant', last_position: 'bigint',
  },
  indexes: [{ columns: ['key_norm'] }, { columns: ['po_number'] }],
};

/** License models, purchase orders and their keys. */
export const catalogProjection: ReadModel = {
  name: 'catalog',
  version: 1,
  tables: [MODELS_TABLE, PURCHASE_ORDERS_TABLE, KEYS_TABLE],
  touches(e: RecordedEvent) {
    switch (e.type) {
      case 'LicenseModelDefined': return [[MODELS_TABLE.name, String(e.data.code)]];
      case 'PurchaseOrderPlaced':
      case 'PurchaseOrderFulfilled': return [[PURCHASE_ORDERS_TABLE.name, String(e.data.poNumber)]];
      case 'LicenseKeyIssued':
      case 'KeyClaimed': return [[KEYS_TABLE.name, String(e.data.keyCode)]];
      default: return [];
    }
  },
  apply(rows: Rows, e: RecordedEvent) {
    const event = ledgerEvent(e);
    switch (event.type) {
      case 'LicenseModelDefined': {
        const d = event.data;
        const row: LicenseModelRow = {
          code: d.code, name: d.name, category: d.category, binds_to: d.bindsTo, term_days: d.termDays, seats: d.seats,
          device_models: d.deviceModels, defined_at: instant(d.definedAt), last_position: e.globalPosition,
        };
        rows.put(MODELS_TABLE.name, { ...row });
        return;
      }
      case 'PurchaseOrderPlaced': {
        const d = event.data;
        const row: PurchaseOrderRow = {
          po_number: d.poNumber, buyer_id: d.buyerId, delivery_emails: d.deliveryEmails, lines: d.lines, key_codes: [],
          placed_at: instant(d.placedAt), fulfilled_at: null, last_position: e.globalPosition,
        };
        rows.put(PURCHASE_ORDERS_TABLE.name, { ...row });
        return;
      }
      case 'PurchaseOrderFulfilled': {
        const row = rows.get<PurchaseOrderRow & Record<string, unknown>>(PURCHASE_ORDERS_TABLE.name, event.data.poNumber);
        if (row) rows.put(PURCHASE_ORDERS_TABLE.name, { ...row, key_codes: event.data.keys.map((k) => k.keyCode), fulfilled_at: instant(event.data.fulfilledAt), last_position: e.globalPosition });
        return;
      }
      case 'LicenseKeyIssued': {
        const d = event.data;
        const row: KeyRow = {
          key_code: d.keyCode, key_norm: d.keyCode.replace(/-/g, ''), po_number: d.poNumber, line_no: d.lineNo, buyer_id: d.buyerId,
          model_code: d.modelCode, quantity: d.quantity, valid_until: instant(d.validUntil), forced_activation_date: instant(d.forcedActivationDate),
          issued_at: instant(d.issuedAt), claimed_by: null, claimed_at: null, last_position: e.globalPosition,
        };
        rows.put(KEYS_TABLE.name, { ...row });
        return;
      }
      case 'KeyClaimed': {
        const row = rows.get(KEYS_TABLE.name, event.data.keyCode);
        if (row) rows.put(KEYS_TABLE.name, { ...row, claimed_by: event.data.accountId, claimed_at: instant(event.data.claimedAt), last_position: e.globalPosition });
        return;
      }
    }
  },
};
