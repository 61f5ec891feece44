import { z } from 'zod'
import { IsoTimeSchema } from './account'

export const TokensSchema = z.object({
  input: z.number().int(),
  output: z.number().int(),
  cacheCreation: z.number().int(),
  cacheRead: z.number().int(),
})
export type Tokens = z.infer<typeof TokensSchema>

export const BlockReportSchema = z.object({
  start: IsoTimeSchema,
  end: IsoTimeSchema,
  isActive: z.boolean(),
  tokens: TokensSchema,
  costUsd: z.number(),
  entries: z.number().int(),
  models: z.array(z.string()),
  /** Some entry was priced by its model family, not the exact model. */
  estimated: z.boolean(),
  firstEntryAt: IsoTimeSchema,
  lastEntryAt: IsoTimeSchema,
})
export type BlockReport = z.infer<typeof BlockReportSchema>

export const CurrentBlockSchema = BlockReportSchema.extend({
  /** Elapsed share of the 5-hour window, in [0, 1]. */
  progress: z.number().min(0).max(1),
  /** Spend per hour between the block's first and last entry (0 with a single entry). */
  burnRateUsdPerHour: z.number(),
  /** Cost at the block's end if the burn rate holds. */
  projectedCostUsd: z.number(),
})
export type CurrentBlock = z.infer<typeof CurrentBlockSchema>

export const UsageSummarySchema = z.object({
  blocks: z.array(BlockReportSchema),
  current: CurrentBlockSchema.nullable(),
  week: z.object({
    costUsd: z.number(),
    tokens: TokensSchema,
    entries: z.number().int(),
    freesAt: IsoTimeSchema.nullable(),
  }),
  daily: z.array(z.object({ date: z.string(), costUsd: z.number(), tokens: TokensSchema })),
  limitedUntil: IsoTimeSchema.nullable(),
  limitHits: z.array(z.object({ at: IsoTimeSchema, resetsAt: IsoTimeSchema })),
})
export type UsageSummary = z.infer<typeof UsageSummarySchema>

export const DiagnosticsSchema = z.object({
  files: z.number().int(),
  bytesIndexed: z.number(),
  skippedLines: z.array(
    z.object({
      path: z.string(),
      invalid: z.number().int(),
      oversized: z.number().int(),
      error: z.string().nullable(),
    }),
  ),
})
export type Diagnostics = z.infer<typeof DiagnosticsSchema>
