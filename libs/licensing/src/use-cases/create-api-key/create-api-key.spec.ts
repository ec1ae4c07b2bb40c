import type { Emitted } from '../../decision';
import { given } from '../../testing';
import { apiKeyCreated, customer, deviceRegistered, partner, vendorOpened } from '../../test-builders';
import { type CreateApiKey, createApiKey } from './create-api-key.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();
const keyId = () => Math.random().toString(36).slice(2, 14);

function world() {
  const vendorId = id();
  const partnerId = id();
  const customerId = id();
  const events: Emitted[] = [...vendorOpened(vendorId), ...partner(partnerId, vendorId), ...customer(customerId, partnerId)];
  return { vendorId, partnerId, customerId, events };
}

function command(o: Partial<CreateApiKey> & { accountId: string }): CreateApiKey {
  const k = o.keyId ?? keyId();
  return { now: NOW, keyId: k, prefix: `ldg_${k}`, role: 'backoffice', name: 'billing sync', grantorRole: 'admin', ...o };
}

describe('CreateApiKey', () => {
  it('records the key without its secret: who holds it, for what, until when', () => {
    const w = world();
    const c = command({ accountId: w.partnerId, role: 'partner', expiresAt: '2026-01-01T00:00:00.000Z' });
    given(w.events)
      .when(createApiKey, c)
      .then([
        [
          `apikey-${c.keyId}`,
          {
            type: 'ApiKeyCreated',
            data: { keyId: c.keyId, prefix: c.prefix, accountId: w.partnerId, role: 'partner', name: 'billing sync', deviceId: null, serverId: null, expiresAt: '2026-01-01T00:00:00.000Z', createdAt: NOW },
          },
        ],
      ]);
  });

  it('lets a partner grant its customers and machines keys, never a role above its own', () => {
    const w = world();
    given(w.events).when(createApiKey, command({ accountId: w.customerId, role: 'customer', grantorRole: 'partner' })).decision();
    given(w.events).when(createApiKey, command({ accountId: w.partnerId, role: 'backoffice', grantorRole: 'partner' })).thenRefused('ROLE_NOT_GRANTABLE', { role: 'backoffice' });
    given(w.events).when(createApiKey, command({ accountId: w.vendorId, role: 'admin', grantorRole: 'partner' })).thenRefused('ROLE_NOT_GRANTABLE');
  });

  it('grants nothing from roles that hold no key management', () => {
    const w = world();
    for (const grantorRole of ['backoffice', 'customer', 'dashboard', 'auditor', 'device', 'license-server'] as const)
      given(w.events).when(createApiKey, command({ accountId: w.customerId, role: 'dashboard', grantorRole })).thenRefused('ROLE_NOT_GRANTABLE');
  });

  it('keeps admin and auditor keys on the vendor account, partner and customer keys on accounts of their kind', () => {
    const w = world();
    given(w.events).when(createApiKey, command({ accountId: w.partnerId, role: 'admin' })).thenRefused('ROLE_NOT_FOR_ACCOUNT', { accountKind: 'partner' });
    given(w.events).when(createApiKey, command({ accountId: w.customerId, role: 'auditor' })).thenRefused('ROLE_NOT_FOR_ACCOUNT');
    given(w.events).when(createApiKey, command({ accountId: w.customerId, role: 'partner' })).thenRefused('ROLE_NOT_FOR_ACCOUNT');
    given(w.events).when(createApiKey, command({ accountId: w.partnerId, role: 'customer' })).thenRefused('ROLE_NOT_FOR_ACCOUNT');
    given(w.events).when(createApiKey, command({ accountId: w.vendorId, role: 'auditor' })).decision();
  });

  it('binds a device key to one of the account\'s own devices', () => {
    const w = world();
    const deviceId = id();
    const foreign = id();
    const events = [...w.events, ...deviceRegistered({ deviceId, ownerId: w.customerId }), ...deviceRegistered({ deviceId: foreign, ownerId: w.partnerId })];
    const ok = given(events).when(createApiKey, command({ accountId: w.customerId, role: 'device', deviceId })).decision();
    expect(ok.events[0]?.[1].data).toMatchObject({ role: 'device', deviceId });
    given(events).when(createApiKey, command({ accountId: w.customerId, role: 'device', deviceId: foreign })).thenRefused('DEVICE_NOT_FOUND');
    given(events).when(createApiKey, command({ accountId: w.customerId, role: 'device' })).thenRefused('INVALID_COMMAND');
    given(events).when(createApiKey, command({ accountId: w.customerId, role: 'customer', deviceId })).thenRefused('INVALID_COMMAND');
  });

  it('needs a server id for license-server keys', () => {
    const w = world();
    given(w.events).when(createApiKey, command({ accountId: w.customerId, role: 'license-server' })).thenRefused('INVALID_COMMAND');
    const ok = given(w.events).when(createApiKey, command({ accountId: w.customerId, role: 'license-server', serverId: 'HW-1234' })).decision();
    expect(ok.events[0]?.[1].data).toMatchObject({ serverId: 'HW-1234' });
  });

  it('refuses an unknown account, an unknown role, a past expiry, a blank name and a key id in use', () => {
    const w = world();
    given(w.events).when(createApiKey, command({ accountId: id() })).thenRefused('ACCOUNT_NOT_FOUND');
    given(w.events).when(createApiKey, command({ accountId: w.partnerId, role: 'root' as never })).thenRefused('INVALID_COMMAND');
    given(w.events).when(createApiKey, command({ accountId: w.partnerId, expiresAt: NOW })).thenRefused('INVALID_COMMAND', { expiresAt: NOW });
    given(w.events).when(createApiKey, command({ accountId: w.partnerId, name: '  ' })).thenRefused('INVALID_COMMAND');
    const taken = keyId();
    given([...w.events, ...apiKeyCreated({ keyId: taken, accountId: w.partnerId })]).when(createApiKey, command({ accountId: w.partnerId, keyId: taken })).thenRefused('INVALID_COMMAND');
  });
});
