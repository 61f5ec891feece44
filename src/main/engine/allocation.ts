import { byText } from '../../shared/format'
import { ADD_ACCOUNT_HINT, NotFoundError, PoolExhaustedError } from '../../shared/errors'
import type { DeepReadonly } from '../../shared/readonly'
import type { Account } from '../../shared/schemas/account'
import type { Allocation, AllocationReason } from '../../shared/schemas/pool'
import type { StateDocument, StateDraft } from '../../shared/schemas/state'
import { findAccount } from './accounts'
import type { AccountStanding } from './health'
import { activeSessionCount, addSession, uniqueSessionId } from './sessions'

type Doc = DeepReadonly<StateDocument>

export interface AllocationRequest {
  readonly cwd: string | null
  readonly account: string | null
  readonly pid: number | null
  readonly conversationId: string | null
  readonly newConversation: boolean
}

export type { Allocation, AllocationReason } from '../../shared/schemas/pool'

/** Available accounts, best first: health, then priority, then fewer active sessions, then name. */
export function rankAccounts(doc: Doc, standings: ReadonlyMap<string, AccountStanding>): DeepReadonly<Account>[] {
  const available = doc.accounts.filter((a) => standings.get(a.id)?.available)
  // Counted once per account, not once per comparison (hundreds of sessions each).
  const active = new Map(available.map((a) => [a.id, activeSessionCount(doc, a.id)]))
  return available.sort(
    (a, b) =>
      standings.get(b.id)!.health - standings.get(a.id)!.health ||
      b.priority - a.priority ||
      active.get(a.id)! - active.get(b.id)! ||
      byText(a.name.toLowerCase(), b.name.toLowerCase()),
  )
}

export function earliestFreeAt(doc: Doc, standings: ReadonlyMap<string, AccountStanding>): string | null {
  const times = doc.accounts
    .filter((a) => a.enabled)
    .map((a) => standings.get(a.id)?.freesAt)
    .filter((t): t is string => !!t)
    .sort()
  return times[0] ?? null
}

/** Picks the account for a new session without changing anything. */
export function chooseAccount(
  doc: Doc,
  standings: ReadonlyMap<string, AccountStanding>,
  request: Pick<AllocationRequest, 'cwd' | 'account'>,
): { account: DeepReadonly<Account>; reason: AllocationReason; notice: string | null } {
  if (request.account) return { account: findAccount(doc, request.account), reason: 'explicit', notice: null }
  const notices: string[] = []
  const candidate = (id: string | undefined | null, reason: AllocationReason, label: string) => {
    if (!id) return undefined
    const account = doc.accounts.find((a) => a.id === id)
    const standing = account && standings.get(account.id)
    if (account && standing?.available) return { account, reason }
    if (account && standing)
      notices.push(
        `${label} ${account.name} is ${standing.status === 'disabled' ? 'disabled' : `unavailable (${standing.reason})`}`,
      )
    return undefined
  }
  const chosen =
    candidate(request.cwd ? doc.assignments[request.cwd]?.accountId : null, 'assignment', "this folder's account") ??
    candidate(doc.preferredAccountId, 'preferred', 'the picked account')
  // Passing over the folder's account for the picked one is said as much as passing over both.
  if (chosen)
    return { ...chosen, notice: notices.length ? `${notices.join('; ')}; using ${chosen.account.name}` : null }
  const best = rankAccounts(doc, standings)[0]
  if (!best) {
    if (doc.accounts.length === 0) throw new NotFoundError('account', '', ADD_ACCOUNT_HINT)
    const detail = doc.accounts.map((a) => `${a.name}: ${standings.get(a.id)?.reason ?? 'unknown'}`).join(', ')
    // An account that only needs a login can be used as soon as the user logs in: say how.
    const logins = doc.accounts
      .filter((a) => standings.get(a.id)?.status === 'logged_out')
      .map((a) => `\`auth-pool login ${/^[\w.-]+$/.test(a.name) ? a.name : `'${a.name}'`}\``)
    throw new PoolExhaustedError(
      earliestFreeAt(doc, standings),
      detail,
      logins.length ? `log in with ${logins.join(' or ')}` : undefined,
    )
  }
  const notice = notices.length ? `${notices.join('; ')}; using ${best.name} instead` : null
  return { account: best, reason: 'healthiest', notice }
}

/**
 * Chooses an account and records the session, its index entry, the folder assignment and the account's
 * bookkeeping in the caller's single transaction: there is no moment where one exists without the others.
 */
export function allocateInDraft(
  draft: StateDraft,
  standings: ReadonlyMap<string, AccountStanding>,
  request: AllocationRequest,
  now: Date,
  newId: () => string,
  onCollision?: () => void,
): Allocation {
  const choice = chooseAccount(draft, standings, request)
  const account = draft.accounts.find((a) => a.id === choice.account.id)!
  const session = addSession(draft, uniqueSessionId(draft, newId, onCollision), {
    accountId: account.id,
    cwd: request.cwd,
    pid: request.pid,
    now,
    conversationId: request.conversationId,
    newConversation: request.newConversation,
  })
  if (request.cwd) draft.assignments[request.cwd] = { accountId: account.id, updatedAt: now.toISOString() }
  account.lastAllocatedAt = now.toISOString()
  account.sessionsStarted += 1
  return { session: { ...session }, account: { ...account }, reason: choice.reason, notice: choice.notice }
}
