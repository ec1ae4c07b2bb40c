import type { ReadModel } from '../read-model';
import { accountsProjection } from './accounts.projection';
import { catalogProjection } from './catalog.projection';
import { deploymentsProjection } from './deployments.projection';
import { devicesProjection } from './devices.projection';
import { licensesProjection } from './licenses.projection';

export * from './accounts.projection';
export * from './catalog.projection';
export * from './deployments.projection';
export * from './devices.projection';
export * from './licenses.projection';

/** Every read model of the ledger, in the order /v1/projections lists them. */
export const LEDGER_READ_MODELS: readonly ReadModel[] = [
  accountsProjection,
  catalogProjection,
  licensesProjection,
  devicesProjection,
  deploymentsProjection,
];
