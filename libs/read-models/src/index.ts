export { type ColumnType, type ReadModel, type Row, type Rows, type TableSpec, instant } from './read-model';
export { RowSet } from './row-set';
export { type TablePlacement, physicalName, tableDigest } from './table-sql';
export {
  READ_MODELS_COMPONENT,
  READ_MODELS_MIGRATIONS,
  type GenerationRow,
  applyEvents,
  compareCheckpoints,
  createGeneration,
  ensureLiveGenerations,
  migrateReadModels,
  readGenerations,
} from './generations';
export { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner';
export { RebuildInProgressError, type RebuildOptions, type RebuildProgress, type RebuildReport, rebuildReadModel } from './rebuild';
export { LAG_COUNT_CAP, type ProjectionStatus, projectionStatus, readModelsReached } from './status';
export { type ReadModelVerifyReport, type TableComparison, type VerifyReadModelOptions, verifyReadModel } from './verify';
export { replayRows } from './as-of';
export * from './projections';
export * from './queries';
