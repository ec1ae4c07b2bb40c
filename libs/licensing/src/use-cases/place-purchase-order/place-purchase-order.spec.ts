import { given } from '../../testing';
import { modelDefined, partner, purchaseOrderPlaced, terms, vendorOpened } from '../../test-builders';
import { MAX_KEY_QUANTITY, type PlacePurchaseOrder, placePurchaseOrder } from './place-purchase-order.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC', deviceModels: ['AP-1'] });
const CAM = terms({ code: 'CAM-CH-1YR', category: 'channel', bindsTo: 'channel' });

function world() {
  const vendorId = id();
  const buyerId = id();
  const poNumber = `PO-${id()}`;
  return { buyerId, poNumber, events: [...vendorOpened(vendorId), ...partner(buyerId, vendorId), ...modelDefined(AP), ...modelDefined(CAM)] };
}

function place(w: { buyerId: string; poNumber: string }, o: Partial<PlacePurchaseOrder> = {}): PlacePurchaseOrder {
  return {
    now: NOW,
    poNumber: w.poNumber,
    buyerId: w.buyerId,
    deliveryEmails: ['licenses@partner.example'],
    lines: [
      { modelCode: AP.code, quantity: 3 },
      { modelCode: CAM.code, quantity: 8, forcedActivationDate: '2025-07-01T00:00:00.000Z' },
    ],
    ...o,
  };
}

describe('PlacePurchaseOrder', () => {
  it('places the order with numbered lines', () => {
    const w = world();
    given(w.events)
      .when(placePurchaseOrder, place(w))
      .then([
        [
          `po-${w.poNumber}`,
          {
            type: 'PurchaseOrderPlaced',
            data: {
              poNumber: w.poNumber,
              buyerId: w.buyerId,
              deliveryEmails: ['licenses@partner.example'],
              lines: [
                { lineNo: 1, modelCode: AP.code, quantity: 3, forcedActivationDate: null },
                { lineNo: 2, modelCode: CAM.code, quantity: 8, forcedActivationDate: '2025-07-01T00:00:00.000Z' },
              ],
              placedAt: NOW,
            },
          },
        ],
      ]);
  });

  it('refuses an order without delivery e-mails (PO_DELIVERY_EMAILS_REQUIRED)', () => {
    const w = world();
    const refusal = given(w.events).when(placePurchaseOrder, place(w, { deliveryEmails: [] })).thenRefused('PO_DELIVERY_EMAILS_REQUIRED');
    expect(refusal.kind).toBe('invalid');
    expect(refusal.pointer).toBe('/deliveryEmails');
  });

  it('refuses an order without lines (PO_LINES_REQUIRED)', () => {
    const w = world();
    const refusal = given(w.events).when(placePurchaseOrder, place(w, { lines: [] })).thenRefused('PO_LINES_REQUIRED');
    expect(refusal.kind).toBe('invalid');
    expect(refusal.pointer).toBe('/lines');
  });

  it.each([0, -2, 1.5, Number.NaN])('refuses a line of quantity %p (QUANTITY_NOT_POSITIVE at /lines/0/quantity)', (quantity) => {
    const w = world();
    const refusal = given(w.events).when(placePurchaseOrder, place(w, { lines: [{ modelCode: AP.code, quantity }] })).thenRefused('QUANTITY_NOT_POSITIVE');
    expect(refusal.kind).toBe('invalid');
    expect(refusal.pointer).toBe('/lines/0/quantity');
  });

  it('points at the line whose quantity is wrong, and refuses more than a key can hold', () => {
    const w = world();
    const second = given(w.events)
      .when(placePurchaseOrder, place(w, { lines: [{ modelCode: AP.code, quantity: 1 }, { modelCode: AP.code, quantity: 0 }] }))
      .thenRefused('QUANTITY_NOT_POSITIVE', { quantity: 0 });
    expect(second.pointer).toBe('/lines/1/quantity');
    const tooMany = given(w.events)
      .when(placePurchaseOrder, place(w, { lines: [{ modelCode: AP.code, quantity: MAX_KEY_QUANTITY + 1 }] }))
      .thenRefused('QUANTITY_TOO_LARGE', { max: MAX_KEY_QUANTITY });
    expect(tooMany.kind).toBe('invalid');
  });

  it('refuses a PO number used twice (PO_NUMBER_TAKEN)', () => {
    const w = world();
    const refusal = given([...w.events, ...purchaseOrderPlaced({ poNumber: w.poNumber, buyerId: w.buyerId, lines: [{ modelCode: AP.code, quantity: 1 }] })])
      .when(placePurchaseOrder, place(w))
      .thenRefused('PO_NUMBER_TAKEN', { poNumber: w.poNumber });
    expect(refusal.kind).toBe('conflict');
  });

  it('refuses an unknown model (LICENSE_MODEL_NOT_FOUND)', () => {
    const w = world();
    const refusal = given(w.events)
      .when(placePurchaseOrder, place(w, { lines: [{ modelCode: AP.code, quantity: 1 }, { modelCode: 'NO-SUCH-MODEL', quantity: 1 }] }))
      .thenRefused('LICENSE_MODEL_NOT_FOUND', { modelCode: 'NO-SUCH-MODEL' });
    expect(refusal.kind).toBe('not_found');
    expect(refusal.pointer).toBe('/lines/1/modelCode');
  });

  it('refuses an unknown buyer (ACCOUNT_NOT_FOUND)', () => {
    const w = world();
    const refusal = given(w.events).when(placePurchaseOrder, place(w, { buyerId: id() })).thenRefused('ACCOUNT_NOT_FOUND');
    expect(refusal.kind).toBe('not_found');
    expect(refusal.pointer).toBe('/buyerId');
  });
});
