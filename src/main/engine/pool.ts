import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { NotFoundError, ValidationError } from '../../shared/errors'
import type { DeepReadonly } from '../../shared/readonly'
import type { Account } from '../../shared/schemas/account'
import type { Session } from '../../shared/schemas/session'
import { SettingsSchema, type Settings } from '../../shared/schemas/settings'
import type { Recovery, SchedulerState, StateDocument, StateDraft } from '../../shared/schemas/state'
import { findAccount, prepareAddAccount, prepareUpdateAccount, removeAccount } from './accounts'
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
import { effectiveBudgets, standingOf, type AccountStanding } from './health'
import type { AccountUsage, EnginePorts, PoolNotification } from './ports'
import { reconcileInDraft, type ReconcileOutcome } from './reconcile'
import { loginExpiry } from './rules/credentials'
import { deliverWithRetry, DEFAULT_BACKOFF_MS } from './rules/delivery'
import { evaluateRulesInDraft } from './rules/evaluate'
import { RuleSchema, type NotificationRecord, type Rule } from '../../shared/schemas/rules'
import { createScheduler, type Scheduler } from './scheduler'
import { activeSessionCount, endSession, sessionsOfAccount } from './sessions'
import { byText } from '../../shared/format'

type Doc = DeepReadonly<StateDocument>

export type { AccountView, PoolStatus } from '../../shared/schemas/pool'

export type PoolMetrics = Metrics

const AllocateInputSchema = z.object({
  cwd: z.string().min(1).nullish(),
  account: z.string().min(1).nullish(),
  pid: z.number().int().positive().nullish(),
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
  const backoffMs = ports.deliveryBackoffMs ?? DEFAULT_BACKOFF_MS
  const counters = { allocations: 0, sessionIdCollisions: 0 }
  const reconcileCounters = { runs: 0, failures: 0, reaped: 0, expired: 0, reassigned: 0, pruned: 0 }

  function usageOf(doc: Doc): Map<string, AccountUsage> {
    return new Map(
      doc.accounts.map((a) => [
        a.id,
        ports.usage.usageOf({
          id: a.id,
          configDir: a.configDir,
          weeklyBudgetUsd: effectiveBudgets(a, doc.settings).weekUsd,
        }),
      ]),
    )
  }

  function standings(doc: Doc, now: Date, usage = usageOf(doc)): Map<string, AccountStanding> {
    return new Map(doc.accounts.map((a) => [a.id, standingOf(a, usage.get(a.id)!, doc.settings, now)]))
  }
  /** One allocation on a draft, with the session id the requester drew (redrawn only on a collision). */
  function allocateHere(d: StateDraft, wanted: AllocationRequest, id: string, now: Date): Allocation {
    let first = true
    const drawId = () => (first ? ((first = false), id) : newId())
    return allocateInDraft(d, standings(d, now), wanted, now, drawId, () => counters.sessionIdCollisions++)
  }

  function view(doc: Doc, now: Date): AccountView[] {
    const all = standings(doc, now)
    return doc.accounts.map((a) => ({
      ...(a as Account),
      standing: all.get(a.id)!,
      activeSessions: activeSessionCount(doc, a.id),
    }))
  }

  /** Paths the user gives for a folder are absolute in the state document. */
  const absoluteFolder = (cwd: string) => (isAbsolute(cwd) ? resolve(cwd) : resolve(fs.cwd(), cwd))

  /** Shows one raised notification (with retries) and records how that went. */
  async function deliver(record: NotificationRecord): Promise<void> {
    const notification: PoolNotification = {
      id: record.id,
      kind: record.kind,
      title: record.title,
      body: record.body,
      accountId: record.accountId,
      suggestedAccountId: record.suggestedAccountId,
    }
    didRaiseNotification.fire(notification)
    const outcome = await deliverWithRetry(notification, ports.notifier, clock, backoffMs)
    await store.transact((d) => {
      const stored = d.notifications.find((n) => n.id === record.id)
      if (!stored) return // pushed out of the history by 500 newer ones meanwhile
      stored.delivery = outcome.delivered ? 'delivered' : 'undelivered'
      stored.attempts += outcome.attempts
      stored.lastError = outcome.lastError
      stored.deliveredAt = outcome.delivered ? clock.now().toISOString() : null
    })
    didChangeNotifications.fire()
  }

  const inFlight = new Set<Promise<unknown>>()
  /** Runs work in the background, tracked so `idle()` (tests, quitting) can wait for it. */
  function background(work: () => Promise<unknown>): void {
    const running = work()
      .catch(() => undefined) // failures are recorded where they happen (delivery state, scheduler state)
      .finally(() => inFlight.delete(running))
    inFlight.add(running)
  }

  /** Evaluates the notification rules now and delivers what they raise. */
  async function evaluateRules(): Promise<NotificationRecord[]> {
    const snapshot = await store.read()
    const expiries = new Map(snapshot.accounts.map((a) => [a.id, loginExpiry(fs, a.configDir)]))
    const breaker = scheduler.state()
    const raised = await store.transact((d) => {
      const now = clock.now()
      const usage = usageOf(d)
      return evaluateRulesInDraft(d, {
        now,
        standings: standings(d, now, usage),
        usage,
        loginExpiry: expiries,
        breaker,
        newId,
      })
    })
    if (raised.length) didChangeNotifications.fire()
    await Promise.all(raised.map(deliver))
    return raised
  }

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
      if (state.open) background(notifyBreakerOpen)
    },
  })

  /**
   * The breaker just opened: the rules raise its notification (once per opening, recorded in the
   * history). When the state file itself is what fails (a full disk, a folder taken away), nothing can
   * be recorded, so the notification is shown directly, unless the user turned that rule off.
   */
  async function notifyBreakerOpen(): Promise<void> {
    try {
      await evaluateRules()
    } catch (error) {
      const rules = await store.read().then(
        (d) => d.rules,
        () => null, // not even readable: say it
      )
      if (rules && !rules.some((r) => r.kind === 'rebalance_failing' && r.enabled)) return
      const notification: PoolNotification = {
        id: newId(),
        kind: 'rebalance_failing',
        title:
          (error as { code?: unknown }).code === 'STORE_IO'
            ? 'Auth Pool cannot save its state'
            : 'Auth Pool cannot rebalance',
        body: `${error instanceof Error ? error.message : String(error)}. Retrying less often.`,
        accountId: null,
        suggestedAccountId: null,
      }
      didRaiseNotification.fire(notification)
      await deliverWithRetry(notification, ports.notifier, clock, backoffMs)
    }
  }

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

    async rules(): Promise<DeepReadonly<Rule[]>> {
      return (await store.read()).rules
    },

    /** Adds or replaces a rule (by id). An invalid rule is refused with field paths and never stored. */
    async saveRule(input: unknown): Promise<Rule> {
      const rule = parseOrThrow(RuleSchema, input)
      const saved = await store.transact((d) => {
        if (rule.accounts !== 'all')
          rule.accounts.forEach((id, i) => {
            if (!d.accounts.some((a) => a.id === id))
              throw new ValidationError([{ path: ['accounts', i], message: `no account with id ${id}` }])
          })
        const at = d.rules.findIndex((r) => r.id === rule.id)
        if (at === -1) d.rules.push(rule)
        else d.rules[at] = rule
        return rule
      })
      background(evaluateRules)
      return saved
    },

    async deleteRule(id: string): Promise<void> {
      await store.transact((d) => {
        if (!d.rules.some((r) => r.id === id)) throw new NotFoundError('rule', id)
        d.rules = d.rules.filter((r) => r.id !== id)
      })
    },

    /** Raised notifications, newest first. */
    async notifications(): Promise<DeepReadonly<NotificationRecord[]>> {
      return [...(await store.read()).notifications].reverse()
    },

    /** Delivers notifications left pending by a process that stopped before showing them. */
    async deliverPending(): Promise<void> {
      const pending = (await store.read()).notifications.filter((n) => n.delivery === 'pending')
      await Promise.all(pending.map((n) => deliver(n as NotificationRecord)))
    },

    async addAccount(input: unknown): Promise<Account> {
      const add = prepareAddAccount(input, fs, clock.now(), newId)
      const account = await store.transact(add)
      didChangeAccounts.fire()
      background(evaluateRules)
      return account
    },

    async updateAccount(nameOrId: string, patch: unknown): Promise<Account> {
      const account = await store.transact(prepareUpdateAccount(nameOrId, patch, fs))
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

    async listAccounts(): Promise<AccountView[]> {
      return view(await store.read(), clock.now())
    },

    async allocate(input: unknown = {}): Promise<Allocation> {
      const request = parseOrThrow(AllocateInputSchema, input)
      const cwd = request.cwd ? absoluteFolder(request.cwd) : null
      const wanted: AllocationRequest = { cwd, account: request.account ?? null, pid: request.pid ?? null }
      const id = newId()
      const allocation = await store.transact((d) => allocateHere(d, wanted, id, clock.now()))
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
      const choice = chooseAccount(doc, standings(doc, now), {
        cwd: request.cwd ? absoluteFolder(request.cwd) : null,
        account: request.account ?? null,
      })
      const account = view(doc, now).find((a) => a.id === choice.account.id)!
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
        accounts: view(doc, now),
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
