import type { Emitted } from '../../decision';
import { deriveId, formatKeyCode } from '../../ids';
import { given } from '../../testing';
import {
  customer, deviceRegistered, keyClaimed, keyCodeFor, keyIssued, licenseBoundToDevice, licenseIssued, modelDefined, mspPortalExtended, partner, terms, vendorOpened,
} from '../../test-builders';
import { addDays } from '../../time';
import { type ClaimKey, claimKey } from './claim-key.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365, deviceModels: ['AP-1', 'AP-2'] });
const AP_PERPETUAL = terms({ code: 'AP-PERP', category: 'pro', bindsTo: 'device', termDays: null, deviceModels: ['AP-1', 'AP-2'] });
const CLOUD = terms({ code: 'CLOUD-AI-1YR', category: 'cloud-ai', bindsTo: 'device', termDays: 365 });
const MSP = terms({ code: 'MSP-30D', category: 'msp', bindsTo: 'msp-portal', termDays: 30 });

function world(o: { modelCode?: string; quantity?: number; validUntil?: string | null; forcedActivationDate?: string | null } = {}) {
  const vendorId = id();
  const partnerId = id();
  const keyCode = keyCodeFor(id());
  const poNumber = `PO-${id()}`;
  const events: Emitted[] = [
    ...vendorOpened(vendorId),
    ...partner(partnerId, vendorId),
    ...modelDefined(AP),
    ...modelDefined(AP_PERPETUAL),
    ...modelDefined(CLOUD),
    ...modelDefined(MSP),
    ...keyIssued({ keyCode, poNumber, buyerId: partnerId, modelCode: o.modelCode ?? AP.code, quantity: o.quantity ?? 3, validUntil: o.validUntil ?? null, forcedActivationDate: o.forcedActivationDate ?? null }),
  ];
  return { vendorId, partnerId, keyCode, poNumber, events, seed: id() };
}

const claim = (w: { keyCode: string; partnerId: string; seed: string }, o: Partial<ClaimKey> = {}): ClaimKey => ({
  now: NOW, keyCode: w.keyCode, accountId: w.partnerId, autoAssociate: false, licenseIdSeed: w.seed, ...o,
});

describe('ClaimKey', () => {
  it('unzips the key into as many licenses as its quantity, with distinct ids derived from the seed', () => {
    const w = world({ quantity: 3, forcedActivationDate: '2025-07-01T00:00:00.000Z' });
    const licenseIds = [0, 1, 2].map((i) => deriveId(w.seed, i));
    expect(new Set(licenseIds).size).toBe(3);
    given(w.events)
      .when(claimKey, claim(w))
      .then([
        [`key-${w.keyCode}`, { type: 'KeyClaimed', data: { keyCode: w.keyCode, accountId: w.partnerId, licenseIds, autoAssociate: false, bindings: [], claimedAt: NOW } }],
        ...licenseIds.flatMap((licenseId) =>
          licenseIssued({ licenseId, ownerId: w.partnerId, model: AP, keyCode: w.keyCode, poNumber: w.poNumber, forcedActivationDate: '2025-07-01T00:00:00.000Z', reason: 'claim', issuedAt: NOW }),
        ),
      ]);
    expect(given(w.events).when(claimKey, claim(w)).decision().result).toEqual({
      keyCode: w.keyCode, accountId: w.partnerId, modelCode: AP.code, licenseIds, bindings: [], mspPortalValidUntil: null,
    });
  });

  it('refuses a second claim of the key (KEY_ALREADY_CLAIMED), by anyone', () => {
    const w = world();
    const claimed = [...w.events, ...keyClaimed({ keyCode: w.keyCode, accountId: w.partnerId, licenseIds: [id()] })];
    expect(given(claimed).when(claimKey, claim(w, { licenseIdSeed: id() })).thenRefused('KEY_ALREADY_CLAIMED', { keyCode: w.keyCode }).kind).toBe('conflict');
    const otherId = id();
    expect(given([...claimed, ...customer(otherId, w.partnerId)]).when(claimKey, claim(w, { accountId: otherId })).thenRefused('KEY_ALREADY_CLAIMED').kind).toBe('conflict');
  });

  it('refuses a second claim after a real first claim', () => {
    const w = world();
    const first = given(w.events).when(claimKey, claim(w)).decision();
    given([...w.events, ...first.events]).when(claimKey, claim(w, { licenseIdSeed: id() })).thenRefused('KEY_ALREADY_CLAIMED');
  });

  it('refuses a malformed key code (KEY_CODE_MALFORMED)', () => {
    const w = world();
    const last = w.keyCode.at(-1);
    const typo = w.keyCode.slice(0, -1) + (last === '0' ? '1' : '0');
    for (const typed of [typo, 'not a key', w.keyCode.slice(0, -1), `${w.keyCode}X`]) {
      const refusal = given(w.events).when(claimKey, claim(w, { keyCode: typed })).thenRefused('KEY_CODE_MALFORMED');
      expect(refusal.kind).toBe('invalid');
      expect(refusal.pointer).toBe('/path/keyCode');
    }
  });

  it('accepts a code typed in lower case, without dashes, with O for 0 and l for 1', () => {
    const keyCode = formatKeyCode('0O1L0ABCDEF01234567'.replace(/O/g, '0').replace(/L/g, '1'));
    const w = { ...world(), keyCode };
    const events = [...w.events.filter(([s]) => !s.startsWith('key-')), ...keyIssued({ keyCode, poNumber: w.poNumber, buyerId: w.partnerId, modelCode: AP.code, quantity: 1 })];
    const typed = keyCode.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace(/-/g, ' ');
    expect(typed).not.toBe(keyCode);
    given(events)
      .when(claimKey, claim(w, { keyCode: typed }))
      .then([
        [`key-${keyCode}`, { type: 'KeyClaimed', data: { keyCode, accountId: w.partnerId, licenseIds: [w.seed], autoAssociate: false, bindings: [], claimedAt: NOW } }],
        ...licenseIssued({ licenseId: w.seed, ownerId: w.partnerId, model: AP, keyCode, poNumber: w.poNumber, issuedAt: NOW }),
      ]);
  });

  it('refuses an unknown key (KEY_NOT_FOUND)', () => {
    const w = world();
    const unknown = keyCodeFor(id());
    expect(given(w.events).when(claimKey, claim(w, { keyCode: unknown })).thenRefused('KEY_NOT_FOUND', { keyCode: unknown }).kind).toBe('not_found');
  });

  it('refuses an expired key (KEY_EXPIRED), and accepts one still valid', () => {
    const expired = world({ validUntil: '2025-05-31T23:59:59.000Z' });
    expect(given(expired.events).when(claimKey, claim(expired)).thenRefused('KEY_EXPIRED', { validUntil: '2025-05-31T23:59:59.000Z' }).kind).toBe('rule');
    const valid = world({ validUntil: '2025-06-30T00:00:00.000Z', quantity: 1 });
    expect(given(valid.events).when(claimKey, claim(valid)).decision().events).toHaveLength(2);
  });

  it('refuses an unknown account (ACCOUNT_NOT_FOUND)', () => {
    const w = world();
    expect(given(w.events).when(claimKey, claim(w, { accountId: id() })).thenRefused('ACCOUNT_NOT_FOUND').kind).toBe('not_found');
  });

  describe('msp-portal keys', () => {
    it('extend the portal by each license term, stacking', () => {
      const w = world({ modelCode: MSP.code, quantity: 2 });
      const [l0, l1] = [deriveId(w.seed, 0), deriveId(w.seed, 1)];
      const end0 = addDays(NOW, 30);
      const end1 = addDays(NOW, 60);
      expect(end1).toBe('2025-07-31T12:00:00.000Z');
      given(w.events)
        .when(claimKey, claim(w))
        .then([
          [`key-${w.keyCode}`, { type: 'KeyClaimed', data: { keyCode: w.keyCode, accountId: w.partnerId, licenseIds: [l0, l1], autoAssociate: false, bindings: [], claimedAt: NOW } }],
          ...licenseIssued({ licenseId: l0, ownerId: w.partnerId, model: MSP, keyCode: w.keyCode, poNumber: w.poNumber, issuedAt: NOW }),
          ...licenseIssued({ licenseId: l1, ownerId: w.partnerId, model: MSP, keyCode: w.keyCode, poNumber: w.poNumber, issuedAt: NOW }),
          [`license-${l0}`, { type: 'LicenseAppliedToMspPortal', data: { licenseId: l0, accountId: w.partnerId, validFrom: NOW, validUntil: end0, appliedAt: NOW } }],
          [`account-${w.partnerId}`, { type: 'MspPortalExtended', data: { accountId: w.partnerId, licenseId: l0, termDays: 30, validFrom: NOW, validUntil: end0, extendedAt: NOW } }],
          [`license-${l1}`, { type: 'LicenseAppliedToMspPortal', data: { licenseId: l1, accountId: w.partnerId, validFrom: end0, validUntil: end1, appliedAt: NOW } }],
          [`account-${w.partnerId}`, { type: 'MspPortalExtended', data: { accountId: w.partnerId, licenseId: l1, termDays: 30, validFrom: end0, validUntil: end1, extendedAt: NOW } }],
        ]);
      expect(given(w.events).when(claimKey, claim(w)).decision().result.mspPortalValidUntil).toBe(end1);
    });

    it('a second claim starts at the end of the previous one', () => {
      const w = world({ modelCode: MSP.code, quantity: 1 });
      const first = given(w.events).when(claimKey, claim(w)).decision();
      const secondKey = keyCodeFor(id());
      const later = '2025-06-10T00:00:00.000Z';
      const seed = id();
      const decision = given([...w.events, ...first.events, ...keyIssued({ keyCode: secondKey, buyerId: w.partnerId, modelCode: MSP.code, quantity: 1 })])
        .when(claimKey, claim(w, { keyCode: secondKey, licenseIdSeed: seed, now: later }))
        .decision();
      const previousEnd = addDays(NOW, 30);
      expect(first.result.mspPortalValidUntil).toBe(previousEnd);
      expect(decision.events).toContainEqual([
        `account-${w.partnerId}`,
        { type: 'MspPortalExtended', data: { accountId: w.partnerId, licenseId: seed, termDays: 30, validFrom: previousEnd, validUntil: addDays(previousEnd, 30), extendedAt: later } },
      ]);
      expect(decision.result.mspPortalValidUntil).toBe(addDays(previousEnd, 30));
    });

    it('an expired portal is extended from now', () => {
      const w = world({ modelCode: MSP.code, quantity: 1 });
      const events = [...w.events, ...mspPortalExtended({ accountId: w.partnerId, licenseId: id(), termDays: 30, validFrom: '2025-01-01T00:00:00.000Z', validUntil: '2025-01-31T00:00:00.000Z' })];
      expect(given(events).when(claimKey, claim(w, { autoAssociate: true })).decision().result).toMatchObject({ mspPortalValidUntil: addDays(NOW, 30), bindings: [] });
    });
  });

  describe('auto-associate', () => {
    /**
     * The partner's devices, oldest first: one without a `pro` license, one with only a
     * cloud-ai one, one expired, one expiring soon, one expiring later, one perpetual,
     * one whose model does not fit; and a device of another account.
     */
    function fleet() {
      const w = world({ quantity: 7 });
      const d = {
        none: id(), otherCategory: id(), expired: id(), soon: id(), later: id(), perpetual: id(), noFit: id(), foreign: id(),
      };
      const SOON = '2025-07-01T00:00:00.000Z';
      const LATER = '2025-12-01T00:00:00.000Z';
      const existing = (deviceId: string, model: typeof AP, validUntil: string | null): Emitted[] => {
        const licenseId = id();
        return [...licenseIssued({ licenseId, ownerId: w.partnerId, model }), ...licenseBoundToDevice({ licenseId, deviceId, category: model.category, validUntil })];
      };
      const foreignOwner = id();
      // Registered in the reverse of the expected order where it matters, so that expiry decides.
      const events: Emitted[] = [
        ...w.events,
        ...customer(foreignOwner, w.partnerId),
        ...deviceRegistered({ deviceId: d.later, ownerId: w.partnerId, model: 'AP-1', registeredAt: '2025-02-01T00:00:00.000Z' }),
        ...existing(d.later, AP, LATER),
        ...deviceRegistered({ deviceId: d.soon, ownerId: w.partnerId, model: 'AP-2', registeredAt: '2025-02-02T00:00:00.000Z' }),
        ...existing(d.soon, AP, SOON),
        ...deviceRegistered({ deviceId: d.expired, ownerId: w.partnerId, model: 'AP-1', registeredAt: '2025-02-03T00:00:00.000Z' }),
        ...existing(d.expired, AP, '2025-03-01T00:00:00.000Z'),
        ...deviceRegistered({ deviceId: d.none, ownerId: w.partnerId, model: 'AP-1', registeredAt: '2025-02-04T00:00:00.000Z' }),
        ...deviceRegistered({ deviceId: d.otherCategory, ownerId: w.partnerId, model: 'AP-2', registeredAt: '2025-02-05T00:00:00.000Z' }),
        ...existing(d.otherCategory, CLOUD, LATER),
        ...deviceRegistered({ deviceId: d.perpetual, ownerId: w.partnerId, model: 'AP-1', registeredAt: '2025-01-15T00:00:00.000Z' }),
        ...existing(d.perpetual, AP_PERPETUAL, null),
        ...deviceRegistered({ deviceId: d.noFit, ownerId: w.partnerId, model: 'SW-9', registeredAt: '2025-01-10T00:00:00.000Z' }),
        ...deviceRegistered({ deviceId: d.foreign, ownerId: foreignOwner, model: 'AP-1', registeredAt: '2025-01-01T00:00:00.000Z' }),
      ];
      return { w, d, events, SOON, LATER };
    }

    it('binds one license per eligible device, devices without a license of the category first, then earliest expiry; leftovers stay available', () => {
      const { w, d, events, SOON, LATER } = fleet();
      const ids = Array.from({ length: 7 }, (_, i) => deriveId(w.seed, i));
      const order: [string, string][] = [[d.none, NOW], [d.otherCategory, NOW], [d.expired, NOW], [d.soon, SOON], [d.later, LATER]];
      const bindings = order.map(([deviceId], i) => ({ licenseId: ids[i]!, deviceId, channel: null }));
      given(events)
        .when(claimKey, claim(w, { autoAssociate: true }))
        .then([
          [`key-${w.keyCode}`, { type: 'KeyClaimed', data: { keyCode: w.keyCode, accountId: w.partnerId, licenseIds: ids, autoAssociate: true, bindings, claimedAt: NOW } }],
          ...ids.flatMap((licenseId) => licenseIssued({ licenseId, ownerId: w.partnerId, model: AP, keyCode: w.keyCode, poNumber: w.poNumber, issuedAt: NOW })),
          ...order.flatMap(([deviceId, validFrom], i) =>
            licenseBoundToDevice({ licenseId: ids[i]!, deviceId, category: 'pro', validFrom, validUntil: addDays(validFrom, 365), autoAssociated: true, boundAt: NOW }),
          ),
        ]);
      const result = given(events).when(claimKey, claim(w, { autoAssociate: true })).decision().result;
      expect(result.bindings.map((b) => b.deviceId)).toEqual(order.map(([deviceId]) => deviceId));
      expect(result.bindings[3]).toEqual({ licenseId: ids[3], deviceId: d.soon, channel: null, validUntil: addDays(SOON, 365) });
    });

    it('with fewer licenses than devices, binds the first in that order only', () => {
      const { w, d, events } = fleet();
      const decision = given(events.map(([s, e]) => (e.type === 'LicenseKeyIssued' ? ([s, { ...e, data: { ...e.data, quantity: 2 } }] as const) : ([s, e] as const))))
        .when(claimKey, claim(w, { autoAssociate: true }))
        .decision();
      expect(decision.result.bindings.map((b) => b.deviceId)).toEqual([d.none, d.otherCategory]);
      const bound = decision.events.filter(([, e]) => e.type === 'LicenseBound').map(([, e]) => e.data);
      expect(bound).toEqual([
        expect.objectContaining({ licenseId: w.seed, deviceId: d.none, autoAssociated: true }),
        expect.objectContaining({ licenseId: deriveId(w.seed, 1), deviceId: d.otherCategory, autoAssociated: true }),
      ]);
    });

    it('binds nothing without autoAssociate', () => {
      const { w, events } = fleet();
      const decision = given(events).when(claimKey, claim(w)).decision();
      expect(decision.result.bindings).toEqual([]);
      expect(decision.events.map(([, e]) => e.type)).toEqual(['KeyClaimed', ...Array(7).fill('LicenseIssued')]);
    });
  });
});
