import { findAccount } from '../engine/accounts'
import type { Pool } from '../engine/pool'
import { readLoginIdentity } from '../engine/identity'
import type { FileSystem } from '../engine/ports'
import type { UsageService } from '../usage/usageService'
import type { Handlers } from './router'
import { ValidationError } from '../../shared/errors'
import { isKnownTerminalProgram, KNOWN_TERMINALS, splitCommandLine } from '../launcher/terminal'
import { claudeProgramProblem } from '../launcher/executable'
import { setStatusLine, statusLineInstalled } from '../launcher/statusLineSetting'
import type { Desktop } from '../desktop/desktop'

/** Starting Claude Code in a terminal (the launcher issue); the shell supplies it. */
export interface LauncherPort {
  launch(request: { account?: string; cwd?: string }): Promise<{ launched: boolean; message: string }>
  login(account: { name: string; configDir: string }): Promise<{ started: boolean; message: string }>
}

/** The main process's file dialog; the shell supplies it. Resolves to the chosen path, or null. */
export type ChooseFile = (title: string) => Promise<string | null>

/** The contract's channels, each mapped to one engine call. */
export function createHandlers(deps: {
  engine: Pool
  usage: UsageService
  fs: FileSystem
  launcher: LauncherPort
  chooseFile: ChooseFile
  /** Whether a program is on PATH (which known terminals are there). */
  findProgram: (name: string) => string | undefined
  /** Auth Pool's home (what it keeps about an account's status line is there). */
  home: string
  /** The auth-pool command an account's status line runs. */
  executable: string
  /** Start at login and the command on the PATH. */
  desktop: Desktop
}): Handlers {
  const { engine, usage } = deps
  const account = async (ref: string) => findAccount({ accounts: await engine.listAccounts() }, ref)
  /** A folder the renderer names must be one (it is stored, and a terminal is started in it). */
  const existingFolder = (cwd: string | undefined) => {
    if (cwd !== undefined && !deps.fs.stat(cwd)?.isDirectory)
      throw ValidationError.field('cwd', `${cwd} does not exist or is not a folder`)
    return cwd
  }
  return {
    'pool:status': () => engine.status(),
    'pool:allocate': (input) => engine.allocate({ cwd: existingFolder(input.cwd), account: input.account }),
    'pool:setPreferred': async (input) => ({ preferredAccountId: await engine.setPreferredAccount(input.account) }),
    'pool:metrics': async () => engine.metrics(),
    'accounts:list': () => engine.listAccounts(),
    'accounts:add': (input) => engine.addAccount(input),
    'accounts:update': (input) => engine.updateAccount(input.account, input.patch),
    'accounts:remove': async (input) => {
      const removed = await engine.removeAccount(input.account, { force: input.force })
      usage.forget(removed.configDir)
      return removed
    },
    'accounts:identity': async (input) => {
      const { configDir } = await account(input.account)
      return { ...readLoginIdentity(deps.fs, configDir), statusLine: statusLineInstalled(deps.home, configDir) }
    },
    'accounts:statusLine': async (input) => {
      const found = await account(input.account)
      const message = setStatusLine(deps.home, found, input.on, deps.executable)
      return { on: statusLineInstalled(deps.home, found.configDir), message }
    },
    'accounts:login': async (input) => deps.launcher.login(await account(input.account)),
    'sessions:list': async (input) => {
      const [sessions, accounts] = await Promise.all([
        engine.sessions({ account: input?.account, activeOnly: input?.activeOnly }),
        engine.listAccounts(),
      ])
      const byId = new Map(accounts.map((a) => [a.id, a]))
      const now = Date.now()
      // Each launched session's share of its account's ledger: its folder, between its start and end.
      return sessions.map((s) => {
        const to = s.endedAt ? Date.parse(s.endedAt) : now
        return { ...s, usage: usage.totalsBetween(byId.get(s.accountId)!, s.cwd, Date.parse(s.startedAt), to + 1) }
      })
    },
    'sessions:end': (input) => engine.release(input.sessionId, 'ended-by-user'),
    'usage:get': async (input) => {
      const found = await account(input.account)
      return { summary: usage.summaryOf(found), diagnostics: usage.diagnostics(found) }
    },
    'rules:list': async () => [...(await engine.rules())],
    'rules:save': (input) => engine.saveRule(input),
    'rules:delete': async (input) => {
      await engine.deleteRule(input.id)
      return { deleted: true as const }
    },
    'notifications:list': async () => [...(await engine.notifications())],
    'settings:get': async () => structuredClone(await engine.settings()),
    'settings:update': (input) => engine.updateSettings(input),
    'settings:chooseClaude': async (input) => {
      if (input?.reset) {
        await engine.updateSettings({ claudePath: null })
        return { claudePath: null, message: 'claude is looked for on PATH (or AUTH_POOL_CLAUDE)' }
      }
      const chosen = await deps.chooseFile('Choose the claude program')
      const current = (await engine.settings()).claudePath
      if (chosen === null) return { claudePath: current, message: 'nothing chosen' }
      const problem = claudeProgramProblem(chosen, deps.fs)
      if (problem) throw ValidationError.field('claudePath', problem)
      await engine.updateSettings({ claudePath: chosen })
      return { claudePath: chosen, message: `sessions start ${chosen}` }
    },
    'settings:terminals': async () => ({
      current: (await engine.settings()).terminalCommand,
      terminals: KNOWN_TERMINALS.filter((t) => t.platforms.includes(process.platform)).map((t) => ({
        id: t.id,
        name: t.name,
        available: !!deps.findProgram(t.template.split(' ')[0]!),
      })),
    }),
    'settings:setTerminal': async ({ terminal }) => {
      const value = terminal === 'auto' ? null : terminal
      if (value !== null && !KNOWN_TERMINALS.some((t) => t.id === value)) {
        const [program] = splitCommandLine(value)
        if (!program || !isKnownTerminalProgram(program))
          throw ValidationError.field(
            'terminal',
            `${program ?? 'an empty command'} is not a terminal Auth Pool knows (${KNOWN_TERMINALS.map((t) => t.id).join(', ')})`,
          )
        if (!value.includes('{command}'))
          throw ValidationError.field('terminal', 'a terminal template needs {command} where the command goes')
      }
      await engine.updateSettings({ terminalCommand: value })
      return { terminalCommand: value }
    },
    'launcher:launch': (input) => deps.launcher.launch({ ...input, cwd: existingFolder(input.cwd) }),
    'desktop:status': async () => deps.desktop.status(),
    'desktop:setStartAtLogin': async (input) => {
      deps.desktop.setStartAtLogin(input.on)
      return deps.desktop.status()
    },
    'desktop:installCommand': async () => deps.desktop.installCommand(),
  } as Handlers
}
