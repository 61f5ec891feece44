import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import { readFileSync } from 'node:fs'

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }

export default defineConfig({
  main: {
    // Whitespace and syntax minified (every command compiles these bundles at its start: 6–7 ms of
    // `status` and `env` here), names kept, so a stack trace still names its functions.
    esbuild: { minifyIdentifiers: false },
    define: { __AUTH_POOL_VERSION__: JSON.stringify(version) },
    build: {
      // zod is bundled, not loaded from node_modules at run time: resolving and compiling its files was
      // most of a command's start-up. electron-store stays external for the app.
      externalizeDeps: { exclude: ['zod'] },
      minify: 'esbuild',
      rollupOptions: {
        // The tray app and the command-line launcher share the engine; only index.ts touches Electron.
        // The usage worker builds indexes on a second core on a first start (UsageService.prime).
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/index.ts'),
          usageWorker: resolve('src/main/usage/usageWorker.ts'),
          // `auth-pool statusline`, run by Claude Code on every render: its own small bundle.
          statusline: resolve('src/main/cli/statuslineEntry.ts'),
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
