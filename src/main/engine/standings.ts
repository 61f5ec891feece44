import type { DeepReadonly } from '../../shared/readonly'
import type { Account } from '../../shared/schemas/account'
import type { AccountView } from '../../shared/schemas/pool'
import type { StateDocument } from '../../shared/schemas/state'
import { effectiveBudgets, standingOf, type AccountStanding } from './health'
import { NO_USAGE, type AccountUsage, type UsageSource } from './ports'
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
            weeklyBudgetUsd: effectiveBudgets(a, doc.settings).weekUsd,
          }),
        ]
      } catch (error) {
        if (!(error instanceof Error)) throw error
        return [a.id, { ...NO_USAGE, readProblem: `its usage cannot be read: ${error.message}` }]
      }
    }),
  )
}

/** Where every account stands now: from its usage, its budgets and the pool's settings. */
export function standingsOf(
  doc: Doc,
  now: Date,
  usage: ReadonlyMap<string, AccountUsage>,
): Map<string, AccountStanding> {
  return new Map(doc.accounts.map((a) => [a.id, standingOf(a, usage.get(a.id)!, doc.settings, now)]))
}

/** The accounts as views show them: each with its standing and active sessions. */
export function accountViews(doc: Doc, standings: ReadonlyMap<string, AccountStanding>): AccountView[] {
  return doc.accounts.map((a) => ({
    ...(a as Account),
    standing: standings.get(a.id)!,
    activeSessions: activeSessionCount(doc, a.id),
  }))
}
