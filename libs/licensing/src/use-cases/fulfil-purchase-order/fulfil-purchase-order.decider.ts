import type { Decider, Emitted } from '../../decision';
import { refuse } from '../../errors';
import type { IssuedKey } from '../../events';
import { parseKeyCode } from '../../ids';
import { streamId } from '../../streams';

export interface FulfilPurchaseOrder {
  now: string;
  poNumber: string;
  /**
   * Fresh key codes (formatted, with check symbol), at least one per order
   * line: key codes are secrets a customer types, so they come from a secure
   * random source outside the domain; the first ones are used.
   */
  keyCodes: string[];
  /** Until when the keys can be claimed; null: no limit. */
  validUntil: string | null;
}

export interface FulfilPurchaseOrderResult {
  poNumber: string;
  keys: IssuedKey[];
}

/** One license key per order line. Fulfilling again hands back the same keys. */
export const fulfilPurchaseOrder: Decider<FulfilPurchaseOrder, FulfilPurchaseOrderResult> = {
  name: 'FulfilPurchaseOrder',
  decide(c, facts) {
    const po = facts.purchaseOrder(c.poNumber);
    if (!po.exists) refuse('PURCHASE_ORDER_NOT_FOUND', `purchase order ${c.poNumber} does not exist`, { poNumber: c.poNumber });
    if (po.keys) return { events: [], result: { poNumber: c.poNumber, keys: po.keys } };
    const distinct = new Set(c.keyCodes.slice(0, po.lines.length)).size === po.lines.length;
    if (c.keyCodes.length < po.lines.length || !distinct || c.keyCodes.some((k) => parseKeyCode(k) !== k))
      refuse('INVALID_COMMAND', `fulfilment needs ${po.lines.length} distinct, well-formed fresh key codes`);
    const keys: IssuedKey[] = po.lines.map((line, i) => ({ keyCode: c.keyCodes[i]!, lineNo: line.lineNo, modelCode: line.modelCode, quantity: line.quantity }));
    // Reading the key streams makes the append expect them absent: a code can never be issued twice.
    facts.require(...keys.map((k) => streamId.key(k.keyCode)));
    for (const k of keys) if (facts.key(k.keyCode).exists) refuse('INVALID_COMMAND', 'a fresh key code is already in use; retry');
    const events: Emitted[] = [[streamId.purchaseOrder(c.poNumber), { type: 'PurchaseOrderFulfilled', data: { poNumber: c.poNumber, keys, fulfilledAt: c.now } }]];
    po.lines.forEach((line, i) => {
      const keyCode = keys[i]!.keyCode;
      events.push([
        streamId.key(keyCode),
        {
          type: 'LicenseKeyIssued',
          data: {
            keyCode,
            poNumber: c.poNumber,
            lineNo: line.lineNo,
            buyerId: po.buyerId,
            modelCode: line.modelCode,
            quantity: line.quantity,
            validUntil: c.validUntil,
            forcedActivationDate: line.forcedActivationDate,
            issuedAt: c.now,
          },
        },
      ]);
    });
    return { events, result: { poNumber: c.poNumber, keys } };
  },
};
