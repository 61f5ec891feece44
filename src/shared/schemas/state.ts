import { z } from 'zod'
import type { DeepReadonly } from '../readonly'
import { AccountSchema, IsoTimeSchema } from './account'
import { AssignmentSchema, SessionSchema } from './session'
import { SettingsSchema } from './settings'
import { DEFAULT_RULES, NotificationRecordSchema, RuleMemorySchema, RuleSchema } from './rules'

export const STATE_VERSION = 1

export const SchedulerStateSchema = z.object({
  lastRunAt: IsoTimeSchema.nullable(),
  lastSuccessAt: IsoTimeSchema.nullable(),
  consecutiveFailures: z.number().int().nonnegative(),
  /** While set, the circuit breaker is open and runs are backed off until this time. */
  breakerOpenUntil: IsoTimeSchema.nullable(),
  lastError: z.string().nullable(),
})
export type SchedulerState = z.infer<typeof SchedulerStateSchema>

export const RecoverySchema = z.object({
  at: IsoTimeSchema,
  reason: z.string(),
  /** Where the unusable file was moved; null when the file was missing. */
  movedAsideTo: z.string().nullable(),
  restoredFrom: z.enum(['backup', 'empty']),
  /** The generation restored (`state.json.bak.N`), when there was one. */
  backup: z.string().nullable().default(null),
})
export type Recovery = z.infer<typeof RecoverySchema>

const StateShape = z.object({
  version: z.literal(STATE_VERSION),
  /** Incremented by every commit; written first in the file so readers can skip unchanged documents. */
  revision: z.number().int().nonnegative(),
  /** Random id of the commit that wrote this revision: a reader's cache is valid only for the same commit. */
  commit: z.string().regex(/^[a-z0-9]{1,32}$/),
  accounts: z.array(AccountSchema),
  sessions: z.record(z.uuid(), SessionSchema),
  /** accountId → ids of every session that points at it; kept equal to `sessions` by construction. */
  sessionIndex: z.record(z.uuid(), z.array(z.uuid())),
  /** Absolute folder → the account that holds its conversations. */
  assignments: z.record(z.string(), AssignmentSchema),
  /** The account picked in the tray, or null for "Auto". */
  preferredAccountId: z.uuid().nullable(),
  settings: SettingsSchema,
  scheduler: SchedulerStateSchema,
  recoveries: z.array(RecoverySchema).max(50),
  // Added with the notification rules; older files get the defaults.
  rules: z.array(RuleSchema).default(() => structuredClone(DEFAULT_RULES)),
  ruleMemory: RuleMemorySchema.default(() => ({ fired: {}, limited: {} })),
  /** The last 500 notifications raised, delivered or not. */
  notifications: z
    .array(NotificationRecordSchema)
    .max(500)
    .default(() => []),
})

/**
 * The cross-references of a whole document: ids unique, every session in its account's index and the
 * index listing only sessions that point at that account, assignments and the preferred account naming
 * existing accounts.
 */
function checkReferences(doc: z.infer<typeof StateShape>, ctx: z.RefinementCtx): void {
  const accountIds = new Set<string>()
  const names = new Set<string>()
  const dirs = new Set<string>()
  doc.accounts.forEach((account, i) => {
    if (accountIds.has(account.id))
      ctx.addIssue({ code: 'custom', path: ['accounts', i, 'id'], message: 'duplicate account id' })
    if (names.has(account.name.toLowerCase()))
      ctx.addIssue({
        code: 'custom',
        path: ['accounts', i, 'name'],
        message: `duplicate account name "${account.name}"`,
      })
    if (dirs.has(account.configDir))
      ctx.addIssue({
        code: 'custom',
        path: ['accounts', i, 'configDir'],
        message: 'two accounts share one config directory',
      })
    accountIds.add(account.id)
    names.add(account.name.toLowerCase())
    dirs.add(account.configDir)
    if (account.plan === 'custom' && (account.blockBudgetUsd === null || account.weeklyBudgetUsd === null))
      ctx.addIssue({ code: 'custom', path: ['accounts', i, 'plan'], message: 'a custom plan needs both budgets' })
  })
  const indexed = new Map(Object.entries(doc.sessionIndex).map(([accountId, ids]) => [accountId, new Set(ids)]))
  for (const [id, session] of Object.entries(doc.sessions)) {
    if (session.id !== id)
      ctx.addIssue({ code: 'custom', path: ['sessions', id, 'id'], message: 'session stored under another id' })
    if (!accountIds.has(session.accountId))
      ctx.addIssue({
        code: 'custom',
        path: ['sessions', id, 'accountId'],
        message: 'session points at a missing account',
      })
    if (!indexed.get(session.accountId)?.has(id))
      ctx.addIssue({
        code: 'custom',
        path: ['sessionIndex', session.accountId],
        message: `session ${id} missing from its account's index`,
      })
  }
  for (const [accountId, ids] of Object.entries(doc.sessionIndex)) {
    if (!accountIds.has(accountId))
      ctx.addIssue({ code: 'custom', path: ['sessionIndex', accountId], message: 'index of a missing account' })
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({
        code: 'custom',
        path: ['sessionIndex', accountId],
        message: 'a session appears twice in the index',
      })
    for (const id of ids)
      if (doc.sessions[id]?.accountId !== accountId)
        ctx.addIssue({
          code: 'custom',
          path: ['sessionIndex', accountId],
          message: `index lists ${id}, which does not point at this account`,
        })
  }
  for (const [folder, assignment] of Object.entries(doc.assignments))
    if (!accountIds.has(assignment.accountId))
      ctx.addIssue({ code: 'custom', path: ['assignments', folder], message: 'assignment to a missing account' })
  const ruleIds = new Set<string>()
  doc.rules.forEach((rule, i) => {
    if (ruleIds.has(rule.id))
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `two rules share the id "${rule.id}"` })
    ruleIds.add(rule.id)
  })
  if (doc.preferredAccountId !== null && !accountIds.has(doc.preferredAccountId))
    ctx.addIssue({ code: 'custom', path: ['preferredAccountId'], message: 'preferred account does not exist' })
}

/**
 * The whole persisted document. The refinement checks the cross-references, so a document whose
 * session index drifted from its sessions can neither be loaded nor written.
 */
export const StateDocumentSchema = StateShape.superRefine(checkReferences)
export type StateDocument = z.infer<typeof StateDocumentSchema>

export function createInitialState(settings: z.infer<typeof SettingsSchema>): StateDocument {
  return {
    version: STATE_VERSION,
    revision: 0,
    commit: '0',
    accounts: [],
    sessions: {},
    sessionIndex: {},
    assignments: {},
    preferredAccountId: null,
    settings: structuredClone(settings), // never share the defaults object with a draft
    scheduler: {
      lastRunAt: null,
      lastSuccessAt: null,
      consecutiveFailures: 0,
      breakerOpenUntil: null,
      lastError: null,
    },
    recoveries: [],
    rules: structuredClone(DEFAULT_RULES),
    ruleMemory: { fired: {}, limited: {} },
    notifications: [],
  }
}

/** What a transaction changes: a copy of the document of its own, validated whole before it is kept. */
export type StateDraft = StateDocument

/** The document as readers get it; never changed in place. */
export type Snapshot = DeepReadonly<StateDocument>
