import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import type { PurchaseOrderLine } from '../../events';
import { existingAccount, requirePositive } from '../../rules';
import { streamId } from '../../streams';

/**
 * One key unzips into at most this many licenses. A claim is one append of at
 * most 100,000 events and writes up to three per license (issued, and bound or
 * applied to a portal, on two streams), plus the claim itself.
 */
export const MAX_KEY_QUANTITY = 30_000;

export interface PlacePurchaseOrder {
  now: string;
  poNumber: string;
  buyerId: string;
  deliveryEmails: string[];
  lines: { modelCode: string; quantity: number; forcedActivationDate?: string | null }[];
}

export const placePurchaseOrder: Decider<PlacePurchaseOrder, { poNumber: string }> = {
  name: 'PlacePurchaseOrder',
  decide(c, facts) {
    if (c.deliveryEmails.length === 0) refuse('PO_DELIVERY_EMAILS_REQUIRED', 'a purchase order needs at least one delivery e-mail address', {}, '/deliveryEmails');
    if (c.lines.length === 0) refuse('PO_LINES_REQUIRED', 'a purchase order needs at least one order line', {}, '/lines');
    c.lines.forEach((line, i) => {
      requirePositive(line.quantity, `/lines/${i}/quantity`);
      if (line.quantity > MAX_KEY_QUANTITY)
        refuse('QUANTITY_TOO_LARGE', `a line orders at most ${MAX_KEY_QUANTITY} licenses, got ${line.quantity}`, { quantity: line.quantity, max: MAX_KEY_QUANTITY }, `/lines/${i}/quantity`);
    });
    facts.require(streamId.purchaseOrder(c.poNumber), streamId.account(c.buyerId), ...c.lines.map((l) => streamId.model(l.modelCode)));
    if (facts.purchaseOrder(c.poNumber).exists) refuse('PO_NUMBER_TAKEN', `purchase order ${c.poNumber} already exists`, { poNumber: c.poNumber }, '/poNumber');
    existingAccount(facts, c.buyerId, '/buyerId');
    c.lines.forEach((line, i) => {
      if (!facts.model(line.modelCode).exists)
        refuse('LICENSE_MODEL_NOT_FOUND', `license model ${line.modelCode} is not defined`, { modelCode: line.modelCode }, `/lines/${i}/modelCode`);
    });
    const lines: PurchaseOrderLine[] = c.lines.map((l, i) => ({ lineNo: i + 1, modelCode: l.modelCode, quantity: l.quantity, forcedActivationDate: l.forcedActivationDate ?? null }));
    return {
      events: [
        [streamId.purchaseOrder(c.poNumber), { type: 'PurchaseOrderPlaced', data: { poNumber: c.poNumber, buyerId: c.buyerId, deliveryEmails: c.deliveryEmails, lines, placedAt: c.now } }],
      ],
      result: { poNumber: c.poNumber },
    };
  },
};
