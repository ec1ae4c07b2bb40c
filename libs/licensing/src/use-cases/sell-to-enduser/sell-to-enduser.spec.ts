import type { Emitted } from '../../decision';
import type { ModelTerms } from '../../events';
import { deriveId } from '../../ids';
import { given } from '../../testing';
import {
  licenseBoundToDevice, licenseDeployed, licenseHandedOn, licenseIssued, licenseRevoked, licenseSuperseded, licenseUninstalled, terms, twoPartners,
} from '../../test-builders';
import { type SellToEnduser, sellToEnduser } from './sell-to-enduser.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365 });
const CAM = terms({ code: 'CAM-CH-1YR', category: 'channel', bindsTo: 'channel', termDays: 365 });
const SRV = terms({ code: 'SRV-PERP', category: 'capacity', bindsTo: 'deployment', termDays: null });

function world() {
  return { ...twoPartners(id, [AP, CAM, SRV]), seed: id() };
}
type World = ReturnType<typeof world>;

function owned(ownerId: string, model: ModelTerms, o: { forcedActivationDate?: string; issuedAt?: string } = {}): [string, Emitted[]] {
  const licenseId = id();
  return [licenseId, licenseIssued({ licenseId, ownerId, model, ...o })];
}

const sell = (w: World, lines: SellToEnduser['lines'], o: Partial<SellToEnduser> = {}): SellToEnduser => ({
  now: NOW, sellerId: w.partnerId, buyerId: w.customerId, lines, successorSeed: w.seed, ...o,
});

describe('SellToEnduser', () => {
  it('sells by quantity, picking earliest expiry first, then the oldest', () => {
    const w = world();
    const [laterExpiry, a] = owned(w.partnerId, AP, { forcedActivationDate: '2025-03-01T00:00:00.000Z' });
    const [earliestExpiry, b] = owned(w.partnerId, AP, { forcedActivationDate: '2025-01-15T00:00:00.000Z' });
    const [newer, c] = owned(w.partnerId, AP, { issuedAt: '2025-01-03T00:00:00.000Z' });
    const [older, d] = owned(w.partnerId, AP, { issuedAt: '2025-01-02T00:00:00.000Z' });
    const events = [...w.events, ...c, ...a, ...d, ...b];
    given(events)
      .when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 3 }]))
      .then([
        ...licenseHandedOn({ licenseId: earliestExpiry, successorId: deriveId(w.seed, 0), toAccountId: w.customerId, model: AP, reason: 'sale', at: NOW, forcedActivationDate: '2025-01-15T00:00:00.000Z' }),
        ...licenseHandedOn({ licenseId: laterExpiry, successorId: deriveId(w.seed, 1), toAccountId: w.customerId, model: AP, reason: 'sale', at: NOW, forcedActivationDate: '2025-03-01T00:00:00.000Z' }),
        ...licenseHandedOn({ licenseId: older, successorId: deriveId(w.seed, 2), toAccountId: w.customerId, model: AP, reason: 'sale', at: NOW }),
      ]);
    const result = given(events).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 4 }])).decision().result;
    expect(result.supersededIds).toEqual([earliestExpiry, laterExpiry, older, newer]);
    expect(result.licenseIds).toEqual([0, 1, 2, 3].map((i) => deriveId(w.seed, i)));
  });

  it('never picks a license whose term ran out unused, nor counts it as available', () => {
    const w = world();
    const [, dead] = owned(w.partnerId, AP, { forcedActivationDate: '2024-05-01T00:00:00.000Z' });
    const [fresh, alive] = owned(w.partnerId, AP);
    const events = [...w.events, ...dead, ...alive];
    expect(given(events).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 1 }])).decision().result.supersededIds).toEqual([fresh]);
    given(events).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 2 }])).thenRefused('INSUFFICIENT_LICENSES', { requested: 2, available: 1 });
  });

  it('sells by License ID, and lines of several models', () => {
    const w = world();
    const [named, a] = owned(w.partnerId, AP);
    const [cam, b] = owned(w.partnerId, CAM);
    given([...w.events, ...a, ...b])
      .when(sellToEnduser, sell(w, [{ licenseId: named }, { modelCode: CAM.code, quantity: 1 }]))
      .then([
        ...licenseHandedOn({ licenseId: named, successorId: deriveId(w.seed, 0), toAccountId: w.customerId, model: AP, reason: 'sale', at: NOW }),
        ...licenseHandedOn({ licenseId: cam, successorId: deriveId(w.seed, 1), toAccountId: w.customerId, model: CAM, reason: 'sale', at: NOW }),
      ]);
  });

  it('does not pick a license also named by its ID', () => {
    const w = world();
    const [first, a] = owned(w.partnerId, AP, { issuedAt: '2025-01-01T00:00:00.000Z' });
    const [second, b] = owned(w.partnerId, AP, { issuedAt: '2025-01-02T00:00:00.000Z' });
    const result = given([...w.events, ...a, ...b]).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 1 }, { licenseId: first }])).decision().result;
    expect(result.supersededIds).toEqual([first, second]);
  });

  it('the sold licenses are no longer available to the seller', () => {
    const w = world();
    const [, a] = owned(w.partnerId, AP);
    const decision = given([...w.events, ...a]).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 1 }])).decision();
    const again = given([...w.events, ...a, ...decision.events])
      .when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 1 }]))
      .thenRefused('INSUFFICIENT_LICENSES', { requested: 1, available: 0 });
    expect(again.kind).toBe('rule');
  });

  it("refuses a buyer that is not the seller's end user (NOT_AN_END_USER)", () => {
    const w = world();
    const [, a] = owned(w.partnerId, AP);
    for (const buyerId of [w.othersCustomerId, w.otherPartnerId]) {
      const refusal = given([...w.events, ...a]).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 1 }], { buyerId })).thenRefused('NOT_AN_END_USER', { accountId: buyerId });
      expect(refusal.kind).toBe('rule');
      expect(refusal.pointer).toBe('/buyerId');
    }
  });

  it('refuses a license named by ID that is bound, deployed, superseded, revoked or uninstalled', () => {
    const w = world();
    const cases: [string, Emitted[], 'LICENSE_BOUND' | 'LICENSE_DEPLOYED' | 'LICENSE_SUPERSEDED' | 'LICENSE_REVOKED' | 'LICENSE_UNINSTALLED'][] = [];
    {
      const [licenseId, issued] = owned(w.partnerId, AP);
      cases.push([licenseId, [...issued, ...licenseBoundToDevice({ licenseId, deviceId: id(), category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' })], 'LICENSE_BOUND']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId, SRV);
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, id())], 'LICENSE_DEPLOYED']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId, AP);
      cases.push([licenseId, [...issued, ...licenseSuperseded({ licenseId, successorId: id(), toAccountId: w.customerId })], 'LICENSE_SUPERSEDED']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId, AP);
      cases.push([licenseId, [...issued, ...licenseRevoked(licenseId)], 'LICENSE_REVOKED']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId, SRV);
      const deploymentId = id();
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, deploymentId), ...licenseUninstalled(licenseId, deploymentId)], 'LICENSE_UNINSTALLED']);
    }
    for (const [licenseId, history, code] of cases) {
      const refusal = given([...w.events, ...history]).when(sellToEnduser, sell(w, [{ licenseId }])).thenRefused(code, { licenseId });
      expect(refusal.kind).toBe('rule');
      expect(refusal.pointer).toBe('/lines/0/licenseId');
    }
  });

  it('refuses more licenses than available (INSUFFICIENT_LICENSES), bound and deployed ones not counted', () => {
    const w = world();
    const [bound, a] = owned(w.partnerId, AP);
    const [, b] = owned(w.partnerId, AP);
    const [, c] = owned(w.partnerId, AP);
    const events = [...w.events, ...a, ...b, ...c, ...licenseBoundToDevice({ licenseId: bound, deviceId: id(), category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' })];
    const refusal = given(events).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 3 }])).thenRefused('INSUFFICIENT_LICENSES', { modelCode: AP.code, requested: 3, available: 2 });
    expect(refusal.kind).toBe('rule');
    expect(refusal.pointer).toBe('/lines/0/quantity');
  });

  it('adds up lines of the same model', () => {
    const w = world();
    const [, a] = owned(w.partnerId, AP);
    const [, b] = owned(w.partnerId, AP);
    given([...w.events, ...a, ...b])
      .when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 2 }, { modelCode: AP.code, quantity: 1 }]))
      .thenRefused('INSUFFICIENT_LICENSES', { requested: 3, available: 2 });
  });

  it('counts the available licenses of the model asked, whatever other licenses are named by ID', () => {
    const w = world();
    const [named, a] = owned(w.partnerId, CAM);
    const [, b] = owned(w.partnerId, AP);
    const refusal = given([...w.events, ...a, ...b])
      .when(sellToEnduser, sell(w, [{ licenseId: named }, { modelCode: AP.code, quantity: 2 }]))
      .thenRefused('INSUFFICIENT_LICENSES', { modelCode: AP.code, requested: 2, available: 1 });
    expect(refusal.pointer).toBe('/lines/1/quantity');
  });

  it("refuses a license of another account named by ID (LICENSE_NOT_OWNED)", () => {
    const w = world();
    const [licenseId, a] = owned(w.otherPartnerId, AP);
    expect(given([...w.events, ...a]).when(sellToEnduser, sell(w, [{ licenseId }])).thenRefused('LICENSE_NOT_OWNED', { licenseId }).kind).toBe('rule');
  });

  it('refuses no lines and a license named twice (INVALID_COMMAND), and a quantity that is not positive', () => {
    const w = world();
    const [licenseId, a] = owned(w.partnerId, AP);
    expect(given([...w.events, ...a]).when(sellToEnduser, sell(w, [])).thenRefused('INVALID_COMMAND').kind).toBe('invalid');
    expect(given([...w.events, ...a]).when(sellToEnduser, sell(w, [{ licenseId }, { licenseId }])).thenRefused('INVALID_COMMAND').pointer).toBe('/lines/1/licenseId');
    expect(given([...w.events, ...a]).when(sellToEnduser, sell(w, [{ modelCode: AP.code, quantity: 0 }])).thenRefused('QUANTITY_NOT_POSITIVE').pointer).toBe('/lines/0/quantity');
  });
});
