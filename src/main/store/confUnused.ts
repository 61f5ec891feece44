// Stands in, in the built main-process bundles, for the three packages conf imports only for features
// Auth Pool never uses: ajv and ajv-formats (conf's JSON-schema validation, set up only when a `schema`,
// `rootSchema` or `ajvOptions` option is given) and semver (conf's own migrations, only with a
// `migrations` option). zod validates the state and src/main/store/migrations.ts migrates it, and
// confOptions (backend.ts) passes none of those options. Loading and evaluating them was a fifth of
// every command's start-up. Should conf ever reach one of them, it fails loudly, never silently.
// See electron.vite.config.ts (the alias) and stateStore.test.ts (the options never ask for them).

function unused(what: string): never {
  throw new Error(`auth-pool: conf tried to use ${what}, which the build leaves out (see src/main/store/confUnused.ts)`)
}

/** For `import { Ajv2020 } from 'ajv/dist/2020.js'`. */
export class Ajv2020 {
  constructor() {
    unused('ajv (JSON-schema validation)')
  }
}

/** For `import ajvFormats from 'ajv-formats'` (conf reads its `.default`) and `import semver from 'semver'`. */
const stub: Record<string, unknown> = new Proxy(
  {},
  {
    get: (_target, key) =>
      key === 'then' || typeof key === 'symbol' ? undefined : () => unused(`ajv-formats or semver (${key})`),
  },
)
export default stub
