/**
 * The arrows of ARCHITECTURE.md, checked on every `npm test`:
 * the domain imports nothing of ours and no framework; adapters never import
 * apps; apps reach a lib through its public entry (src/index.ts) only.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'libs-do-not-import-apps',
      comment: 'Apps compose libs; a lib that knows an app cannot be reused by another one.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'licensing-is-pure',
      comment: 'The domain is plain TypeScript: no Nest, no SQL, no I/O, no clock or randomness of its own.',
      severity: 'error',
      from: { path: '^libs/licensing/' },
      to: {
        pathNot: '^libs/licensing/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'event-store-has-no-framework',
      comment: 'The store is an adapter: postgres.js, PGlite and node built-ins only.',
      severity: 'error',
      from: { path: '^libs/event-store/' },
      to: { path: ['node_modules/@nestjs', '^libs/(?!event-store/)'] },
    },
    {
      name: 'read-models-have-no-framework',
      comment: 'Projections and queries are plain TypeScript over the store port: any app (API, projector, ledgerctl) can run them.',
      severity: 'error',
      from: { path: '^libs/read-models/' },
      to: { path: ['node_modules/@nestjs', '^libs/application/'] },
    },
    {
      name: 'only-through-public-entry',
      comment: "Import a lib by its alias (@ledger/<lib>), i.e. its src/index.ts, never a file inside it.",
      severity: 'error',
      from: { path: '^(apps|bench|test)/' },
      to: { path: '^libs/[^/]+/src/', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-dev-dependencies-in-production-code',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: '\\.(spec|int-spec|e2e-spec|contract)\\.ts$' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default', 'types'] },
  },
};
