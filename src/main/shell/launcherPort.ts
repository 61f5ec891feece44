import type { LauncherPort } from '../ipc/handlers'
import { openTerminal, planTerminal } from '../launcher/terminal'

/**
 * Opens the configured terminal running `auth-pool` (this app's own CLI entry, run by Electron as Node)
 * in a folder. A missing terminal is reported, so the shell can say which setting to fill in.
 */
export function createTerminalLauncher(deps: {
  readonly cliEntry: string
  readonly execPath: string
  readonly terminalSetting: () => Promise<string | null>
  readonly defaultCwd: () => string
}): LauncherPort {
  const posix = process.platform !== 'win32'
  const argv = (args: string[]) =>
    posix
      ? ['env', 'ELECTRON_RUN_AS_NODE=1', deps.execPath, deps.cliEntry, ...args]
      : [deps.execPath, deps.cliEntry, ...args]
  const env = posix ? process.env : { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
  async function open(args: string[], cwd: string): Promise<{ ok: boolean; message: string }> {
    const plan = planTerminal(argv(args), cwd, {
      setting: await deps.terminalSetting(),
      env: process.env,
      platform: process.platform,
    })
    if ('error' in plan) return { ok: false, message: plan.error }
    try {
      await openTerminal(plan, env)
      return { ok: true, message: `opened ${plan.command}` }
    } catch (error) {
      return {
        ok: false,
        message: `could not start ${plan.command}: ${(error as Error).message}; choose another terminal in Settings`,
      }
    }
  }
  return {
    async launch(request) {
      const cwd = request.cwd ?? deps.defaultCwd()
      // The folder is the terminal's working directory, where `run` starts: it is never put in a command line.
      const result = await open(['run', ...(request.account ? ['--account', request.account] : [])], cwd)
      return { launched: result.ok, message: result.message }
    },
    async login(account) {
      const result = await open(['login', account.name], deps.defaultCwd())
      return { started: result.ok, message: result.message }
    },
  }
}
