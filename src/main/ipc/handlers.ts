import { findAccount } from '../engine/accounts'
import type { Pool } from '../engine/pool'
import { readLoginIdentity } from '../engine/identity'
import type { FileSystem } from '../engine/ports'
import type { UsageService } from '../usage/usageService'
import type { Handlers } from './router'

/** Starting Claude Code in a terminal (the launcher issue); the shell supplies it. */
export interface LauncherPort {
  launch(request: { account?: string; cwd?: string }): Promise<{ launched: boolean; message: string }>
  login(account: { name: string; configDir: string }): Promise<{ started: boolean; message: string }>
}

/** The contract's channels, each mapped to one engine call. */
export function createHandlers(deps: {
  engine: Pool
  usage: UsageService
  fs: FileSystem
  launcher: LauncherPort
}): Handlers {
  const { engine, usage } = deps
  const account = async (ref: string) => findAccount({ accounts: await engine.listAccounts() }, ref)
  return {
    'pool:status': () => engine.status(),
    'pool:allocate': (input) => engine.allocate({ cwd: input.cwd, account: input.account }),
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
    'accounts:identity': async (input) => readLoginIdentity(deps.fs, (await account(input.account)).configDir),
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
    'launcher:launch': (input) => deps.launcher.launch(input),
  } as Handlers
}
