import type { ReconcileOutcome } from '../../shared/schemas/pool'
import type { StateDraft } from '../../shared/schemas/state'
import { rankAccounts } from './allocation'
import type { AccountStanding } from './health'
import type { ProcessRunner } from './ports'
import { endSession, pruneEndedSessions } from './sessions'

export type { ReconcileOutcome } from '../../shared/schemas/pool'

/** One reconcile pass over the document; runs inside a transaction. */
export function reconcileInDraft(
  draft: StateDraft,
  standings: ReadonlyMap<string, AccountStanding>,
  processes: ProcessRunner,
  now: Date,
): ReconcileOutcome {
  let reaped = 0
  let expired = 0
  const ttlMs = draft.settings.sessionTtlHours * 3_600_000
  for (const session of Object.values(draft.sessions)) {
    if (session.status !== 'active') continue
    if (session.pid !== null) {
      if (!processes.isAlive(session.pid)) {
        endSession(draft, session.id, now, 'process-exited', 'reaped')
        reaped++
      }
    } else if (now.getTime() - Date.parse(session.startedAt) > ttlMs) {
      endSession(draft, session.id, now, 'expired', 'reaped')
      expired++
    }
  }
  let reassigned = 0
  if (!draft.settings.rebalancePaused) {
    // With no account available the assignments stay: they still say where each folder's conversations are.
    const best = rankAccounts(draft, standings)[0]
    if (best)
      for (const [folder, assignment] of Object.entries(draft.assignments)) {
        if (standings.get(assignment.accountId)?.available) continue
        draft.assignments[folder] = { accountId: best.id, updatedAt: now.toISOString() }
        reassigned++
      }
  }
  const pruned = pruneEndedSessions(draft, draft.settings.endedSessionsKept)
  return { reaped, expired, reassigned, pruned }
}
