import { randomUUID } from 'node:crypto';
import * as b from '../../../licensing/src/test-builders';
import { recorded, rowsAfter } from '../testing/given-events';
import { accountsProjection } from './accounts.projection';
import { catalogProjection } from './catalog.projection';
import { deploymentsProjection } from './deployments.projection';
import { devicesProjection } from './devices.projection';
import { licensesProjection } from './licenses.projection';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-02-01T00:00:00.000Z';
const T2 = '2026-03-01T00:00:00.000Z';
const YEAR_LATER = '2027-02-01T00:00:00.000Z';
const proYear = b.terms({ code: 'PRO-1Y', category: 'pro', bindsTo: 'device', termDays: 365 });
const channelYear = b.terms({ code: 'CH-1Y', category: 'channel', bindsTo: 'channel', termDays: 365 });

describe('accounts projection', () => {
  it('given a partner, its customer and their link: one row each, linked both ways', () => {
    const [vendor, partner, customer] = [randomUUID(), randomUUID(), randomUUID()];
    const events = recorded([
      ...b.partner(partner, vendor),
      ...b.customer(customer, partner),
      ...b.accountsLinked(partner, customer),
      ...b.mspPortalExtended({ accountId: customer, licenseId: randomUUID(), termDays: 30, validFrom: T0, validUntil: T1 }),
    ]);
    const rows = rowsAfter(accountsProjection, 'rm_accounts', events);
    expect(Object.keys(rows).sort()).toEqual([partner, customer].sort());
    expect(rows[customer]).toMatchObject({ kind: 'customer', parent_id: partner, linked: [partner], msp_portal_valid_until: T1 });
    expect(rows[partner]).toMatchObject({ kind: 'partner', parent_id: vendor, linked: [customer], msp_portal_valid_until: null });
    expect(rows[customer]!['name_key']).toBe(String(rows[customer]!['name']).toLowerCase());
  });
});

describe('licenses projection', () => {
  it('follows a license from claim through sale: the predecessor superseded, the successor available, lineage both ways', () => {
    const [partner, customer, first, second] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const events = recorded([
      ...b.licenseIssued({ licenseId: first, ownerId: partner, model: proYear, keyCode: 'K1', poNumber: 'PO-1', issuedAt: T0 }),
      ...b.licenseIssued({ licenseId: second, ownerId: customer, model: proYear, keyCode: 'K1', poNumber: 'PO-1', predecessorId: first, reason: 'sale', issuedAt: T1 }),
      ...b.licenseSuperseded({ licenseId: first, successorId: second, toAccountId: customer, reason: 'sale', supersededAt: T1 }),
    ]);
    const rows = rowsAfter(licensesProjection, 'rm_licenses', events);
    expect(rows[first]).toEqual({
      license_id: first, owner_id: partner, model_code: 'PRO-1Y', category: 'pro', binds_to: 'device', term_days: 365, seats: proYear.seats,
      status: 'superseded', device_id: null, channel: null, msp_account_id: null, valid_from: null, valid_until: null, deployment_id: null,
      key_code: 'K1', po_number: 'PO-1', forced_activation_date: null, issued_reason: 'claim', predecessor_id: null, successor_id: second,
      successor_owner_id: customer, issued_at: T0, bound_at: null, superseded_at: T1, revoked_at: null, revoke_reason: null, uninstalled_at: null,
      last_position: 3,
    });
    expect(rows[second]).toMatchObject({ owner_id: customer, status: 'available', predecessor_id: first, issued_reason: 'sale', last_position: 2 });
  });

  it('a key with a forced activation date starts the term: the unbound license expires term days after it', () => {
    const id = randomUUID();
    const rows = rowsAfter(licensesProjection, 'rm_licenses', recorded(b.licenseIssued({ licenseId: id, ownerId: randomUUID(), model: proYear, forcedActivationDate: T0 })));
    expect(rows[id]).toMatchObject({ status: 'available', forced_activation_date: T0, valid_until: '2027-01-01T00:00:00.000Z' });
  });

  it('bound, then revoked: binding and term kept for the record, status revoked', () => {
    const [id, device] = [randomUUID(), randomUUID()];
    const events = recorded([
      ...b.licenseIssued({ licenseId: id, ownerId: randomUUID(), model: channelYear }),
      ...b.licenseBoundToDevice({ licenseId: id, deviceId: device, category: 'channel', channel: 3, validFrom: T1, validUntil: YEAR_LATER, boundAt: T1 }),
      ...b.licenseRevoked(id, 'chargeback', T2),
    ]);
    expect(rowsAfter(licensesProjection, 'rm_licenses', events)[id]).toMatchObject({
      status: 'revoked', device_id: device, channel: 3, valid_from: T1, valid_until: YEAR_LATER, bound_at: T1, revoked_at: T2, revoke_reason: 'chargeback',
    });
  });

  it('deployed, then uninstalled for good', () => {
    const [id, deployment] = [randomUUID(), randomUUID()];
    const events = recorded([...b.licenseIssued({ licenseId: id, ownerId: randomUUID(), model: proYear }), ...b.licenseDeployed(id, deployment, T1), ...b.licenseUninstalled(id, deployment, T2)]);
    expect(rowsAfter(licensesProjection, 'rm_licenses', events)[id]).toMatchObject({ status: 'uninstalled', deployment_id: deployment, uninstalled_at: T2 });
  });

  it('an MSP license applied to a portal is bound to that account', () => {
    const [id, msp] = [randomUUID(), randomUUID()];
    const events = recorded([
      ...b.licenseIssued({ licenseId: id, ownerId: msp, model: b.terms({ code: 'MSP-1M', category: 'msp', bindsTo: 'msp-portal', termDays: 30 }) }),
      ...b.licenseAppliedToMspPortal({ licenseId: id, accountId: msp, validFrom: T1, validUntil: T2, appliedAt: T1 }),
    ]);
    expect(rowsAfter(licensesProjection, 'rm_licenses', events)[id]).toMatchObject({ status: 'bound', msp_account_id: msp, device_id: null, valid_from: T1, valid_until: T2 });
  });

  it('the same events delivered twice change nothing', () => {
    const [id, device] = [randomUUID(), randomUUID()];
    const events = recorded([
      ...b.licenseIssued({ licenseId: id, ownerId: randomUUID(), model: proYear }),
      ...b.licenseBoundToDevice({ licenseId: id, deviceId: device, category: 'pro', validFrom: T1, validUntil: YEAR_LATER }),
    ]);
    const once = rowsAfter(licensesProjection, 'rm_licenses', events);
    expect(rowsAfter(licensesProjection, 'rm_licenses', [...events, ...events])).toEqual(once);
  });
});

describe('devices projection', () => {
  it('keeps validity per category, channel coverage and bindings; earliest expiry over both', () => {
    const [device, owner, pro, channel] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const events = recorded([
      ...b.deviceRegistered({ deviceId: device, ownerId: owner, serial: 'sn 0042 ab', model: 'NVR-16', channels: 16, registeredAt: T0 }),
      ...b.licenseBoundToDevice({ licenseId: pro, deviceId: device, category: 'pro', validFrom: T0, validUntil: YEAR_LATER }),
      ...b.licenseBoundToDevice({ licenseId: channel, deviceId: device, category: 'channel', channel: 2, validFrom: T0, validUntil: T2 }),
    ]).filter((e) => e.streamId.startsWith('device-'));
    const row = rowsAfter(devicesProjection, 'rm_devices', events)[device];
    expect(row).toEqual({
      device_id: device, owner_id: owner, serial: 'SN0042AB', serial_norm: 'SN0042AB', model: 'NVR-16', channels: 16, registered_at: T0,
      valid_until: { pro: YEAR_LATER },
      channel_coverage: { 2: { licenseId: channel, validUntil: T2 } },
      bindings: {
        [pro]: { category: 'pro', channel: null, validFrom: T0, validUntil: YEAR_LATER },
        [channel]: { category: 'channel', channel: 2, validFrom: T0, validUntil: T2 },
      },
      earliest_expiry: T2,
      // Global positions: the license streams' events came in between.
      last_position: 6,
    });
  });

  it('a perpetual license never expires: nothing to expire, no earliest expiry', () => {
    const [device, license] = [randomUUID(), randomUUID()];
    const events = recorded([
      ...b.deviceRegistered({ deviceId: device, ownerId: randomUUID() }),
      ...b.licenseBoundToDevice({ licenseId: license, deviceId: device, category: 'base', validUntil: null }),
    ]).filter((e) => e.streamId.startsWith('device-'));
    expect(rowsAfter(devicesProjection, 'rm_devices', events)[device]).toMatchObject({ valid_until: { base: 'perpetual' }, earliest_expiry: null });
  });
});

describe('deployments projection', () => {
  it('created, installed, renewed, uninstalled: state, file and maintenance date', () => {
    const [deployment, owner, l1, l2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const events = recorded([
      ...b.deploymentCreated({ deploymentId: deployment, creatorId: owner, ownerId: owner, serverId: 'SRV-1', licenseIds: [l1, l2], maintenanceUntil: T1, createdAt: T0 }),
      ...b.deploymentInstalled({ deploymentId: deployment, fileNo: 1, licenseIds: [l1, l2], maintenanceUntil: T1, installedAt: T0 }),
      ...b.maintenanceRenewed({ deploymentId: deployment, fileNo: 2, licenseIds: [l1, l2], maintenanceUntil: YEAR_LATER, renewedAt: T1 }),
      ...b.deploymentUninstalled({ deploymentId: deployment, licenseIds: [l1, l2], uninstalledAt: T2 }),
    ]).filter((e) => e.streamId.startsWith('deployment-'));
    expect(rowsAfter(deploymentsProjection, 'rm_deployments', events)[deployment]).toEqual({
      deployment_id: deployment, owner_id: owner, creator_id: owner, server_id: 'SRV-1', status: 'uninstalled', license_ids: [l1, l2],
      maintenance_until: YEAR_LATER, file_no: 2, file_issued_at: T1, file_license_ids: [l1, l2], created_at: T0, uninstalled_at: T2, last_position: 4,
    });
  });
});

describe('catalog projection', () => {
  it('models, a purchase order fulfilled into keys, and a key claimed', () => {
    const buyer = randomUUID();
    const keyCode = b.keyCodeFor(randomUUID());
    const po = `PO-${randomUUID().slice(0, 8)}`;
    const events = recorded([
      ...b.modelDefined(proYear, 'Pro, one year', T0),
      ...b.purchaseOrderPlaced({ poNumber: po, buyerId: buyer, lines: [{ modelCode: 'PRO-1Y', quantity: 5 }], placedAt: T0 }),
      ...b.keyIssued({ keyCode, poNumber: po, lineNo: 1, buyerId: buyer, modelCode: 'PRO-1Y', quantity: 5, issuedAt: T1 }),
      [`po-${po}`, { type: 'PurchaseOrderFulfilled', data: { poNumber: po, keys: [{ keyCode, lineNo: 1, modelCode: 'PRO-1Y', quantity: 5 }], fulfilledAt: T1 } }],
      ...b.keyClaimed({ keyCode, accountId: buyer, licenseIds: [randomUUID()], claimedAt: T2 }),
    ]);
    expect(rowsAfter(catalogProjection, 'rm_license_models', events)['PRO-1Y']).toMatchObject({ name: 'Pro, one year', category: 'pro', term_days: 365 });
    expect(rowsAfter(catalogProjection, 'rm_purchase_orders', events)[po]).toMatchObject({ buyer_id: buyer, key_codes: [keyCode], placed_at: T0, fulfilled_at: T1 });
    expect(rowsAfter(catalogProjection, 'rm_keys', events)[keyCode]).toMatchObject({
      key_norm: keyCode.replace(/-/g, ''), po_number: po, quantity: 5, claimed_by: buyer, claimed_at: T2, issued_at: T1,
    });
  });
});
