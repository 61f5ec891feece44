import { homedir } from 'node:os'
import { join } from 'node:path'

export const PRODUCT_NAME = 'Auth Pool'

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
