import type { DeepReadonly } from '../../shared/readonly'
import type { Account } from '../../shared/schemas/account'
import type { AccountView } from '../../shared/schemas/pool'
import type { StateDocument } from '../../shared/schemas/state'
import { effectiveBudgets, standingOf, type AccountStanding } from './health'
import type { LoginState } from '../../shared/schemas/serverUsage'
import { loginStateOf } from './identity'
import { NO_USAGE, type AccountUsage, type FileSystem, type UsageSource } from './ports'
import { activeSessionCount } from './sessions'

type Doc = DeepReadonly<StateDocument>

/**
 * Every account's usage as the usage service sees it now. One account whose usage cannot be worked out
 * at all is shown with its problem and no usage; the others are not held up by it.
 */
export function usageOf(doc: Doc, source: UsageSource): Map<string, AccountUsage> {
  return new Map(
    doc.accounts.map((a) => {
      try {
        return [
          a.id,
          source.usageOf({
            id: a.id,
            configDir: a.configDir,
            weeklyBudgetUsd: (server) => effectiveBudgets(a, doc.settings, server).weekUsd,
          }),
        ]
      } catch (error) {
        if (!(error instanceof Error)) throw error
        return [a.id, { ...NO_USAGE, readProblem: `its usage cannot be read: ${error.message}` }]
      }
    }),
  )
}

/** Whether Claude Code can run on each account by itself; an account whose files cannot be read cannot. */
export function loginsOf(doc: Doc, fs: FileSystem, now: Date): Map<string, LoginState> {
  return new Map(
    doc.accounts.map((a) => {
      try {
        return [a.id, loginStateOf(fs, a.configDir, now.getTime())]
      } catch (error) {
        if (!(error instanceof Error)) throw error
        return [a.id, 'logged_out']
      }
    }),
  )
}

/**
 * Where every account stands now: from its usage, its login, its budgets and the pool's settings. With
 * `loginRequired` false (a session that brings its own credentials), a missing login does not count.
 */
export function standingsOf(
  doc: Doc,
  now: Date,
  usage: ReadonlyMap<string, AccountUsage>,
  logins: ReadonlyMap<string, LoginState>,
  loginRequired = true,
): Map<string, AccountStanding> {
  return new Map(
    doc.accounts.map((a) => [
      a.id,
      standingOf(a, usage.get(a.id)!, doc.settings, now, logins.get(a.id) ?? 'logged_out', loginRequired),
    ]),
  )
}

/** The accounts as views show them: each with its standing and active sessions. */
export function accountViews(doc: Doc, standings: ReadonlyMap<string, AccountStanding>): AccountView[] {
  return doc.accounts.map((a) => ({
    ...(a as Account),
    standing: standings.get(a.id)!,
    activeSessions: activeSessionCount(doc, a.id),
  }))
}
