import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The tray app and the command-line launcher share the engine; only index.ts touches Electron.
        // The usage worker builds indexes on a second core on a first start (UsageService.prime).
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/index.ts'),
          usageWorker: resolve('src/main/engine/usage/usageWorker.ts'),
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
