/** The ProjectionRunner of this process, or null when LEDGER_PROJECTORS=off. */
export const PROJECTION_RUNNER = Symbol('PROJECTION_RUNNER');
/** LedgerConfig['readModels']. */
export const READ_MODELS_CONFIG = Symbol('READ_MODELS_CONFIG');
