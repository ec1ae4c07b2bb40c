import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { streamId } from '../../streams';

export interface RevokeApiKey {
  now: string;
  keyId: string;
  reason?: string | null;
}

export const revokeApiKey: Decider<RevokeApiKey, { keyId: string; revokedAt: string }> = {
  name: 'RevokeApiKey',
  decide(c, facts) {
    const reason = c.reason ?? null;
    if (reason !== null && !/^[\x20-\x7e]{1,500}$/.test(reason)) refuse('INVALID_COMMAND', 'a reason is 1 to 500 printable ASCII characters', {}, '/reason');
    const key = facts.apiKey(c.keyId);
    if (!key.exists) refuse('API_KEY_NOT_FOUND', `API key ${c.keyId} does not exist`, { keyId: c.keyId });
    // Revoking twice is the outcome that already holds: the first revocation's time stands.
    if (key.revokedAt !== null) return { events: [], result: { keyId: c.keyId, revokedAt: key.revokedAt } };
    return {
      events: [[streamId.apiKey(c.keyId), { type: 'ApiKeyRevoked', data: { keyId: c.keyId, reason, revokedAt: c.now } }]],
      result: { keyId: c.keyId, revokedAt: c.now },
    };
  },
};
