import type { Decider } from '../../decision';
import { refuse } from '../../errors';
import type { ModelTerms } from '../../events';
import { streamId } from '../../streams';

/** A century: longer terms are perpetual licenses in disguise, and dates past year 9999 do not exist in ISO-8601. */
export const MAX_TERM_DAYS = 36_500;

export interface DefineLicenseModel extends ModelTerms {
  now: string;
  name: string;
}

/** A model never changes once defined: licenses copy its terms when issued. */
export const defineLicenseModel: Decider<DefineLicenseModel, { code: string }> = {
  name: 'DefineLicenseModel',
  decide(c, facts) {
    const { now, ...definition } = c;
    if (definition.termDays !== null && (!Number.isSafeInteger(definition.termDays) || definition.termDays < 1 || definition.termDays > MAX_TERM_DAYS))
      refuse('INVALID_COMMAND', `termDays must be a whole number from 1 to ${MAX_TERM_DAYS}, or null for perpetual`, {}, '/termDays');
    if (definition.bindsTo === 'msp-portal' && definition.termDays === null)
      refuse('INVALID_COMMAND', 'an msp-portal license extends the portal by its term: termDays is required', {}, '/termDays');
    if (!Number.isSafeInteger(definition.seats) || definition.seats < 1) refuse('INVALID_COMMAND', 'seats must be a positive whole number', {}, '/seats');
    const existing = facts.model(c.code);
    if (existing.exists) {
      const { exists: _exists, ...current } = existing;
      if (sameDefinition(current, definition)) return { events: [], result: { code: c.code } };
      refuse('LICENSE_MODEL_EXISTS', `license model ${c.code} is already defined with other terms`, { code: c.code }, '/code');
    }
    return { events: [[streamId.model(c.code), { type: 'LicenseModelDefined', data: { ...definition, definedAt: now } }]], result: { code: c.code } };
  },
};

function sameDefinition(a: Omit<DefineLicenseModel, 'now'>, b: Omit<DefineLicenseModel, 'now'>): boolean {
  return (
    a.code === b.code && a.name === b.name && a.category === b.category && a.bindsTo === b.bindsTo && a.termDays === b.termDays &&
    a.seats === b.seats && a.deviceModels.length === b.deviceModels.length && a.deviceModels.every((m, i) => m === b.deviceModels[i])
  );
}
