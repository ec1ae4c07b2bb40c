import { given } from '../../testing';
import { modelDefined, terms } from '../../test-builders';
import { type DefineLicenseModel, MAX_TERM_DAYS, defineLicenseModel } from './define-license-model.decider';

const NOW = '2025-06-01T12:00:00.000Z';

const AP = terms({ code: 'AP-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365, seats: 1, deviceModels: ['AP-1', 'AP-2'] });
const define = (o: Partial<DefineLicenseModel> = {}): DefineLicenseModel => ({ now: NOW, name: 'Access point, 1 year', ...AP, ...o });

describe('DefineLicenseModel', () => {
  it('defines a model with its terms', () => {
    given([])
      .when(defineLicenseModel, define())
      .then([['model-AP-1YR-LIC', { type: 'LicenseModelDefined', data: { ...AP, name: 'Access point, 1 year', definedAt: NOW } }]]);
  });

  it('defines a perpetual model (termDays null)', () => {
    given([])
      .when(defineLicenseModel, define({ code: 'SRV-PERP', bindsTo: 'deployment', category: 'capacity', termDays: null, deviceModels: [] }))
      .then(modelDefined(terms({ code: 'SRV-PERP', bindsTo: 'deployment', category: 'capacity', termDays: null }), 'Access point, 1 year', NOW));
  });

  it('records nothing when defined again with the same terms', () => {
    given(modelDefined(AP, 'Access point, 1 year')).when(defineLicenseModel, define()).thenNothing();
  });

  it('refuses the same code with other terms (LICENSE_MODEL_EXISTS)', () => {
    const existing = modelDefined(AP, 'Access point, 1 year');
    for (const other of [{ termDays: 730 }, { deviceModels: ['AP-1'] }, { category: 'cloud-ai' }, { name: 'Another name' }, { seats: 5 }, { bindsTo: 'channel' as const }]) {
      const refusal = given(existing).when(defineLicenseModel, define(other)).thenRefused('LICENSE_MODEL_EXISTS', { code: 'AP-1YR-LIC' });
      expect(refusal.kind).toBe('conflict');
    }
  });

  it('refuses a term that is not a positive whole number, no seats, and a perpetual msp-portal model (INVALID_COMMAND)', () => {
    expect(given([]).when(defineLicenseModel, define({ termDays: 0 })).thenRefused('INVALID_COMMAND').pointer).toBe('/termDays');
    expect(given([]).when(defineLicenseModel, define({ termDays: 1.5 })).thenRefused('INVALID_COMMAND').kind).toBe('invalid');
    // Longer than a century would run past the dates ISO-8601 and PostgreSQL hold.
    expect(given([]).when(defineLicenseModel, define({ termDays: MAX_TERM_DAYS + 1 })).thenRefused('INVALID_COMMAND').pointer).toBe('/termDays');
    given([]).when(defineLicenseModel, define({ termDays: MAX_TERM_DAYS })).then(modelDefined({ ...AP, termDays: MAX_TERM_DAYS }, 'Access point, 1 year', NOW));
    expect(given([]).when(defineLicenseModel, define({ seats: 0 })).thenRefused('INVALID_COMMAND').pointer).toBe('/seats');
    expect(given([]).when(defineLicenseModel, define({ bindsTo: 'msp-portal', termDays: null })).thenRefused('INVALID_COMMAND').pointer).toBe('/termDays');
  });
});
