import { given } from '../../testing';
import { apiKeyCreated, vendorOpened } from '../../test-builders';
import { revokeApiKey } from './revoke-api-key.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const id = () => crypto.randomUUID();

describe('RevokeApiKey', () => {
  it('revokes a key, with the reason given', () => {
    const vendorId = id();
    const keyId = id().slice(0, 12);
    given([...vendorOpened(vendorId), ...apiKeyCreated({ keyId, accountId: vendorId })])
      .when(revokeApiKey, { now: NOW, keyId, reason: 'leaked in a ticket' })
      .then([[`apikey-${keyId}`, { type: 'ApiKeyRevoked', data: { keyId, reason: 'leaked in a ticket', revokedAt: NOW } }]]);
  });

  it('records nothing when the key is revoked already, and answers with the first revocation', () => {
    const vendorId = id();
    const keyId = id().slice(0, 12);
    const earlier = '2025-05-01T00:00:00.000Z';
    const events = [
      ...vendorOpened(vendorId),
      ...apiKeyCreated({ keyId, accountId: vendorId }),
      [`apikey-${keyId}`, { type: 'ApiKeyRevoked', data: { keyId, reason: null, revokedAt: earlier } }] as const,
    ];
    given(events).when(revokeApiKey, { now: NOW, keyId }).thenNothing();
    expect(given(events).when(revokeApiKey, { now: NOW, keyId }).decision().result).toEqual({ keyId, revokedAt: earlier });
  });

  it('refuses a key that does not exist', () => {
    given([]).when(revokeApiKey, { now: NOW, keyId: 'nosuchkey' }).thenRefused('API_KEY_NOT_FOUND', { keyId: 'nosuchkey' });
  });
});
