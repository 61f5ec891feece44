import { NotFoundError } from '../../shared/errors'
import { byText } from '../../shared/format'
import type { DeepReadonly } from '../../shared/readonly'
import type { Session } from '../../shared/schemas/session'
import type { StateDocument, StateDraft } from '../../shared/schemas/state'

type Doc = DeepReadonly<StateDocument>

/** Draws ids until one is unused: a collision is detected and redrawn, never overwritten. */
export function uniqueSessionId(draft: Doc, newId: () => string, onCollision?: () => void): string {
  for (let attempt = 0; attempt < 16; attempt++) {
    const id = newId()
    if (!(id in draft.sessions)) return id
    onCollision?.()
  }
  throw new Error('session id generator keeps returning ids already in use')
}

export interface NewSession {
  readonly accountId: string
  readonly cwd: string | null
  readonly pid: number | null
  readonly now: Date
  readonly conversationId?: string | null
  /** A new conversation, which Claude Code is told to give the session's own id. */
  readonly newConversation?: boolean
}

/** Adds a session and its index entry; the caller's transaction covers both. */
export function addSession(draft: StateDraft, id: string, init: NewSession): Session {
  const session: Session = {
    id,
    accountId: init.accountId,
    cwd: init.cwd,
    pid: init.pid,
    startedAt: init.now.toISOString(),
    endedAt: null,
    status: 'active',
    endReason: null,
    conversationId: init.newConversation ? id : (init.conversationId ?? null),
  }
  draft.sessions[id] = session
  // A new array: the draft shares the old one with the document it came from (see the store's draftOf).
  draft.sessionIndex[init.accountId] = [...(draft.sessionIndex[init.accountId] ?? []), id]
  return session
}

export function endSession(
  draft: StateDraft,
  id: string,
  now: Date,
  reason: string,
  status: 'ended' | 'reaped' = 'ended',
): Session {
  const session = draft.sessions[id]
  if (!session) throw new NotFoundError('session', id, 'see `auth-pool sessions`')
  if (session.status !== 'active') return session
  // Replaced, not changed in place: the draft shares its entries with the document it came from.
  return (draft.sessions[id] = { ...session, status, endedAt: now.toISOString(), endReason: reason })
}

/** Every session of an account, read from one snapshot through its index. */
export function sessionsOfAccount(doc: Doc, accountId: string): DeepReadonly<Session>[] {
  return (doc.sessionIndex[accountId] ?? []).map((id) => {
    const session = doc.sessions[id]
    // The schema forbids a dangling index entry; reaching this means the document was edited in memory.
    if (!session) throw new Error(`session index of ${accountId} lists missing session ${id}`)
    return session
  })
}

export function activeSessionCount(doc: Doc, accountId: string): number {
  return sessionsOfAccount(doc, accountId).filter((s) => s.status === 'active').length
}

/** Drops the oldest ended sessions beyond `keep`, with their index entries. Returns how many went. */
export function pruneEndedSessions(draft: StateDraft, keep: number): number {
  const ended = Object.values(draft.sessions)
    .filter((s) => s.status !== 'active')
    .sort((a, b) => byText(b.endedAt ?? '', a.endedAt ?? ''))
  const drop = ended.slice(keep)
  if (drop.length === 0) return 0
  const gone = new Set(drop.map((s) => s.id))
  for (const s of drop) delete draft.sessions[s.id]
  for (const [accountId, ids] of Object.entries(draft.sessionIndex))
    if (ids.some((id) => gone.has(id))) draft.sessionIndex[accountId] = ids.filter((id) => !gone.has(id))
  return drop.length
}
