import { z } from 'zod'

export const PLANS = ['pro', 'max5', 'max20', 'custom'] as const
export const PlanSchema = z.enum(PLANS)
export type Plan = z.infer<typeof PlanSchema>

/** A budget in USD-equivalent API cost. Zero or negative budgets are refused: they were the seed's division by zero. */
export const BudgetUsdSchema = z
  .number({ error: 'must be a number of US dollars' })
  .finite()
  .min(0.01, { error: 'must be at least 0.01' })
  .max(1_000_000, { error: 'must be at most 1,000,000' })

export const AccountNameSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'must be at most 64 characters' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._ -]*$/, {
    error: 'may contain letters, digits, spaces, dots, dashes and underscores, and must start with a letter or digit',
  })
  // "auto" is what `prefer auto` and the tray's Auto mean; an id-shaped name would be taken for that id.
  .refine((name) => name.toLowerCase() !== 'auto', { error: '"auto" is reserved for the best available account' })
  .refine((name) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name), {
    error: 'must not look like an account id',
  })

export const IsoTimeSchema = z.iso.datetime({ offset: true })

/** A folder or file path as given at a boundary: bounded, on one line. */
export const PathInputSchema = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(4096, { error: 'must be at most 4096 characters' })
  .regex(/^[^\u0000-\u001f]*$/, { error: 'must not contain line breaks or control characters' })

export const AccountSchema = z.object({
  id: z.uuid(),
  name: AccountNameSchema,
  /** Absolute, normalized path of the account's CLAUDE_CONFIG_DIR, as the user spelled it (symlinks kept). */
  configDir: z.string().regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, { error: 'must be an absolute path' }),
  plan: PlanSchema,
  /** User overrides; when absent the plan default from settings applies. */
  blockBudgetUsd: BudgetUsdSchema.nullable(),
  weeklyBudgetUsd: BudgetUsdSchema.nullable(),
  enabled: z.boolean(),
  /** Higher wins ties between equally healthy accounts. */
  priority: z.number().int().min(-100).max(100),
  createdAt: IsoTimeSchema,
  lastAllocatedAt: IsoTimeSchema.nullable(),
  sessionsStarted: z.number().int().nonnegative(),
  /** Set when Claude Code reported a usage limit; the account is unavailable until then. */
  limitedUntil: IsoTimeSchema.nullable(),
})
export type Account = z.infer<typeof AccountSchema>

/** What a caller may give when adding an account (CLI, IPC). */
export const AccountInputSchema = z.object({
  name: AccountNameSchema,
  configDir: PathInputSchema,
  plan: PlanSchema.default('pro'),
  blockBudgetUsd: BudgetUsdSchema.optional(),
  weeklyBudgetUsd: BudgetUsdSchema.optional(),
  enabled: z.boolean().default(true),
  priority: z.number().int().min(-100).max(100).default(0),
  /** Create the directory (0700) when it does not exist yet. */
  create: z.boolean().default(false),
})
export type AccountInput = z.input<typeof AccountInputSchema>

export const AccountPatchSchema = z
  .object({
    name: AccountNameSchema,
    configDir: PathInputSchema,
    plan: PlanSchema,
    blockBudgetUsd: BudgetUsdSchema.nullable(),
    weeklyBudgetUsd: BudgetUsdSchema.nullable(),
    enabled: z.boolean(),
    priority: z.number().int().min(-100).max(100),
  })
  .partial()
export type AccountPatch = z.input<typeof AccountPatchSchema>
