import { NotFoundError, ValidationError } from '../../shared/errors'
import type { Emitter } from '../../shared/emitter'
import type { DeepReadonly } from '../../shared/readonly'
import { RuleSchema, type NotificationRecord, type Rule } from '../../shared/schemas/rules'
import type { EnginePorts, PoolNotification } from './ports'
import { loginExpiry } from './identity'
import { deliverWithRetry, DEFAULT_BACKOFF_MS } from './rules/delivery'
import { evaluateRulesInDraft } from './rules/evaluate'
import type { BreakerState } from './scheduler'
import { loginsOf, standingsOf, usageOf } from './standings'

export interface NotificationEvents {
  readonly didRaiseNotification: Emitter<PoolNotification>
  readonly didChangeNotifications: Emitter<void>
}

/**
 * The notification rules and their delivery: evaluated in one transaction, each raised notification
 * shown (with retries) and its outcome recorded, pending ones delivered after a restart.
 */
export function createNotifications(ports: EnginePorts, events: NotificationEvents, breaker: () => BreakerState) {
  const { store, clock, fs, newId } = ports
  const backoffMs = ports.deliveryBackoffMs ?? DEFAULT_BACKOFF_MS

  /** Shows one raised notification (with retries) and records how that went. */
  async function deliver(record: DeepReadonly<NotificationRecord>): Promise<void> {
    const { id, kind, title, body, accountId, suggestedAccountId } = record
    const notification: PoolNotification = { id, kind, title, body, accountId, suggestedAccountId }
    events.didRaiseNotification.fire(notification)
    const outcome = await deliverWithRetry(notification, ports.notifier, clock, backoffMs)
    await store.transact((d) => {
      const stored = d.notifications.find((n) => n.id === record.id)
      if (!stored) return // pushed out of the history by 500 newer ones meanwhile
      stored.delivery = outcome.delivered ? 'delivered' : 'undelivered'
      stored.attempts += outcome.attempts
      stored.lastError = outcome.lastError
      stored.deliveredAt = outcome.delivered ? clock.now().toISOString() : null
    })
    events.didChangeNotifications.fire()
  }

  /** Evaluates the notification rules now and delivers what they raise. */
  async function evaluateRules(): Promise<NotificationRecord[]> {
    const snapshot = await store.read()
    const expiries = new Map(snapshot.accounts.map((a) => [a.id, loginExpiry(fs, a.configDir)]))
    const state = breaker()
    const raised = await store.transact((d) => {
      const now = clock.now()
      const usage = usageOf(d, ports.usage)
      return evaluateRulesInDraft(d, {
        now,
        // The rules are about usage (logins have a rule of their own): a missing login does not hide it.
        standings: standingsOf(d, now, usage, loginsOf(d, fs, now), false),
        usage,
        loginExpiry: expiries,
        breaker: state,
        newId,
      })
    })
    if (raised.length) events.didChangeNotifications.fire()
    await Promise.all(raised.map(deliver))
    return raised
  }

  return {
    evaluateRules,

    /**
     * The breaker just opened: the rules raise its notification (once per opening, recorded in the
     * history). When the state file itself is what fails (a full disk, a folder taken away), nothing can
     * be recorded, so the notification is shown directly, unless the user turned that rule off.
     */
    async notifyBreakerOpen(): Promise<void> {
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
        events.didRaiseNotification.fire(notification)
        await deliverWithRetry(notification, ports.notifier, clock, backoffMs)
      }
    },

    async rules(): Promise<DeepReadonly<Rule[]>> {
      return (await store.read()).rules
    },

    /** Adds or replaces a rule (by id). An invalid rule is refused with field paths and never stored. */
    async saveRule(input: unknown): Promise<Rule> {
      const parsed = RuleSchema.safeParse(input)
      if (!parsed.success) throw ValidationError.fromZod(parsed.error)
      const rule = parsed.data
      return store.transact((d) => {
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
      await Promise.all(pending.map(deliver))
    },
  }
}
