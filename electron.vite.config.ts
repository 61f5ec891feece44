import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import { schemaFingerprintOf, stateSchemaFingerprint } from './src/main/store/schemaFingerprint'
import { AllocationSchema } from './src/shared/schemas/pool'

export default defineConfig({
  main: {
    // conf imports ajv, ajv-formats and semver for features we never ask of it (schema validation, its
    // own migrations); evaluating them was a fifth of each command's start-up. See confUnused.ts.
    // Worked out here once rather than by every process at its start (see schemaFingerprint.ts).
    // Whitespace and syntax minified (every command compiles these bundles at its start: 6–7 ms of
    // `status` and `env` here), names kept, so a stack trace still names its functions.
    esbuild: { minifyIdentifiers: false },
    define: {
      __STATE_SCHEMA_FINGERPRINT__: JSON.stringify(stateSchemaFingerprint()),
      __ALLOCATION_SCHEMA_FINGERPRINT__: JSON.stringify(schemaFingerprintOf(AllocationSchema)),
    },
    resolve: {
      alias: {
        'ajv/dist/2020.js': resolve('src/main/store/confUnused.ts'),
        'ajv-formats': resolve('src/main/store/confUnused.ts'),
        semver: resolve('src/main/store/confUnused.ts'),
      },
    },
    build: {
      // zod and conf (with ajv, which conf loads) are bundled, not loaded from node_modules at run time:
      // resolving and compiling their hundreds of files was most of the command line's start-up
      // (`auth-pool status` 0.48–0.54 s → 0.27–0.37 s here). electron-store stays external for the app.
      externalizeDeps: { exclude: ['zod', 'conf'] },
      minify: 'esbuild',
      rollupOptions: {
        // The tray app and the command-line launcher share the engine; only index.ts touches Electron.
        // The usage worker builds indexes on a second core on a first start (UsageService.prime).
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/index.ts'),
          usageWorker: resolve('src/main/usage/usageWorker.ts'),
        },
      },
    },
  },
  preload: {
    // Sandboxed preloads cannot be ES modules.
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: { rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
    plugins: [react()],
  },
})
