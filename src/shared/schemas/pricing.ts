import { z } from 'zod'

const PerMillion = z.number().finite().nonnegative().max(10_000)

/** USD per million tokens. */
export const PriceSchema = z.object({
  input: PerMillion,
  cacheWrite5m: PerMillion,
  cacheWrite1h: PerMillion,
  cacheRead: PerMillion,
  output: PerMillion,
})
export type Price = z.infer<typeof PriceSchema>

/** Overrides by exact model id (e.g. `claude-opus-5-5`) or by family (`opus`, `sonnet`, `haiku`). */
export const PricingOverridesSchema = z.record(z.string().min(1).max(100), PriceSchema)
export type PricingOverrides = z.infer<typeof PricingOverridesSchema>
