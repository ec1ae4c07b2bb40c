export { type CursorValue, InvalidCursorError, type Page } from './cursor';
export { type AsOf, type ExpiringItem, type Inventory, type InventoryFilters, LedgerQueries, type ListOptions, type ScopeOptions, type SearchItem } from './ledger-queries';
export {
  type AccountView,
  type DeploymentView,
  type DeviceSummary,
  type DeviceView,
  INVENTORY_STATUSES,
  type InventoryCount,
  type InventoryStatus,
  type LicenseDetail,
  type LicenseSummary,
} from './shape';
