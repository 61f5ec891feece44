import type { LoginItem } from './loginItem'
import { installCommand, installedCommand, type CommandRuntime, type InstallOutcome } from './pathCommand'

/** What the tray and the dashboard's Settings change about the app on this computer. */
export interface Desktop {
  /** Whether the app starts at login, and where the `auth-pool` command is installed (null: it is not). */
  status(): { readonly startAtLogin: boolean; readonly commandPath: string | null }
  setStartAtLogin(on: boolean): void
  installCommand(): InstallOutcome
}

export function createDesktop(system: {
  readonly platform: NodeJS.Platform
  readonly env: NodeJS.ProcessEnv
  readonly homedir: string
  readonly loginItem: LoginItem
  readonly runtime: CommandRuntime
  /** Keeps the choice among the app's preferences. */
  readonly remember?: (startAtLogin: boolean) => void
}): Desktop {
  return {
    status: () => ({
      startAtLogin: system.loginItem.isEnabled(),
      commandPath: installedCommand(system.platform, system.env, system.homedir),
    }),
    setStartAtLogin(on) {
      system.loginItem.setEnabled(on)
      system.remember?.(on)
    },
    installCommand: () => installCommand(system),
  }
}
