import type { Account } from '../../shared/schemas/account'
import type { Settings } from '../../shared/schemas/settings'
import type { DeepReadonly } from '../../shared/readonly'
import { blockProgress, blockWindowStartingAt } from '../../shared/blocks'
import type { AccountStanding, AccountStatus } from '../../shared/schemas/pool'
import type { AccountUsage } from './ports'

export type { AccountStanding, AccountStatus } from '../../shared/schemas/pool'

/** a / b, where a budget that is not a positive finite number counts as fully used: never NaN or Infinity. */
export function usedRatio(spent: number, budget: number): number {
  if (!(budget > 0) || !Number.isFinite(budget)) return 1
  if (!(spent > 0)) return 0
  return spent / budget
}

export function effectiveBudgets(
  account: DeepReadonly<Account>,
  settings: DeepReadonly<Settings>,
): { blockUsd: number; weekUsd: number } {
  const plan = account.plan === 'custom' ? undefined : settings.planBudgets[account.plan]
  return {
    blockUsd: account.blockBudgetUsd ?? plan?.blockUsd ?? 0,
    weekUsd: account.weeklyBudgetUsd ?? plan?.weekUsd ?? 0,
  }
}

/**
 * When the block's budget runs out at the block's burn rate, if that is before the block resets (null
 * otherwise, or when nothing is burning). Already spent: now.
 */
export function blockRunsOutAt(budgetUsd: number, usage: AccountUsage, now: Date): Date | null {
  const burn = usage.blockBurnUsdPerHour
  if (!(burn > 0) || !usage.blockEndsAt) return null
  const at = now.getTime() + (Math.max(0, budgetUsd - usage.blockCostUsd) / burn) * 3_600_000
  return at < usage.blockEndsAt.getTime() ? new Date(at) : null
}

const later = (a: Date | null, b: Date | null): Date | null => (!a ? b : !b ? a : a > b ? a : b)
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x))

/**
 * Where an account stands now. Health weighs 5-hour headroom (60%) and weekly headroom (40%);
 * a block close to its reset counts part of its spent share as coming back soon, and each usage-limit
 * hit in the last week costs 10 points (at most 30).
 */
export function standingOf(
  account: DeepReadonly<Account>,
  usage: AccountUsage,
  settings: DeepReadonly<Settings>,
  now: Date,
): AccountStanding {
  const budgets = effectiveBudgets(account, settings)
  const blockRatio = usedRatio(usage.blockCostUsd, budgets.blockUsd)
  const weekRatio = usedRatio(usage.weekCostUsd, budgets.weekUsd)
  const limitedUntil = later(account.limitedUntil ? new Date(account.limitedUntil) : null, usage.limitedUntil)
  const base = {
    accountId: account.id,
    blockBudgetUsd: budgets.blockUsd,
    weeklyBudgetUsd: budgets.weekUsd,
    blockCostUsd: usage.blockCostUsd,
    weekCostUsd: usage.weekCostUsd,
    blockRatio,
    weekRatio,
    blockEndsAt: usage.blockEndsAt?.toISOString() ?? null,
    readProblem: usage.readProblem,
  }
  // The rest is added to `base` itself: an object spread followed by more properties (`{ ...base, status }`)
  // cost V8 (Node 20) about a microsecond per property, 10 µs a standing, and each allocation takes four.
  const standing = (rest: Omit<AccountStanding, keyof typeof base>): AccountStanding => Object.assign(base, rest)
  const unavailable = (status: AccountStatus, reason: string, freesAt: Date | null): AccountStanding =>
    standing({
      blockRunsOutAt: null,
      status,
      available: false,
      reason,
      freesAt: freesAt?.toISOString() ?? null,
      health: 0,
    })
  if (!account.enabled) return unavailable('disabled', 'disabled', null)
  if (limitedUntil && limitedUntil > now) return unavailable('limited', 'Claude reported its usage limit', limitedUntil)
  if (blockRatio >= 1 || weekRatio >= 1) {
    const blockFree = blockRatio >= 1 ? usage.blockEndsAt : null
    // When enough of the week's spend has left the window (the oldest leaving may free too little).
    const weekFree = weekRatio >= 1 ? (usage.weekUnderBudgetAt ?? usage.weekFreesAt) : null
    const reason =
      blockRatio >= 1 && weekRatio >= 1
        ? '5-hour and weekly budgets used'
        : blockRatio >= 1
          ? '5-hour budget used'
          : 'weekly budget used'
    return unavailable('limited', reason, later(blockFree, weekFree))
  }
  const progress = usage.blockStartedAt ? blockProgress(blockWindowStartingAt(usage.blockStartedAt), now) : 0
  const blockHeadroom = 1 - blockRatio
  const effectiveBlockHeadroom = blockHeadroom + (1 - blockHeadroom) * progress * 0.5
  const score = 100 * (0.6 * effectiveBlockHeadroom + 0.4 * (1 - weekRatio)) - Math.min(30, 10 * usage.recentLimitHits)
  const near = blockRatio >= settings.nearLimitRatio || weekRatio >= settings.nearLimitRatio
  return standing({
    status: near ? 'near_limit' : 'available',
    available: true,
    reason: near
      ? blockRatio >= settings.nearLimitRatio
        ? 'near its 5-hour budget'
        : 'near its weekly budget'
      : 'has headroom',
    blockRunsOutAt: blockRunsOutAt(budgets.blockUsd, usage, now)?.toISOString() ?? null,
    freesAt: null,
    health: clamp(Math.round(score), 1, 100),
  })
}
