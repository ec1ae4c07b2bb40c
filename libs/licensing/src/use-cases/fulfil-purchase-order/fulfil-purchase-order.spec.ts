import { given } from '../../testing';
import { keyCodeFor, keyIssued, modelDefined, partner, purchaseOrderPlaced, terms, vendorOpened } from '../../test-builders';
import { type FulfilPurchaseOrder, fulfilPurchaseOrder } from './fulfil-purchase-order.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const VALID_UNTIL = '2026-06-01T00:00:00.000Z';
const FORCED = '2025-07-01T00:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC' });
const CAM = terms({ code: 'CAM-CH-1YR', category: 'channel', bindsTo: 'channel' });

function world() {
  const vendorId = id();
  const buyerId = id();
  const poNumber = `PO-${id()}`;
  const events = [
    ...vendorOpened(vendorId),
    ...partner(buyerId, vendorId),
    ...modelDefined(AP),
    ...modelDefined(CAM),
    ...purchaseOrderPlaced({ poNumber, buyerId, lines: [{ modelCode: AP.code, quantity: 3 }, { modelCode: CAM.code, quantity: 8, forcedActivationDate: FORCED }] }),
  ];
  return { buyerId, poNumber, events, keyCodes: [keyCodeFor(id()), keyCodeFor(id())] };
}

const fulfil = (w: { poNumber: string; keyCodes: string[] }, o: Partial<FulfilPurchaseOrder> = {}): FulfilPurchaseOrder => ({ now: NOW, poNumber: w.poNumber, keyCodes: w.keyCodes, validUntil: VALID_UNTIL, ...o });

describe('FulfilPurchaseOrder', () => {
  it('issues one key per order line', () => {
    const w = world();
    const [k1, k2] = w.keyCodes as [string, string];
    const keys = [
      { keyCode: k1, lineNo: 1, modelCode: AP.code, quantity: 3 },
      { keyCode: k2, lineNo: 2, modelCode: CAM.code, quantity: 8 },
    ];
    given(w.events)
      .when(fulfilPurchaseOrder, fulfil(w))
      .then([
        [`po-${w.poNumber}`, { type: 'PurchaseOrderFulfilled', data: { poNumber: w.poNumber, keys, fulfilledAt: NOW } }],
        ...keyIssued({ keyCode: k1, poNumber: w.poNumber, lineNo: 1, buyerId: w.buyerId, modelCode: AP.code, quantity: 3, validUntil: VALID_UNTIL, forcedActivationDate: null, issuedAt: NOW }),
        ...keyIssued({ keyCode: k2, poNumber: w.poNumber, lineNo: 2, buyerId: w.buyerId, modelCode: CAM.code, quantity: 8, validUntil: VALID_UNTIL, forcedActivationDate: FORCED, issuedAt: NOW }),
      ]);
    expect(given(w.events).when(fulfilPurchaseOrder, fulfil(w)).decision().result).toEqual({ poNumber: w.poNumber, keys });
  });

  it('uses the first key codes when given more than lines', () => {
    const w = world();
    const decision = given(w.events).when(fulfilPurchaseOrder, fulfil(w, { keyCodes: [...w.keyCodes, keyCodeFor(id())] })).decision();
    expect(decision.result.keys.map((k) => k.keyCode)).toEqual(w.keyCodes);
    expect(decision.events).toHaveLength(3);
  });

  it('records nothing when fulfilled again, and hands back the same keys', () => {
    const w = world();
    const first = given(w.events).when(fulfilPurchaseOrder, fulfil(w)).decision();
    const again = given([...w.events, ...first.events]).when(fulfilPurchaseOrder, fulfil(w, { keyCodes: [keyCodeFor(id()), keyCodeFor(id())], now: '2025-06-02T00:00:00.000Z' }));
    again.thenNothing();
    expect(again.decision().result).toEqual(first.result);
  });

  it('refuses an unknown purchase order (PURCHASE_ORDER_NOT_FOUND)', () => {
    const w = world();
    expect(given(w.events).when(fulfilPurchaseOrder, fulfil(w, { poNumber: 'PO-NONE' })).thenRefused('PURCHASE_ORDER_NOT_FOUND', { poNumber: 'PO-NONE' }).kind).toBe('not_found');
  });

  it('refuses too few, malformed or repeated key codes, and a code already in use (INVALID_COMMAND)', () => {
    const w = world();
    const [k1, k2] = w.keyCodes as [string, string];
    expect(given(w.events).when(fulfilPurchaseOrder, fulfil(w, { keyCodes: [k1] })).thenRefused('INVALID_COMMAND').kind).toBe('invalid');
    expect(given(w.events).when(fulfilPurchaseOrder, fulfil(w, { keyCodes: [k1, k2.toLowerCase()] })).thenRefused('INVALID_COMMAND').kind).toBe('invalid');
    expect(given(w.events).when(fulfilPurchaseOrder, fulfil(w, { keyCodes: [k1, k2.slice(0, -1) + (k2.endsWith('0') ? '1' : '0')] })).thenRefused('INVALID_COMMAND').kind).toBe('invalid');
    expect(given(w.events).when(fulfilPurchaseOrder, fulfil(w, { keyCodes: [k1, k1] })).thenRefused('INVALID_COMMAND').kind).toBe('invalid');
    const inUse = [...w.events, ...keyIssued({ keyCode: k2, buyerId: w.buyerId, modelCode: AP.code, quantity: 1 })];
    expect(given(inUse).when(fulfilPurchaseOrder, fulfil(w)).thenRefused('INVALID_COMMAND').kind).toBe('invalid');
  });
});
