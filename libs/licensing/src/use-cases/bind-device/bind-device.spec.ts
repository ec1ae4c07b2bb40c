import type { Emitted } from '../../decision';
import type { ModelTerms } from '../../events';
import { deriveId } from '../../ids';
import { given } from '../../testing';
import {
  deviceRegistered, licenseBoundToDevice, licenseDeployed, licenseHandedOn, licenseIssued, licenseRevoked, licenseSuperseded, licenseUninstalled, modelDefined, terms, twoPartners,
} from '../../test-builders';
import { addDays } from '../../time';
import { type BindDevice, bindDevice } from './bind-device.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

const AP = terms({ code: 'AP-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365, deviceModels: ['AP-1', 'AP-2'] });
const AP_PERPETUAL = terms({ code: 'AP-PERP', category: 'pro', bindsTo: 'device', termDays: null, deviceModels: ['AP-1'] });
const SWITCH = terms({ code: 'SW-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365, deviceModels: ['SW-9'] });
const CAM = terms({ code: 'CAM-CH-1YR', category: 'channel', bindsTo: 'channel', termDays: 365 });
const VPN = terms({ code: 'VPN-25-SEATS', category: 'vpn-seats', bindsTo: 'account', termDays: 365, seats: 25 });
const SRV = terms({ code: 'SRV-PERP', category: 'capacity', bindsTo: 'deployment', termDays: null });

/** A partner, its customer owning a 4-channel AP-1 device, and an unrelated partner with its customer. */
function world() {
  const cast = twoPartners(id, [AP, AP_PERPETUAL, SWITCH, CAM, VPN, SRV]);
  const deviceId = id();
  return { ...cast, deviceId, events: [...cast.events, ...deviceRegistered({ deviceId, ownerId: cast.customerId, model: 'AP-1', channels: 4 })], seed: id() };
}

type World = ReturnType<typeof world>;

/** A license issued to `ownerId`, as given events, and its id. */
function owned(ownerId: string, model: ModelTerms, o: { forcedActivationDate?: string; issuedAt?: string } = {}): [string, Emitted[]] {
  const licenseId = id();
  return [licenseId, licenseIssued({ licenseId, ownerId, model, ...o })];
}

const bind = (w: World, source: BindDevice['source'], o: Partial<BindDevice> = {}): BindDevice => ({ now: NOW, deviceId: w.deviceId, source, channels: [], successorSeed: w.seed, ...o });

describe('BindDevice', () => {
  it("binds the customer's own license to its device from now, for the license's term", () => {
    const w = world();
    const [licenseId, issued] = owned(w.customerId, AP);
    const until = '2026-06-01T12:00:00.000Z';
    given([...w.events, ...issued])
      .when(bindDevice, bind(w, { licenseId }))
      .then([
        [`license-${licenseId}`, { type: 'LicenseBound', data: { licenseId, deviceId: w.deviceId, channel: null, validFrom: NOW, validUntil: until, autoAssociated: false, boundAt: NOW } }],
        [`device-${w.deviceId}`, { type: 'DeviceLicenseBound', data: { deviceId: w.deviceId, licenseId, category: 'pro', channel: null, validFrom: NOW, validUntil: until, boundAt: NOW } }],
      ]);
    expect(given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId })).decision().result).toEqual({
      deviceId: w.deviceId,
      bindings: [{ licenseId, channel: null, validFrom: NOW, validUntil: until, handedOnFrom: null }],
      validUntil: { pro: until },
    });
  });

  it("extends a device still valid from its current expiry for the category", () => {
    const w = world();
    const [current, currentIssued] = owned(w.customerId, AP);
    const [licenseId, issued] = owned(w.customerId, AP);
    const expiry = '2025-09-01T00:00:00.000Z';
    given([...w.events, ...currentIssued, ...licenseBoundToDevice({ licenseId: current, deviceId: w.deviceId, category: 'pro', validUntil: expiry }), ...issued])
      .when(bindDevice, bind(w, { licenseId }))
      .then(licenseBoundToDevice({ licenseId, deviceId: w.deviceId, category: 'pro', validFrom: expiry, validUntil: '2026-09-01T00:00:00.000Z', boundAt: NOW }));
  });

  it('extends an expired device from now', () => {
    const w = world();
    const [current, currentIssued] = owned(w.customerId, AP);
    const [licenseId, issued] = owned(w.customerId, AP);
    given([...w.events, ...currentIssued, ...licenseBoundToDevice({ licenseId: current, deviceId: w.deviceId, category: 'pro', validUntil: '2025-03-01T00:00:00.000Z' }), ...issued])
      .when(bindDevice, bind(w, { licenseId }))
      .then(licenseBoundToDevice({ licenseId, deviceId: w.deviceId, category: 'pro', validFrom: NOW, validUntil: addDays(NOW, 365), boundAt: NOW }));
  });

  it('a validity of another category does not count', () => {
    const w = world();
    const cloud = terms({ code: 'CLOUD-AI-1YR', category: 'cloud-ai', termDays: 365 });
    const [current, currentIssued] = owned(w.customerId, cloud);
    const [licenseId, issued] = owned(w.customerId, AP);
    const result = given([...w.events, ...modelDefined(cloud), ...currentIssued, ...licenseBoundToDevice({ licenseId: current, deviceId: w.deviceId, category: 'cloud-ai', validUntil: '2025-09-01T00:00:00.000Z' }), ...issued])
      .when(bindDevice, bind(w, { licenseId }))
      .decision().result;
    expect(result.bindings[0]).toMatchObject({ validFrom: NOW });
    expect(result.validUntil).toEqual({ 'cloud-ai': '2025-09-01T00:00:00.000Z', pro: addDays(NOW, 365) });
  });

  it('stacks two licenses bound at once: the second starts where the first ends (picked earliest expiry first)', () => {
    const w = world();
    const [current, currentIssued] = owned(w.customerId, AP);
    const expiry = '2025-09-01T00:00:00.000Z';
    // Forced activation dates still ahead: they only order the pick (the term starts at binding).
    const [later, laterIssued] = owned(w.customerId, AP, { forcedActivationDate: '2025-08-01T00:00:00.000Z' });
    const [sooner, soonerIssued] = owned(w.customerId, AP, { forcedActivationDate: '2025-07-01T00:00:00.000Z' });
    const first = addDays(expiry, 365);
    const second = addDays(first, 365);
    given([...w.events, ...currentIssued, ...licenseBoundToDevice({ licenseId: current, deviceId: w.deviceId, category: 'pro', validUntil: expiry }), ...laterIssued, ...soonerIssued])
      .when(bindDevice, bind(w, { fromAccountId: w.customerId, modelCode: AP.code, quantity: 2 }))
      .then([
        ...licenseBoundToDevice({ licenseId: sooner, deviceId: w.deviceId, category: 'pro', validFrom: expiry, validUntil: first, boundAt: NOW }),
        ...licenseBoundToDevice({ licenseId: later, deviceId: w.deviceId, category: 'pro', validFrom: first, validUntil: second, boundAt: NOW }),
      ]);
  });

  it("hands a partner's own license to its customer and binds the successor, in one decision", () => {
    const w = world();
    const [licenseId, issued] = owned(w.partnerId, AP);
    const successorId = deriveId(w.seed, 0);
    const until = addDays(NOW, 365);
    given([...w.events, ...issued])
      .when(bindDevice, bind(w, { licenseId }))
      .then([
        [`license-${licenseId}`, { type: 'LicenseSuperseded', data: { licenseId, successorId, toAccountId: w.customerId, reason: 'binding-hand-off', supersededAt: NOW } }],
        [
          `license-${successorId}`,
          {
            type: 'LicenseIssued',
            data: { licenseId: successorId, ownerId: w.customerId, model: AP, keyCode: 'KEY', poNumber: 'PO', forcedActivationDate: null, predecessorId: licenseId, reason: 'binding-hand-off', issuedAt: NOW },
          },
        ],
        [`license-${successorId}`, { type: 'LicenseBound', data: { licenseId: successorId, deviceId: w.deviceId, channel: null, validFrom: NOW, validUntil: until, autoAssociated: false, boundAt: NOW } }],
        [`device-${w.deviceId}`, { type: 'DeviceLicenseBound', data: { deviceId: w.deviceId, licenseId: successorId, category: 'pro', channel: null, validFrom: NOW, validUntil: until, boundAt: NOW } }],
      ]);
    expect(given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId })).decision().result.bindings).toEqual([
      { licenseId: successorId, channel: null, validFrom: NOW, validUntil: until, handedOnFrom: licenseId },
    ]);
  });

  it("hands on and binds a quantity of the partner's licenses, each successor with its own id", () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId, AP, { issuedAt: '2025-01-01T00:00:00.000Z' });
    const [b, bIssued] = owned(w.partnerId, AP, { issuedAt: '2025-01-02T00:00:00.000Z' });
    const [s0, s1] = [deriveId(w.seed, 0), deriveId(w.seed, 1)];
    const first = addDays(NOW, 365);
    given([...w.events, ...bIssued, ...aIssued])
      .when(bindDevice, bind(w, { fromAccountId: w.partnerId, modelCode: AP.code, quantity: 2 }))
      .then([
        ...licenseHandedOn({ licenseId: a, successorId: s0, toAccountId: w.customerId, model: AP, reason: 'binding-hand-off', at: NOW }),
        ...licenseBoundToDevice({ licenseId: s0, deviceId: w.deviceId, category: 'pro', validFrom: NOW, validUntil: first, boundAt: NOW }),
        ...licenseHandedOn({ licenseId: b, successorId: s1, toAccountId: w.customerId, model: AP, reason: 'binding-hand-off', at: NOW }),
        ...licenseBoundToDevice({ licenseId: s1, deviceId: w.deviceId, category: 'pro', validFrom: first, validUntil: addDays(first, 365), boundAt: NOW }),
      ]);
  });

  it('refuses a license of an account that is neither the device owner nor its partner (LICENSE_NOT_OWNED)', () => {
    const w = world();
    for (const ownerId of [w.otherPartnerId, w.othersCustomerId]) {
      const [licenseId, issued] = owned(ownerId, AP);
      const refusal = given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId })).thenRefused('LICENSE_NOT_OWNED', { licenseId, ownerId, deviceOwnerId: w.customerId });
      expect(refusal.kind).toBe('rule');
    }
    const [licenseId, issued] = owned(w.otherPartnerId, AP);
    expect(given([...w.events, ...issued]).when(bindDevice, bind(w, { fromAccountId: w.otherPartnerId, modelCode: AP.code, quantity: 1 })).thenRefused('LICENSE_NOT_OWNED', { licenseId }).kind).toBe('rule');
  });

  it("refuses a customer's license on its partner's device (LICENSE_NOT_OWNED)", () => {
    const w = world();
    const partnerDevice = id();
    const [licenseId, issued] = owned(w.customerId, AP);
    given([...w.events, ...deviceRegistered({ deviceId: partnerDevice, ownerId: w.partnerId }), ...issued])
      .when(bindDevice, bind(w, { licenseId }, { deviceId: partnerDevice }))
      .thenRefused('LICENSE_NOT_OWNED');
  });

  it('refuses a license already bound (LICENSE_ALREADY_BOUND)', () => {
    const w = world();
    const [licenseId, issued] = owned(w.customerId, AP);
    const refusal = given([...w.events, ...issued, ...licenseBoundToDevice({ licenseId, deviceId: id(), category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' })])
      .when(bindDevice, bind(w, { licenseId }))
      .thenRefused('LICENSE_ALREADY_BOUND', { licenseId });
    expect(refusal.kind).toBe('conflict');
    expect(refusal.pointer).toBe('/licenseId');
  });

  it('refuses an unknown device (DEVICE_NOT_FOUND) and an unknown license (LICENSE_NOT_FOUND)', () => {
    const w = world();
    const [licenseId, issued] = owned(w.customerId, AP);
    const unknownDevice = id();
    expect(given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId }, { deviceId: unknownDevice })).thenRefused('DEVICE_NOT_FOUND', { deviceId: unknownDevice }).kind).toBe('not_found');
    expect(given(w.events).when(bindDevice, bind(w, { licenseId: id() })).thenRefused('LICENSE_NOT_FOUND').kind).toBe('not_found');
  });

  it('refuses a superseded, revoked, uninstalled or deployed license', () => {
    const w = world();
    const cases: [string, Emitted[], 'LICENSE_SUPERSEDED' | 'LICENSE_REVOKED' | 'LICENSE_UNINSTALLED' | 'LICENSE_DEPLOYED'][] = [];
    {
      const [licenseId, issued] = owned(w.customerId, AP);
      cases.push([licenseId, [...issued, ...licenseSuperseded({ licenseId, successorId: id(), toAccountId: w.customerId })], 'LICENSE_SUPERSEDED']);
    }
    {
      const [licenseId, issued] = owned(w.customerId, AP);
      cases.push([licenseId, [...issued, ...licenseRevoked(licenseId)], 'LICENSE_REVOKED']);
    }
    {
      const [licenseId, issued] = owned(w.customerId, SRV);
      const deploymentId = id();
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, deploymentId), ...licenseUninstalled(licenseId, deploymentId)], 'LICENSE_UNINSTALLED']);
    }
    {
      const [licenseId, issued] = owned(w.customerId, SRV);
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, id())], 'LICENSE_DEPLOYED']);
    }
    for (const [licenseId, history, code] of cases) {
      const refusal = given([...w.events, ...history]).when(bindDevice, bind(w, { licenseId })).thenRefused(code, { licenseId });
      expect(refusal.kind).toBe('rule');
    }
  });

  it('refuses a license model that does not fit the device model (LICENSE_MODEL_DOES_NOT_FIT_DEVICE)', () => {
    const w = world();
    const [licenseId, issued] = owned(w.customerId, SWITCH);
    const refusal = given([...w.events, ...issued])
      .when(bindDevice, bind(w, { licenseId }))
      .thenRefused('LICENSE_MODEL_DOES_NOT_FIT_DEVICE', { modelCode: SWITCH.code, deviceModel: 'AP-1', fits: ['SW-9'] });
    expect(refusal.kind).toBe('rule');
  });

  it('refuses a license that does not bind to a device (LICENSE_NOT_DEVICE_BINDABLE)', () => {
    const w = world();
    for (const model of [VPN, SRV]) {
      const [licenseId, issued] = owned(w.customerId, model);
      const refusal = given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId })).thenRefused('LICENSE_NOT_DEVICE_BINDABLE', { licenseId, bindsTo: model.bindsTo });
      expect(refusal.kind).toBe('rule');
    }
  });

  it('refuses more licenses than available (INSUFFICIENT_LICENSES)', () => {
    const w = world();
    const [, issued] = owned(w.customerId, AP);
    const refusal = given([...w.events, ...issued])
      .when(bindDevice, bind(w, { fromAccountId: w.customerId, modelCode: AP.code, quantity: 2 }))
      .thenRefused('INSUFFICIENT_LICENSES', { requested: 2, available: 1 });
    expect(refusal.kind).toBe('rule');
  });

  it('a perpetual license makes the category perpetual; a term license bound after it starts now', () => {
    const w = world();
    const [perpetual, perpetualIssued] = owned(w.customerId, AP_PERPETUAL);
    given([...w.events, ...perpetualIssued])
      .when(bindDevice, bind(w, { licenseId: perpetual }))
      .then(licenseBoundToDevice({ licenseId: perpetual, deviceId: w.deviceId, category: 'pro', validFrom: NOW, validUntil: null, boundAt: NOW }));
    const [licenseId, issued] = owned(w.customerId, AP);
    const decision = given([...w.events, ...perpetualIssued, ...licenseBoundToDevice({ licenseId: perpetual, deviceId: w.deviceId, category: 'pro', validUntil: null }), ...issued])
      .when(bindDevice, bind(w, { licenseId }))
      .decision();
    expect(decision.result.bindings[0]).toMatchObject({ validFrom: NOW, validUntil: addDays(NOW, 365) });
    expect(decision.result.validUntil).toEqual({ pro: 'perpetual' });
  });

  describe('channel licenses', () => {
    function cams(w: World, n: number): [string[], Emitted[]] {
      const ids: string[] = [];
      const events: Emitted[] = [];
      for (let i = 0; i < n; i++) {
        const [licenseId, issued] = owned(w.customerId, CAM, { issuedAt: `2025-01-0${i + 1}T00:00:00.000Z` });
        ids.push(licenseId);
        events.push(...issued);
      }
      return [ids, events];
    }

    it('binds N single-channel licenses to N channels, each from now', () => {
      const w = world();
      const [[a, b], issued] = cams(w, 2);
      const until = addDays(NOW, 365);
      given([...w.events, ...issued])
        .when(bindDevice, bind(w, { fromAccountId: w.customerId, modelCode: CAM.code, quantity: 2 }, { channels: [1, 3] }))
        .then([
          ...licenseBoundToDevice({ licenseId: a!, deviceId: w.deviceId, category: 'channel', channel: 1, validFrom: NOW, validUntil: until, boundAt: NOW }),
          ...licenseBoundToDevice({ licenseId: b!, deviceId: w.deviceId, category: 'channel', channel: 3, validFrom: NOW, validUntil: until, boundAt: NOW }),
        ]);
    });

    it('refuses a channel outside the device range (CHANNEL_OUT_OF_RANGE)', () => {
      const w = world();
      const [[a], issued] = cams(w, 1);
      for (const channel of [0, 5, -1, 1.5]) {
        const refusal = given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId: a! }, { channels: [channel] })).thenRefused('CHANNEL_OUT_OF_RANGE', { channel, channels: 4 });
        expect(refusal.kind).toBe('rule');
        expect(refusal.pointer).toBe('/channels/0');
      }
    });

    it('refuses a channel already covered by a running license, and the same channel twice (CHANNEL_ALREADY_COVERED)', () => {
      const w = world();
      const [[covering, a], issued] = cams(w, 3);
      const coveredTwo = licenseBoundToDevice({ licenseId: covering!, deviceId: w.deviceId, category: 'channel', channel: 2, validUntil: '2025-12-01T00:00:00.000Z' });
      const covered = given([...w.events, ...issued, ...coveredTwo]).when(bindDevice, bind(w, { licenseId: a! }, { channels: [2] })).thenRefused('CHANNEL_ALREADY_COVERED', { channel: 2 });
      expect(covered.kind).toBe('conflict');
      const twice = given([...w.events, ...issued, ...coveredTwo])
        .when(bindDevice, bind(w, { fromAccountId: w.customerId, modelCode: CAM.code, quantity: 2 }, { channels: [3, 3] }))
        .thenRefused('CHANNEL_ALREADY_COVERED', { channel: 3 });
      expect(twice.kind).toBe('conflict');
      expect(twice.pointer).toBe('/channels/1');
    });

    it('covers again a channel whose license was revoked', () => {
      const w = world();
      const [[revoked, a], issued] = cams(w, 2);
      const withdrawn: Emitted = [
        `device-${w.deviceId}`,
        { type: 'DeviceLicenseRevoked', data: { deviceId: w.deviceId, licenseId: revoked!, category: 'channel', channel: 2, validUntil: null, revokedAt: NOW } },
      ];
      const { result } = given([...w.events, ...issued, ...licenseBoundToDevice({ licenseId: revoked!, deviceId: w.deviceId, category: 'channel', channel: 2, validUntil: '2025-12-01T00:00:00.000Z' }), withdrawn])
        .when(bindDevice, bind(w, { licenseId: a! }, { channels: [2] }))
        .decision();
      expect(result.bindings).toEqual([expect.objectContaining({ licenseId: a, channel: 2 })]);
    });

    it('refuses a channel covered by a perpetual license', () => {
      const w = world();
      const [[covering, a], issued] = cams(w, 2);
      given([...w.events, ...issued, ...licenseBoundToDevice({ licenseId: covering!, deviceId: w.deviceId, category: 'channel', channel: 4, validUntil: null })])
        .when(bindDevice, bind(w, { licenseId: a! }, { channels: [4] }))
        .thenRefused('CHANNEL_ALREADY_COVERED');
    });

    it('covers again a channel whose license expired', () => {
      const w = world();
      const [[expired, a], issued] = cams(w, 2);
      given([...w.events, ...issued, ...licenseBoundToDevice({ licenseId: expired!, deviceId: w.deviceId, category: 'channel', channel: 2, validUntil: '2025-05-01T00:00:00.000Z' })])
        .when(bindDevice, bind(w, { licenseId: a! }, { channels: [2] }))
        .then(licenseBoundToDevice({ licenseId: a!, deviceId: w.deviceId, category: 'channel', channel: 2, validFrom: NOW, validUntil: addDays(NOW, 365), boundAt: NOW }));
    });

    it('refuses a channel count that does not match the licenses (CHANNELS_DO_NOT_MATCH_LICENSES)', () => {
      const w = world();
      const [[a], issued] = cams(w, 2);
      const [deviceLicense, deviceIssued] = owned(w.customerId, AP);
      const events = [...w.events, ...issued, ...deviceIssued];
      const attempts: BindDevice[] = [
        bind(w, { fromAccountId: w.customerId, modelCode: CAM.code, quantity: 2 }, { channels: [1] }),
        bind(w, { fromAccountId: w.customerId, modelCode: CAM.code, quantity: 1 }, { channels: [1, 2] }),
        bind(w, { licenseId: a! }, { channels: [] }),
        bind(w, { licenseId: deviceLicense }, { channels: [1] }),
      ];
      for (const attempt of attempts) {
        const refusal = given(events).when(bindDevice, attempt).thenRefused('CHANNELS_DO_NOT_MATCH_LICENSES');
        expect(refusal.kind).toBe('invalid');
        expect(refusal.pointer).toBe('/channels');
      }
    });
  });
  describe("a key's forced activation date started the term's clock", () => {
    const forced = addDays(NOW, -100);

    it('gives only what is left of the term: the device is covered until forced date plus term', () => {
      const w = world();
      const [licenseId, issued] = owned(w.customerId, AP, { forcedActivationDate: forced });
      const { result } = given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId })).decision();
      expect(result.bindings[0]).toMatchObject({ validFrom: NOW, validUntil: addDays(forced, 365) });
    });

    it('stacks what is left after the current expiry', () => {
      const w = world();
      const [current, currentIssued] = owned(w.customerId, AP);
      const expiry = addDays(NOW, 30);
      const [licenseId, issued] = owned(w.customerId, AP, { forcedActivationDate: forced });
      const { result } = given([...w.events, ...currentIssued, ...licenseBoundToDevice({ licenseId: current, deviceId: w.deviceId, category: 'pro', validUntil: expiry }), ...issued])
        .when(bindDevice, bind(w, { licenseId }))
        .decision();
      expect(result.bindings[0]).toMatchObject({ validFrom: expiry, validUntil: addDays(expiry, 365 - 100) });
    });

    it('a date still ahead changes nothing: activation comes first', () => {
      const w = world();
      const [licenseId, issued] = owned(w.customerId, AP, { forcedActivationDate: addDays(NOW, 10) });
      const { result } = given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId })).decision();
      expect(result.bindings[0]).toMatchObject({ validFrom: NOW, validUntil: addDays(NOW, 365) });
    });

    it('refuses a license whose term ran out unused (LICENSE_EXPIRED)', () => {
      const w = world();
      const [licenseId, issued] = owned(w.customerId, AP, { forcedActivationDate: addDays(NOW, -365) });
      const refusal = given([...w.events, ...issued]).when(bindDevice, bind(w, { licenseId })).thenRefused('LICENSE_EXPIRED', { licenseId });
      expect(refusal.kind).toBe('rule');
    });
  });
});
