import { describe, expect, it } from 'vitest'
import type { Account } from '../../shared/schemas/account'
import { DEFAULT_SETTINGS } from '../../shared/schemas/settings'
import { effectiveBudgets, standingOf, usedRatio } from './health'
import { NO_USAGE } from './ports'

const now = new Date('2026-11-27T11:30:00Z')
const account: Account = {
  id: '5b0c6a52-2f8f-4a43-9a57-3c9a2c7a9d11',
  name: 'work',
  configDir: '/x',
  plan: 'max5',
  blockBudgetUsd: null,
  weeklyBudgetUsd: null,
  enabled: true,
  priority: 0,
  createdAt: now.toISOString(),
  lastAllocatedAt: null,
  sessionsStarted: 0,
  limitedUntil: null,
}
const block = { blockStartedAt: new Date('2026-11-27T09:00:00Z'), blockEndsAt: new Date('2026-11-27T14:00:00Z') }

describe('health', () => {
  it('never divides by zero: a zero, negative or NaN budget counts as used up (the seed crashed)', () => {
    expect(usedRatio(5, 0)).toBe(1)
    expect(usedRatio(0, 0)).toBe(1)
    expect(usedRatio(5, -3)).toBe(1)
    expect(usedRatio(5, Number.NaN)).toBe(1)
    expect(usedRatio(0, 10)).toBe(0)
    const custom = { ...account, plan: 'custom' as const }
    const s = standingOf(custom, { ...NO_USAGE, blockCostUsd: 3 }, DEFAULT_SETTINGS, now)
    expect(Number.isFinite(s.health)).toBe(true)
    expect(s.available).toBe(false)
  })

  it('takes budgets from the plan settings unless overridden (no hard-coded $25)', () => {
    const settings = {
      ...DEFAULT_SETTINGS,
      planBudgets: { ...DEFAULT_SETTINGS.planBudgets, max5: { blockUsd: 77, weekUsd: 700 } },
    }
    expect(effectiveBudgets(account, settings)).toEqual({ blockUsd: 77, weekUsd: 700 })
    expect(effectiveBudgets({ ...account, blockBudgetUsd: 12 }, settings)).toEqual({ blockUsd: 12, weekUsd: 700 })
  })

  it('forecasts when the block budget runs out at the burn rate, only if before the block resets', () => {
    const at = (costUsd: number, burn: number) =>
      standingOf(
        account,
        { ...NO_USAGE, ...block, blockCostUsd: costUsd, blockBurnUsdPerHour: burn },
        DEFAULT_SETTINGS,
        now,
      ).blockRunsOutAt
    expect(at(20, 10)).toBe('2026-11-27T13:30:00.000Z') // $20 of $40 left at $10/h: 2 h from 11:30
    expect(at(20, 5)).toBeNull() // 4 h: the block resets at 14:00 first
    expect(at(20, 0)).toBeNull() // nothing burning
    expect(at(45, 10)).toBeNull() // over budget: limited, it frees up at the reset instead
    expect(standingOf(account, NO_USAGE, DEFAULT_SETTINGS, now).blockRunsOutAt).toBeNull()
  })

  it('scores 100 when idle, less with spend, 0 when limited or disabled', () => {
    const idle = standingOf(account, NO_USAGE, DEFAULT_SETTINGS, now)
    expect(idle.health).toBe(100)
    const half = standingOf(
      account,
      { ...NO_USAGE, ...block, blockCostUsd: 20, weekCostUsd: 25 },
      DEFAULT_SETTINGS,
      now,
    )
    expect(half.health).toBeGreaterThan(0)
    expect(half.health).toBeLessThan(idle.health)
    const over = standingOf(account, { ...NO_USAGE, ...block, blockCostUsd: 40 }, DEFAULT_SETTINGS, now)
    expect(over).toMatchObject({ available: false, status: 'limited', health: 0, freesAt: '2026-11-27T14:00:00.000Z' })
    const limited = standingOf(
      account,
      { ...NO_USAGE, limitedUntil: new Date('2026-11-27T15:00:00Z') },
      DEFAULT_SETTINGS,
      now,
    )
    expect(limited).toMatchObject({ status: 'limited', health: 0, freesAt: '2026-11-27T15:00:00.000Z' })
    expect(standingOf({ ...account, enabled: false }, NO_USAGE, DEFAULT_SETTINGS, now)).toMatchObject({
      status: 'disabled',
      health: 0,
    })
  })

  it('marks near-limit accounts and penalises recent limit hits', () => {
    const near = standingOf(account, { ...NO_USAGE, ...block, blockCostUsd: 37 }, DEFAULT_SETTINGS, now)
    expect(near.status).toBe('near_limit')
    const hit = standingOf(account, { ...NO_USAGE, recentLimitHits: 2 }, DEFAULT_SETTINGS, now)
    expect(hit.health).toBe(80)
  })

  it('an expired limit no longer counts', () => {
    const past = standingOf({ ...account, limitedUntil: '2026-11-27T10:00:00.000Z' }, NO_USAGE, DEFAULT_SETTINGS, now)
    expect(past.available).toBe(true)
  })
})
