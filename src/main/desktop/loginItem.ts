import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

// Start at login. macOS and Windows have Electron's app.setLoginItemSettings; Linux has no API in
// Electron, but every desktop that follows freedesktop.org starts what `~/.config/autostart/*.desktop`
// names. Only the Electron calls need Electron; this file is plain Node.

/** What starts the app: the executable and its arguments (unpackaged, Electron and the app's folder). */
export interface AppCommand {
  readonly executable: string
  readonly args: readonly string[]
}

/** The slice of Electron's `app` used on macOS and Windows. */
export interface ElectronLoginItems {
  setLoginItemSettings(settings: { openAtLogin: boolean; path?: string; args?: string[] }): void
  getLoginItemSettings(options?: { path?: string; args?: string[] }): { openAtLogin: boolean }
}

export interface LoginItem {
  isEnabled(): boolean
  setEnabled(on: boolean): void
}

/** An argument of a desktop entry's Exec key, quoted as the freedesktop.org spec says. */
function execArg(arg: string): string {
  const escaped = arg.replace(/%/g, '%%')
  if (!/[\s"'\\`$<>~|&;*?#()]/.test(escaped)) return escaped
  return `"${escaped.replace(/["`$\\]/g, (c) => `\\${c}`)}"`
}

/** The autostart entry that starts the app at login (Linux). */
export function autostartEntry(command: AppCommand): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Auth Pool',
    'Comment=Starts each Claude Code session on a subscription with headroom',
    `Exec=${[command.executable, ...command.args].map(execArg).join(' ')}`,
    'Icon=auth-pool',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n')
}

export const autostartPath = (env: NodeJS.ProcessEnv, homedir: string) =>
  join(env.XDG_CONFIG_HOME || join(homedir, '.config'), 'autostart', 'auth-pool.desktop')

/**
 * The command that starts this app at login. An AppImage runs from a mount point that changes with every
 * start: the entry names the AppImage file itself (`APPIMAGE`).
 */
export function appCommand(execPath: string, env: NodeJS.ProcessEnv, appPath: string | null): AppCommand {
  if (env.APPIMAGE) return { executable: env.APPIMAGE, args: [] }
  return { executable: execPath, args: appPath ? [appPath] : [] }
}

export function createLoginItem(system: {
  readonly platform: NodeJS.Platform
  readonly env: NodeJS.ProcessEnv
  readonly homedir: string
  readonly command: AppCommand
  readonly electron?: ElectronLoginItems
}): LoginItem {
  if (system.platform === 'linux') {
    const path = autostartPath(system.env, system.homedir)
    return {
      isEnabled() {
        try {
          return readFileSync(path, 'utf8').includes('[Desktop Entry]')
        } catch {
          return false
        }
      },
      setEnabled(on) {
        if (!on) return rmSync(path, { force: true })
        mkdirSync(join(path, '..'), { recursive: true })
        writeFileSync(path, autostartEntry(system.command), { mode: 0o644 })
      },
    }
  }
  const electron = system.electron
  if (!electron) throw new Error(`starting at login on ${system.platform} needs Electron's login item settings`)
  // Windows keys the entry by the executable and its arguments; macOS ignores both.
  const where = system.platform === 'win32' ? { path: system.command.executable, args: [...system.command.args] } : {}
  return {
    isEnabled: () => electron.getLoginItemSettings(where).openAtLogin,
    setEnabled: (on) => electron.setLoginItemSettings({ openAtLogin: on, ...where }),
  }
}
