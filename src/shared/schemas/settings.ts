import { z } from 'zod'
import { BudgetUsdSchema } from './account'
import { PricingOverridesSchema } from './pricing'

export const PlanBudgetSchema = z.object({ blockUsd: BudgetUsdSchema, weekUsd: BudgetUsdSchema })
export type PlanBudget = z.infer<typeof PlanBudgetSchema>

/**
 * Expected USD-equivalent cost a plan allows per 5-hour block and per week. These are estimates
 * (Anthropic does not publish them in dollars), which is why they are settings and not constants:
 * the seed hard-coded $25 per block.
 */
export const DEFAULT_PLAN_BUDGETS = {
  pro: { blockUsd: 8, weekUsd: 50 },
  max5: { blockUsd: 40, weekUsd: 250 },
  max20: { blockUsd: 160, weekUsd: 1000 },
} as const satisfies Record<'pro' | 'max5' | 'max20', PlanBudget>

export const ServerUsageSettingsSchema = z.object({
  /** Whether Auth Pool asks Anthropic's usage endpoint at all (off: the status line and local estimates only). */
  contactAnthropic: z.boolean(),
  /** At most one request per account this often. */
  pollMinutes: z
    .number()
    .int()
    .min(2, { error: 'must be at least 2 minutes' })
    .max(24 * 60),
  /** How long an observation decides before the local estimate takes over again. */
  freshMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
})
export type ServerUsageSettings = z.infer<typeof ServerUsageSettingsSchema>
export const DEFAULT_SERVER_USAGE: ServerUsageSettings = { contactAnthropic: true, pollMinutes: 5, freshMinutes: 10 }

export const SettingsSchema = z.object({
  planBudgets: z.object({ pro: PlanBudgetSchema, max5: PlanBudgetSchema, max20: PlanBudgetSchema }),
  /** Scheduler period. */
  rebalanceIntervalSec: z.number().int().min(5).max(3600),
  rebalancePaused: z.boolean(),
  /** Fraction of a budget at which an account counts as "near its limit". */
  nearLimitRatio: z.number().gt(0).lt(1),
  /** Sessions without a known pid are ended after this long. */
  sessionTtlHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30),
  /** How many ended sessions are kept for history. */
  endedSessionsKept: z.number().int().min(0).max(100_000),
  claudePath: z.string().nullable(),
  /** Price overrides; added after version 1 shipped, hence the default for older files. */
  pricing: PricingOverridesSchema.default({}),
  terminalCommand: z.string().nullable(),
  /** Claude's own figures; added after version 1 shipped, hence the default for older files. */
  serverUsage: ServerUsageSettingsSchema.default(DEFAULT_SERVER_USAGE),
})
export type Settings = z.infer<typeof SettingsSchema>

export const DEFAULT_SETTINGS: Settings = {
  planBudgets: DEFAULT_PLAN_BUDGETS,
  rebalanceIntervalSec: 60,
  rebalancePaused: false,
  nearLimitRatio: 0.9,
  sessionTtlHours: 24,
  endedSessionsKept: 500,
  claudePath: null,
  terminalCommand: null,
  pricing: {},
  serverUsage: DEFAULT_SERVER_USAGE,
}
