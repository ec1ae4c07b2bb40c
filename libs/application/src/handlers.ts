import { OpenAccountHandler } from './open-account/open-account.handler';
import { LinkAccountsHandler } from './link-accounts/link-accounts.handler';
import { DefineLicenseModelHandler } from './define-license-model/define-license-model.handler';
import { PlacePurchaseOrderHandler } from './place-purchase-order/place-purchase-order.handler';
import { FulfilPurchaseOrderHandler } from './fulfil-purchase-order/fulfil-purchase-order.handler';
import { ClaimKeyHandler } from './claim-key/claim-key.handler';
import { RegisterDeviceHandler } from './register-device/register-device.handler';
import { AllocateSeatHandler } from './allocate-seat/allocate-seat.handler';
import { BindDeviceHandler } from './bind-device/bind-device.handler';
import { SellToEnduserHandler } from './sell-to-enduser/sell-to-enduser.handler';
import { TransferFromLinkedAccountHandler } from './transfer-from-linked-account/transfer-from-linked-account.handler';
import { MoveLicenseHandler } from './move-license/move-license.handler';
import { ExtendMspPortalHandler } from './extend-msp-portal/extend-msp-portal.handler';
import { RevokeLicenseHandler } from './revoke-license/revoke-license.handler';
import { CreateDeploymentHandler } from './create-deployment/create-deployment.handler';
import { InstallDeploymentHandler } from './install-deployment/install-deployment.handler';
import { RenewMaintenanceHandler } from './renew-maintenance/renew-maintenance.handler';
import { UninstallPermanentHandler } from './uninstall-permanent/uninstall-permanent.handler';
import { CreateApiKeyHandler } from './create-api-key/create-api-key.handler';
import { RevokeApiKeyHandler } from './revoke-api-key/revoke-api-key.handler';

/** Every command handler, for the module's providers. */
export const COMMAND_HANDLERS = [
  OpenAccountHandler,
  LinkAccountsHandler,
  DefineLicenseModelHandler,
  PlacePurchaseOrderHandler,
  FulfilPurchaseOrderHandler,
  ClaimKeyHandler,
  RegisterDeviceHandler,
  AllocateSeatHandler,
  BindDeviceHandler,
  SellToEnduserHandler,
  TransferFromLinkedAccountHandler,
  MoveLicenseHandler,
  ExtendMspPortalHandler,
  RevokeLicenseHandler,
  CreateDeploymentHandler,
  InstallDeploymentHandler,
  RenewMaintenanceHandler,
  UninstallPermanentHandler,
  CreateApiKeyHandler,
  RevokeApiKeyHandler,
];
