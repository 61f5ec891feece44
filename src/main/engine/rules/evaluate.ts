import { clockTime } from '../../../shared/format'
import type { DeepReadonly } from '../../../shared/readonly'
import type { Account } from '../../../shared/schemas/account'
import type { NotificationRecord, Rule } from '../../../shared/schemas/rules'
import type { StateDraft } from '../../../shared/schemas/state'
import { rankAccounts } from '../allocation'
import type { AccountStanding } from '../health'
import type { AccountUsage } from '../ports'

export interface RuleContext {
  readonly now: Date
  readonly standings: ReadonlyMap<string, AccountStanding>
  readonly usage: ReadonlyMap<string, AccountUsage>
  /** Login expiry per account id (ms), where a credentials file says. */
  readonly loginExpiry: ReadonlyMap<string, number | null>
  readonly breaker: { readonly open: boolean; readonly consecutiveFailures: number; readonly lastError: string | null }
  readonly newId: () => string
}

type NewRecord = Omit<NotificationRecord, 'id' | 'at' | 'delivery' | 'attempts' | 'lastError' | 'deliveredAt'>

const DAY_MS = 86_400_000
const KEEP_FIRED_MS = 8 * DAY_MS

const inScope = (rule: DeepReadonly<Rule>, accountId: string) =>
  rule.accounts === 'all' || rule.accounts.includes(accountId)

/**
 * Evaluates every enabled rule against the current standings, inside the caller's transaction: each
 * condition fires once (its key is remembered in the document, so a restart repeats nothing) and the
 * raised notifications are appended as pending records. Returns those records.
 */
export function evaluateRulesInDraft(draft: StateDraft, ctx: RuleContext): NotificationRecord[] {
  const memory = draft.ruleMemory
  const nowIso = ctx.now.toISOString()
  const raised: NewRecord[] = []
  const rules = draft.rules.filter((r) => r.enabled)
  const accounts = draft.accounts
  const name = (id: string) => accounts.find((a) => a.id === id)?.name ?? id
  /** A reset time as the notification reads it, with its day when that is not today. */
  const hhmm = (iso: string | null) => clockTime(iso, 'unknown', ctx.now.getTime())
  const fire = (key: string) => {
    if (key in memory.fired) return false
    memory.fired[key] = nowIso
    return true
  }
  /** Where new sessions go instead of this account ("new sessions go to …"). */
  const alternative = (accountId: string | null): DeepReadonly<Account> | undefined =>
    rankAccounts(draft, ctx.standings).find((a) => a.id !== accountId)
  const instead = (accountId: string) => {
    const other = alternative(accountId)
    return other ? `new sessions go to ${other.name}` : 'no other account has headroom'
  }

  // Usage thresholds: per account and window, every newly crossed threshold is remembered, and one
  // notification names the highest (jumping from 0 to 95% says 90%, not 75% and 90%).
  for (const window of ['5h', 'week'] as const) {
    const thresholds = rules.filter(
      (r): r is Extract<Rule, { kind: 'usage_threshold' }> => r.kind === 'usage_threshold' && r.window === window,
    )
    for (const account of accounts) {
      const standing = ctx.standings.get(account.id)
      const usage = ctx.usage.get(account.id)
      if (!standing || !usage || !account.enabled) continue
      const ratio = window === '5h' ? standing.blockRatio : standing.weekRatio
      // A 5-hour key carries its window (when it resets, to the minute: Claude's figures come from two
      // sources that round differently), so a new window re-arms; the rolling week re-arms when usage
      // falls back. A window Claude reports counts even without a transcript on this machine.
      const windowEnd = window === '5h' ? (standing.blockEndsAt ?? null) : null
      const windowId =
        window === '5h' ? (windowEnd ? String(Math.round(Date.parse(windowEnd) / 60_000)) : undefined) : 'rolling'
      if (!windowId) continue
      const crossed: (typeof thresholds)[number][] = []
      for (const rule of thresholds) {
        if (!inScope(rule, account.id)) continue
        const key = `threshold:${rule.id}:${account.id}:${windowId}`
        if (ratio * 100 >= rule.percent) {
          if (fire(key)) crossed.push(rule)
        } else if (window === 'week') delete memory.fired[key]
      }
      const top = crossed.sort((a, b) => b.percent - a.percent)[0]
      if (!top) continue
      const resets =
        window === '5h'
          ? `resets ${hhmm(standing.blockEndsAt)}`
          : `frees up from ${hhmm(usage.weekFreesAt?.toISOString() ?? null)}`
      const windowName = window === '5h' ? '5-hour window' : 'week'
      raised.push({
        kind: 'usage_threshold',
        ruleId: top.id,
        accountId: account.id,
        title: `${account.name} at ${top.percent}% of its ${windowName}`,
        body: `${Math.floor(ratio * 100)}% used (${standing.basis === 'server' ? "Claude's figure" : `estimate, $${(window === '5h' ? standing.blockCostUsd : standing.weekCostUsd).toFixed(2)}`}), ${resets} — ${instead(account.id)}`,
        suggestedAccountId: alternative(account.id)?.id ?? null,
      })
    }
  }

  // Limits: remembered per account whether or not the rule is on, so the reset can be announced once.
  const reached = rules.filter((r) => r.kind === 'limit_reached')
  const reset = rules.filter((r) => r.kind === 'limit_reset')
  for (const account of accounts) {
    const standing = ctx.standings.get(account.id)
    if (!standing || standing.status !== 'limited') continue
    const key = `limit:${account.id}:${standing.freesAt ?? 'unknown'}`
    if (memory.limited[account.id] === key) continue
    memory.limited[account.id] = key
    const rule = reached.find((r) => inScope(r, account.id))
    if (rule && fire(key))
      raised.push({
        kind: 'limit_reached',
        ruleId: rule.id,
        accountId: account.id,
        title: `${account.name} reached its limit`,
        body: `${standing.reason}; available again at ${hhmm(standing.freesAt)} — ${instead(account.id)}`,
        suggestedAccountId: alternative(account.id)?.id ?? null,
      })
  }
  for (const [accountId, key] of Object.entries(memory.limited)) {
    const standing = ctx.standings.get(accountId)
    if (standing?.status === 'limited') continue
    delete memory.limited[accountId]
    if (!standing || !standing.available) continue // removed or disabled: nothing to announce
    const rule = reset.find((r) => inScope(r, accountId))
    if (rule && fire(`reset:${key}`))
      raised.push({
        kind: 'limit_reset',
        ruleId: rule.id,
        accountId,
        title: `${name(accountId)} is available again`,
        body: `Its limit has reset; new sessions can use it.`,
        suggestedAccountId: accountId,
      })
  }

  // Forecast: every available account in scope runs out (before its block resets) within N minutes.
  for (const rule of rules.filter((r) => r.kind === 'pool_forecast')) {
    const key = `forecast:${rule.id}`
    const available = accounts.filter((a) => inScope(rule, a.id) && ctx.standings.get(a.id)?.available)
    const runsOut = available.map((a) => minutesUntilEmpty(ctx.standings.get(a.id)!, ctx.now))
    const soon = available.length > 0 && runsOut.every((m) => m <= rule.withinMinutes)
    if (!soon) {
      delete memory.fired[key]
      continue
    }
    if (fire(key))
      raised.push({
        kind: 'pool_forecast',
        ruleId: rule.id,
        accountId: null,
        title: `Every account runs out within ${Math.ceil(Math.max(...runsOut))} minutes`,
        body: `At the current burn rate ${available.map((a) => a.name).join(', ')} will all hit their 5-hour budget before their blocks reset.`,
        suggestedAccountId: null,
      })
  }

  // Logins that expire within N days, or already did.
  for (const rule of rules.filter((r) => r.kind === 'login_expiring')) {
    for (const account of accounts) {
      const expiry = ctx.loginExpiry.get(account.id)
      if (expiry === null || expiry === undefined || !inScope(rule, account.id)) continue
      const left = expiry - ctx.now.getTime()
      if (left > rule.withinDays * DAY_MS || !fire(`login:${rule.id}:${account.id}:${expiry}`)) continue
      raised.push({
        kind: 'login_expiring',
        ruleId: rule.id,
        accountId: account.id,
        title:
          left <= 0
            ? `${account.name}'s login has expired`
            : `${account.name}'s login expires in ${Math.max(1, Math.round(left / DAY_MS))} day(s)`,
        body: `Log in again with \`auth-pool login ${account.name}\` (expiry ${new Date(expiry).toLocaleString()}).`,
        suggestedAccountId: null,
      })
    }
  }

  // The scheduler's circuit breaker: once per opening.
  const rebalance = rules.find((r) => r.kind === 'rebalance_failing')
  if (ctx.breaker.open && rebalance && fire(`rebalance:${draft.scheduler.lastSuccessAt ?? 'never'}`))
    raised.push({
      kind: 'rebalance_failing',
      ruleId: rebalance.id,
      accountId: null,
      title: 'Auth Pool cannot rebalance',
      body: `Rebalancing failed ${ctx.breaker.consecutiveFailures} times in a row (${ctx.breaker.lastError ?? 'unknown error'}); retrying less often.`,
      suggestedAccountId: null,
    })

  // Forget fired keys of windows long gone.
  for (const [key, at] of Object.entries(memory.fired))
    if (ctx.now.getTime() - Date.parse(at) > KEEP_FIRED_MS) delete memory.fired[key]

  const records: NotificationRecord[] = raised.map((r) => ({
    ...r,
    id: ctx.newId(),
    at: nowIso,
    delivery: 'pending',
    attempts: 0,
    lastError: null,
    deliveredAt: null,
  }))
  draft.notifications = [...draft.notifications, ...records].slice(-500)
  return records
}

/** Minutes until the block budget is spent at the current burn rate; Infinity if the block resets first. */
function minutesUntilEmpty(standing: AccountStanding, now: Date): number {
  if (!standing.blockRunsOutAt) return Infinity
  return Math.max(0, (Date.parse(standing.blockRunsOutAt) - now.getTime()) / 60_000)
}
