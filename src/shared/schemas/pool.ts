import { z } from 'zod'
import { AccountSchema, IsoTimeSchema } from './account'
import { SessionSchema } from './session'
import { RecoverySchema, SchedulerStateSchema } from './state'
import { CalibrationViewSchema, LoginStateSchema, ServerStandingSchema } from './serverUsage'

/** `logged_out`: Claude Code has no usable login there, so nothing is started on it automatically. */
export const AccountStatusSchema = z.enum(['available', 'near_limit', 'limited', 'disabled', 'logged_out'])
export type AccountStatus = z.infer<typeof AccountStatusSchema>

/** Where an account stands now: budgets, spend, availability and health. */
export const AccountStandingSchema = z.object({
  accountId: z.uuid(),
  status: AccountStatusSchema,
  available: z.boolean(),
  /** One line a person can read: why the account is in this state. */
  reason: z.string(),
  blockBudgetUsd: z.number(),
  weeklyBudgetUsd: z.number(),
  blockCostUsd: z.number(),
  weekCostUsd: z.number(),
  /** Share of each budget used, in [0, ∞); > 1 means over budget. */
  blockRatio: z.number(),
  weekRatio: z.number(),
  blockEndsAt: IsoTimeSchema.nullable(),
  /**
   * When the 5-hour budget runs out if the block's burn rate holds; null when it lasts until the block
   * resets, when nothing is being spent, and for an account that is not available.
   */
  blockRunsOutAt: IsoTimeSchema.nullable(),
  /** When an unavailable account frees up (null when available or unknown). */
  freesAt: IsoTimeSchema.nullable(),
  /** 0–100; 0 exactly when the account is unavailable. */
  health: z.number().min(0).max(100),
  /** What of its transcripts could not be read (the path and what to do): its figures may be short. */
  readProblem: z.string().nullable().default(null),
  /**
   * What the ratios, health and limits come from: Claude's own percentages (`server`, while fresh) or
   * this machine's transcripts priced against a budget (`estimate`).
   */
  basis: z.enum(['server', 'estimate']),
  /** Claude's own figures, fresh or not, or null when none were ever seen. */
  server: ServerStandingSchema.nullable(),
  /** This machine's transcript dollars per window, learned from Claude's percentages. */
  calibration: CalibrationViewSchema,
  login: LoginStateSchema,
})
export type AccountStanding = z.infer<typeof AccountStandingSchema>

/** Who is logged in to an account's config directory (from `.claude.json`; never a token). */
export const LoginIdentitySchema = z.object({
  email: z.string().nullable(),
  organization: z.string().nullable(),
  plan: z.string().nullable(),
})
export type LoginIdentity = z.infer<typeof LoginIdentitySchema>

export const AccountViewSchema = AccountSchema.extend({
  standing: AccountStandingSchema,
  activeSessions: z.number().int().nonnegative(),
})
export type AccountView = z.infer<typeof AccountViewSchema>

export const AllocationReasonSchema = z.enum(['explicit', 'assignment', 'preferred', 'healthiest'])
export type AllocationReason = z.infer<typeof AllocationReasonSchema>

export const PoolStatusSchema = z.object({
  revision: z.number().int(),
  accounts: z.array(AccountViewSchema),
  availableCount: z.number().int(),
  nextResetAt: IsoTimeSchema.nullable(),
  /** What Auto would pick for a new session now, and why. */
  autoPick: z.object({ accountId: z.uuid(), name: z.string(), reason: AllocationReasonSchema }).nullable(),
  preferredAccountId: z.uuid().nullable(),
  scheduler: SchedulerStateSchema,
  recoveries: z.array(RecoverySchema),
  /** Notifications that could not be shown (counted on the tray). */
  undeliveredCount: z.number().int().nonnegative(),
})
export type PoolStatus = z.infer<typeof PoolStatusSchema>

export const AllocationSchema = z.object({
  session: SessionSchema,
  account: AccountSchema,
  reason: AllocationReasonSchema,
  /** Set when a preferred account (assignment or tray pick) was skipped: a line to show the user. */
  notice: z.string().nullable(),
})
export type Allocation = z.infer<typeof AllocationSchema>

const Count = z.number().int().nonnegative()

/** What the running app counted: allocations and reconcile outcomes. */
export const MetricsSchema = z.object({
  allocations: Count,
  sessionIdCollisions: Count,
  reconcile: z.object({
    runs: Count,
    failures: Count,
    reaped: Count,
    expired: Count,
    reassigned: Count,
    pruned: Count,
  }),
})
export type Metrics = z.infer<typeof MetricsSchema>

export const ReconcileOutcomeSchema = z.object({
  /** Sessions whose process is gone. */
  reaped: z.number().int(),
  /** Sessions without a pid older than the TTL. */
  expired: z.number().int(),
  /** Folder assignments moved away from unavailable accounts. */
  reassigned: z.number().int(),
  pruned: z.number().int(),
})
export type ReconcileOutcome = z.infer<typeof ReconcileOutcomeSchema>
