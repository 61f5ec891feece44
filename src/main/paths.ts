import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const PRODUCT_NAME = 'Auth Pool'

declare const __AUTH_POOL_VERSION__: string | undefined
/** The version the build stamped (electron.vite.config.ts); run from source, `development`. */
export const VERSION = typeof __AUTH_POOL_VERSION__ === 'string' ? __AUTH_POOL_VERSION__ : 'development'

/**
 * Where state lives: `AUTH_POOL_HOME`, else the directory Electron uses as the app's userData on this OS,
 * so the CLI and the tray app share one file.
 */
export function defaultHome(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.AUTH_POOL_HOME) return env.AUTH_POOL_HOME
  const home = env.HOME || homedir()
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME)
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), PRODUCT_NAME)
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), PRODUCT_NAME)
}

/**
 * The built usage worker beside the calling bundle (`out/main/usageWorker.js`), or undefined when
 * running from source (tests, the browser tests' bridge), where the service reads on one thread.
 */
export function builtUsageWorker(callerUrl: string): URL | undefined {
  const url = pathToFileURL(unpacked(fileURLToPath(new URL('./usageWorker.js', callerUrl))))
  return callerUrl.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : undefined
}

/**
 * A packaged app's file as it lies on disk outside the archive: `out/main` is unpacked from app.asar
 * (electron-builder.yml), so a worker thread and a plain `node`-mode runtime can load it.
 */
export function unpacked(path: string): string {
  return path.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`)
}

/** What the `auth-pool` command runs, for the bundles in `mainDir` (out/main), with `runtime`. */
export function commandRuntime(mainDir: string, runtime: string) {
  const dir = unpacked(mainDir)
  return { runtime, cli: join(dir, 'cli.js'), statusline: join(dir, 'statusline.js') }
}

/**
 * The auth-pool command as Claude Code should run it (an account's status line): the launcher script of
 * this installation, `bin/auth-pool` beside the calling bundle's `out/` (or `src/`) folder.
 */
export function authPoolExecutable(callerUrl: string): string {
  return fileURLToPath(new URL('../../bin/auth-pool', callerUrl))
}
