import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { ValidationError } from '../../shared/errors'
import type { DeepReadonly } from '../../shared/readonly'
import type { Account } from '../../shared/schemas/account'
import type { Session } from '../../shared/schemas/session'
import { SettingsSchema, type Settings } from '../../shared/schemas/settings'
import type { Recovery, SchedulerState, StateDocument, StateDraft } from '../../shared/schemas/state'
import { findAccount, prepareAddAccount, prepareUpdateAccount, removeAccount } from './accounts'
import { createNotifications } from './notifications'
import { accountViews, loginsOf, standingsOf, usageOf } from './standings'
import {
  allocateInDraft,
  chooseAccount,
  earliestFreeAt,
  type Allocation,
  type AllocationReason,
  type AllocationRequest,
} from './allocation'
import { Emitter } from '../../shared/emitter'
import { type AccountView, type Metrics, type PoolStatus } from '../../shared/schemas/pool'
import type { AccountStanding } from './health'
import type { EnginePorts, PoolNotification } from './ports'
import { reconcileInDraft, type ReconcileOutcome } from './reconcile'
import { createScheduler, type Scheduler } from './scheduler'
import { endSession, sessionsOfAccount } from './sessions'
import { byText } from '../../shared/format'

type Doc = DeepReadonly<StateDocument>

export type { AccountView, PoolStatus } from '../../shared/schemas/pool'

export type PoolMetrics = Metrics

/** A folder as a request names it: bounded, one line (it is stored, and shown). */
const FolderSchema = z
  .string()
  .min(1)
  .max(4096, { error: 'must be at most 4096 characters' })
  .regex(/^[^\u0000-\u001f]*$/, { error: 'must not contain line breaks or control characters' })

const AllocateInputSchema = z.object({
  cwd: FolderSchema.nullish(),
  account: z.string().min(1).max(64).nullish(),
  pid: z.number().int().positive().nullish(),
  /** Claude Code's id of the conversation the session continues, when known. */
  conversationId: z.string().min(1).max(200).nullish(),
  /** A new conversation: Claude Code is started with the session's own id as its session id. */
  newConversation: z.boolean().optional(),
  /**
   * The session brings its own credentials (a kept API key, CLAUDE_CODE_OAUTH_TOKEN): an account without
   * a stored Claude login can take it.
   */
  ownCredentials: z.boolean().optional(),
})

function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw ValidationError.fromZod(result.error)
  return result.data
}

export type Pool = ReturnType<typeof createPool>

/** The pool: every operation is one store transaction; it sees the world only through its ports. */
export function createPool(ports: EnginePorts) {
  const { store, clock, fs } = ports
  const newId = ports.newId
  const didChangeAccounts = new Emitter<void>()
  const didChangeSessions = new Emitter<void>()
  const didRaiseNotification = new Emitter<PoolNotification>()
  const didChangeNotifications = new Emitter<void>()
  const counters = { allocations: 0, sessionIdCollisions: 0 }
  const reconcileCounters = { runs: 0, failures: 0, reaped: 0, expired: 0, reassigned: 0, pruned: 0 }

  const standings = (doc: Doc, now: Date, loginRequired = true): Map<string, AccountStanding> =>
    standingsOf(doc, now, usageOf(doc, ports.usage), loginsOf(doc, fs, now), loginRequired)

  /** One allocation on a draft, with the session id the requester drew (redrawn only on a collision). */
  function allocateHere(
    d: StateDraft,
    wanted: AllocationRequest,
    id: string,
    now: Date,
    loginRequired: boolean,
  ): Allocation {
    let first = true
    const drawId = () => (first ? ((first = false), id) : newId())
    return allocateInDraft(
      d,
      standings(d, now, loginRequired),
      wanted,
      now,
      drawId,
      () => counters.sessionIdCollisions++,
    )
  }

  /** Runs `work`; if it fails, removes the folder made for it (an empty one only: nothing is lost). */
  async function withCreatedFolder<T>(created: string | null, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (created) fs.removeEmptyFolder(created)
      throw error
    }
  }

  /** Paths the user gives for a folder are absolute in the state document. */
  const absoluteFolder = (cwd: string) => (isAbsolute(cwd) ? resolve(cwd) : resolve(fs.cwd(), cwd))

  const inFlight = new Set<Promise<unknown>>()
  /** Runs work in the background, tracked so `idle()` (tests, quitting) can wait for it. */
  function background(work: () => Promise<unknown>): void {
    const running = work()
      .catch(() => undefined) // failures are recorded where they happen (delivery state, scheduler state)
      .finally(() => inFlight.delete(running))
    inFlight.add(running)
  }

  const notifications = createNotifications(ports, { didRaiseNotification, didChangeNotifications }, () =>
    scheduler.state(),
  )
  const { evaluateRules } = notifications

  const scheduler: Scheduler = createScheduler({
    clock,
    intervalMs: 60_000,
    run: async () => {
      const outcome = await reconcile()
      if (outcome.reaped + outcome.expired + outcome.pruned > 0) didChangeSessions.fire()
      await evaluateRules()
    },
    onRun: ({ ok, state }) => {
      reconcileCounters.runs++
      if (!ok) reconcileCounters.failures++
      const now = clock.now().toISOString()
      void store
        .transact((d) => {
          d.scheduler = {
            lastRunAt: now,
            lastSuccessAt: ok ? now : d.scheduler.lastSuccessAt,
            consecutiveFailures: state.consecutiveFailures,
            breakerOpenUntil: state.open ? (state.retryAt?.toISOString() ?? null) : null,
            lastError: state.lastError,
          }
        })
        .catch(() => undefined) // the store itself failing is what the breaker reports; nothing more to record
    },
    onBreakerChange: (state) => {
      if (state.open) background(notifications.notifyBreakerOpen)
    },
  })

  async function reconcile(): Promise<ReconcileOutcome> {
    const outcome = await store.transact((d) =>
      reconcileInDraft(d, standings(d, clock.now()), ports.processes, clock.now()),
    )
    reconcileCounters.reaped += outcome.reaped
    reconcileCounters.expired += outcome.expired
    reconcileCounters.reassigned += outcome.reassigned
    reconcileCounters.pruned += outcome.pruned
    return outcome
  }

  return {
    scheduler,
    onDidChangeAccounts: didChangeAccounts.event,
    onDidChangeSessions: didChangeSessions.event,
    onDidRaiseNotification: didRaiseNotification.event,
    onDidChangeNotifications: didChangeNotifications.event,
    evaluateRules,

    /** Resolves once background work (rule evaluations after changes) has finished. */
    async idle(): Promise<void> {
      while (inFlight.size) await Promise.all([...inFlight])
    },

    rules: notifications.rules,
    deleteRule: notifications.deleteRule,
    notifications: notifications.notifications,
    deliverPending: notifications.deliverPending,

    /** Adds or replaces a rule (by id); the rules are evaluated again with it. */
    async saveRule(input: unknown) {
      const saved = await notifications.saveRule(input)
      background(evaluateRules)
      return saved
    },

    async addAccount(input: unknown): Promise<Account> {
      const { add, created } = prepareAddAccount(input, fs, clock.now(), newId)
      const account = await withCreatedFolder(created, () => store.transact(add))
      didChangeAccounts.fire()
      background(evaluateRules)
      return account
    },

    async updateAccount(nameOrId: string, patch: unknown, options: { create?: boolean } = {}): Promise<Account> {
      const { update, created } = prepareUpdateAccount(nameOrId, patch, fs, options)
      const account = await withCreatedFolder(created, () => store.transact(update))
      didChangeAccounts.fire()
      background(evaluateRules)
      return account
    },

    async removeAccount(nameOrId: string, options: { force?: boolean } = {}): Promise<Account> {
      const account = await store.transact((d) => removeAccount(d, nameOrId, options.force ?? false))
      didChangeAccounts.fire()
      didChangeSessions.fire()
      return account
    },

    /** The accounts and their standings; `ownCredentials`: as for a session that brings its own. */
    async listAccounts(options: { readonly ownCredentials?: boolean } = {}): Promise<AccountView[]> {
      const doc = await store.read()
      const now = clock.now()
      return accountViews(doc, standings(doc, now, options.ownCredentials !== true))
    },

    async allocate(input: unknown = {}): Promise<Allocation> {
      const request = parseOrThrow(AllocateInputSchema, input)
      const cwd = request.cwd ? absoluteFolder(request.cwd) : null
      const wanted: AllocationRequest = {
        cwd,
        account: request.account ?? null,
        pid: request.pid ?? null,
        conversationId: request.conversationId ?? null,
        newConversation: request.newConversation ?? false,
      }
      const id = newId()
      const loginRequired = request.ownCredentials !== true
      const allocation = await store.transact((d) => allocateHere(d, wanted, id, clock.now(), loginRequired))
      counters.allocations++
      didChangeSessions.fire()
      return allocation
    },

    /** Which account a new session would get now (and why), without recording anything. */
    async pick(
      input: unknown = {},
    ): Promise<{ account: AccountView; reason: AllocationReason; notice: string | null }> {
      const request = parseOrThrow(AllocateInputSchema, input)
      const doc = await store.read()
      const now = clock.now()
      const all = standings(doc, now, request.ownCredentials !== true)
      const choice = chooseAccount(doc, all, {
        cwd: request.cwd ? absoluteFolder(request.cwd) : null,
        account: request.account ?? null,
      })
      const account = accountViews(doc, all).find((a) => a.id === choice.account.id)!
      return { account, reason: choice.reason, notice: choice.notice }
    },

    async release(sessionId: string, reason = 'released'): Promise<Session> {
      const session = await store.transact((d) => ({ ...endSession(d, sessionId, clock.now(), reason) }))
      didChangeSessions.fire()
      return session
    },

    async attachPid(sessionId: string, pid: number): Promise<Session> {
      parseOrThrow(z.number().int().positive(), pid)
      return store.transact((d) => {
        const session = d.sessions[sessionId]
        if (!session) throw ValidationError.field('sessionId', `no session ${sessionId}`)
        return { ...(d.sessions[sessionId] = { ...session, pid }) }
      })
    },

    /** All sessions (or one account's), newest first, from one snapshot. */
    async sessions(filter: { account?: string; activeOnly?: boolean } = {}): Promise<DeepReadonly<Session>[]> {
      const doc = await store.read()
      const list = filter.account
        ? sessionsOfAccount(doc, findAccount(doc, filter.account).id)
        : Object.values(doc.sessions)
      return list
        .filter((s) => !filter.activeOnly || s.status === 'active')
        .sort((a, b) => byText(b.startedAt, a.startedAt))
    },

    async status(): Promise<PoolStatus> {
      const doc = await store.read()
      const now = clock.now()
      const all = standings(doc, now)
      let autoPick: PoolStatus['autoPick'] = null
      try {
        const choice = chooseAccount(doc, all, { cwd: null, account: null })
        autoPick = { accountId: choice.account.id, name: choice.account.name, reason: choice.reason }
      } catch (error) {
        if (!(error instanceof Error && 'code' in error)) throw error // exhausted or empty pool: no pick
      }
      const resets = [...all.values()]
        .map((s) => s.freesAt ?? s.blockEndsAt)
        .filter((t): t is string => !!t && t > now.toISOString())
      return {
        revision: doc.revision,
        accounts: accountViews(doc, all),
        availableCount: [...all.values()].filter((s) => s.available).length,
        nextResetAt: resets.sort()[0] ?? earliestFreeAt(doc, all),
        autoPick,
        preferredAccountId: doc.preferredAccountId,
        scheduler: doc.scheduler as SchedulerState,
        recoveries: doc.recoveries as Recovery[],
        undeliveredCount: doc.notifications.filter((n) => n.delivery === 'undelivered').length,
      }
    },

    async setPreferredAccount(nameOrId: string | null): Promise<string | null> {
      const id = await store.transact(
        (d) => (d.preferredAccountId = nameOrId === null ? null : findAccount(d, nameOrId).id),
      )
      didChangeAccounts.fire()
      return id
    },

    async settings(): Promise<DeepReadonly<Settings>> {
      return (await store.read()).settings
    },

    async updateSettings(patch: unknown): Promise<Settings> {
      const partial = parseOrThrow(SettingsSchema.partial(), patch)
      const next = await store.transact((d) => {
        const merged = SettingsSchema.safeParse({ ...d.settings, ...partial })
        if (!merged.success) throw ValidationError.fromZod(merged.error)
        d.settings = merged.data
        return merged.data
      })
      scheduler.setInterval(next.rebalanceIntervalSec * 1000)
      didChangeAccounts.fire()
      return next
    },

    reconcile,

    /** Starts the periodic reconcile at the interval from settings. */
    async startScheduler(): Promise<void> {
      const { settings } = await store.read()
      scheduler.setInterval(settings.rebalanceIntervalSec * 1000)
      scheduler.start()
    },

    metrics(): PoolMetrics {
      return { ...counters, reconcile: { ...reconcileCounters } }
    },
  }
}
