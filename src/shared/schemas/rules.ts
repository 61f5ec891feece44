import { z } from 'zod'
import { IsoTimeSchema } from './account'

const RuleBase = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'must be lowercase letters, digits and dashes' }),
  enabled: z.boolean(),
  /** Which accounts the rule watches: all of them, or the listed ids. */
  accounts: z.union([
    z.literal('all'),
    z
      .array(z.uuid())
      .min(1, { error: 'list at least one account, or use "all"' })
      .max(100, { error: 'list at most 100 accounts' }),
  ]),
})

/**
 * Notification rules. A threshold rule without a percent is rejected here — it was evaluated as 0% in
 * the seed, and so fired on everything.
 */
export const RuleSchema = z.discriminatedUnion('kind', [
  RuleBase.extend({
    kind: z.literal('usage_threshold'),
    window: z.enum(['5h', 'week']),
    percent: z
      .number({ error: 'a threshold rule needs a percent from 1 to 100' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(100, { error: 'must be at most 100' }),
  }),
  RuleBase.extend({ kind: z.literal('limit_reached') }),
  RuleBase.extend({ kind: z.literal('limit_reset') }),
  RuleBase.extend({
    kind: z.literal('pool_forecast'),
    withinMinutes: z
      .number({ error: 'a forecast rule needs a number of minutes' })
      .int()
      .min(1)
      .max(24 * 60),
  }),
  RuleBase.extend({
    kind: z.literal('login_expiring'),
    withinDays: z.number({ error: 'a login rule needs a number of days' }).int().min(1).max(90),
  }),
  RuleBase.extend({ kind: z.literal('rebalance_failing') }),
])
export type Rule = z.infer<typeof RuleSchema>
export type RuleKind = Rule['kind']

export const DEFAULT_RULES: Rule[] = [
  { id: 'five-hour-75', kind: 'usage_threshold', window: '5h', percent: 75, enabled: true, accounts: 'all' },
  { id: 'five-hour-90', kind: 'usage_threshold', window: '5h', percent: 90, enabled: true, accounts: 'all' },
  { id: 'week-80', kind: 'usage_threshold', window: 'week', percent: 80, enabled: true, accounts: 'all' },
  { id: 'limit-reached', kind: 'limit_reached', enabled: true, accounts: 'all' },
  { id: 'limit-reset', kind: 'limit_reset', enabled: true, accounts: 'all' },
  { id: 'rebalance-failing', kind: 'rebalance_failing', enabled: true, accounts: 'all' },
]

export const DeliveryStatusSchema = z.enum(['pending', 'delivered', 'undelivered'])

export const NotificationRecordSchema = z.object({
  id: z.uuid(),
  at: IsoTimeSchema,
  kind: z.enum([
    'usage_threshold',
    'limit_reached',
    'limit_reset',
    'pool_forecast',
    'login_expiring',
    'rebalance_failing',
  ]),
  ruleId: z.string(),
  accountId: z.uuid().nullable(),
  title: z.string(),
  body: z.string(),
  /** The account a "Launch on …" action would use, when there is one. */
  suggestedAccountId: z.uuid().nullable(),
  delivery: DeliveryStatusSchema,
  attempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  deliveredAt: IsoTimeSchema.nullable(),
})
export type NotificationRecord = z.infer<typeof NotificationRecordSchema>

/** What rule evaluation remembers between runs (persisted, so a restart repeats nothing). */
export const RuleMemorySchema = z.object({
  /** Keys of conditions that already fired and stay quiet until re-armed. */
  fired: z.record(z.string(), IsoTimeSchema),
  /** Accounts currently limited, with the key of the limit, so its reset can be announced once. */
  limited: z.record(z.uuid(), z.string()),
})
export type RuleMemory = z.infer<typeof RuleMemorySchema>
