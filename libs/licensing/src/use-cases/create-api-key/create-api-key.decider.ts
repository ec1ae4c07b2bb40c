import { GRANTABLE, type Role, VENDOR_ROLES, isRole } from '../../access';
import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import { existingAccount } from '../../rules';
import { streamId } from '../../streams';

export interface CreateApiKey {
  now: string;
  /** Chosen by the caller with the secret (the key is `<prefix>_<secret>`); the secret never reaches the ledger. */
  keyId: string;
  prefix: string;
  accountId: string;
  role: Role;
  name: string;
  deviceId?: string | null;
  serverId?: string | null;
  expiresAt?: string | null;
  /** The role of whoever asks: nobody grants more than they hold. */
  grantorRole: Role;
}

export interface CreateApiKeyResult {
  keyId: string;
  prefix: string;
  accountId: string;
  role: Role;
  expiresAt: string | null;
}

const PRINTABLE = /^[\x20-\x7e]{1,100}$/;

export const createApiKey: Decider<CreateApiKey, CreateApiKeyResult> = {
  name: 'CreateApiKey',
  decide(c, facts) {
    if (!isRole(c.role)) refuse('INVALID_COMMAND', `role must be one of the ledger's roles, got ${JSON.stringify(c.role)}`, {}, '/role');
    if (!PRINTABLE.test(c.name) || c.name.trim() === '') refuse('INVALID_COMMAND', 'a key name is 1 to 100 printable ASCII characters', {}, '/name');
    const deviceId = c.deviceId ?? null;
    const serverId = c.serverId ?? null;
    if ((c.role === 'device') !== (deviceId !== null))
      refuse('INVALID_COMMAND', 'a deviceId is given for device keys, and only for them', {}, '/deviceId');
    if ((c.role === 'license-server') !== (serverId !== null))
      refuse('INVALID_COMMAND', 'a serverId is given for license-server keys, and only for them', {}, '/serverId');
    if (serverId !== null && !/^[\x21-\x7e]{1,200}$/.test(serverId)) refuse('INVALID_COMMAND', 'a serverId is 1 to 200 printable ASCII characters without spaces', {}, '/serverId');
    const expiresAt = c.expiresAt ?? null;
    if (expiresAt !== null && !(Date.parse(expiresAt) > Date.parse(c.now)))
      refuse('INVALID_COMMAND', `expiresAt must be later than now (${c.now})`, { expiresAt }, '/expiresAt');
    if (!GRANTABLE[c.grantorRole].includes(c.role))
      refuse('ROLE_NOT_GRANTABLE', `a ${c.grantorRole} credential cannot create ${c.role} keys`, { role: c.role, grantorRole: c.grantorRole }, '/role');

    facts.require(streamId.account(c.accountId), streamId.apiKey(c.keyId), ...(deviceId !== null ? [streamId.device(deviceId)] : []));
    const account = existingAccount(facts, c.accountId, '/accountId');
    if (VENDOR_ROLES.includes(c.role) && account.kind !== 'vendor')
      refuse('ROLE_NOT_FOR_ACCOUNT', `${c.role} keys belong to the vendor's account; ${c.accountId} is a ${account.kind}`, { role: c.role, accountKind: account.kind }, '/role');
    if ((c.role === 'partner' || c.role === 'customer') && account.kind !== c.role)
      refuse('ROLE_NOT_FOR_ACCOUNT', `${c.role} keys belong to ${c.role} accounts; ${c.accountId} is a ${account.kind}`, { role: c.role, accountKind: account.kind }, '/role');
    if (deviceId !== null) {
      const device = facts.device(deviceId);
      // Another account's device is answered as a missing one: it is not the caller's to know of.
      if (!device.exists || device.ownerId !== c.accountId) refuse('DEVICE_NOT_FOUND', `device ${deviceId} does not exist`, { deviceId }, '/deviceId');
    }
    // Key ids are random (60 bits): a clash is a caller's bug or an attack, never silently shared.
    if (facts.apiKey(c.keyId).exists) refuse('INVALID_COMMAND', `key id ${c.keyId} is already in use`, { keyId: c.keyId });

    return {
      events: [
        [
          streamId.apiKey(c.keyId),
          { type: 'ApiKeyCreated', data: { keyId: c.keyId, prefix: c.prefix, accountId: c.accountId, role: c.role, name: c.name, deviceId, serverId, expiresAt, createdAt: c.now } },
        ],
      ],
      result: { keyId: c.keyId, prefix: c.prefix, accountId: c.accountId, role: c.role, expiresAt },
    };
  },
};
