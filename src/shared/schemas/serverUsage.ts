import { z } from 'zod'
import { IsoTimeSchema } from './account'

// Claude's own figures for an account: the percentages of its 5-hour and weekly limits that Claude Code's
// status line and the usage endpoint report, as a standing shows them.

export const ServerSourceSchema = z.enum(['statusline', 'endpoint'])

/** One limit window as an account's standing shows it. */
export const ServerWindowViewSchema = z.object({
  /** Used share in percent, 0–100 (more when over), now: 0 once the window has reset. */
  percent: z.number().min(0),
  /** What Claude reported, before the window's reset and this machine's usage since were counted. */
  reportedPercent: z.number().min(0),
  resetsAt: IsoTimeSchema.nullable(),
  observedAt: IsoTimeSchema,
  source: ServerSourceSchema,
})
export type ServerWindowView = z.infer<typeof ServerWindowViewSchema>

export const ServerStandingSchema = z.object({
  fiveHour: ServerWindowViewSchema.nullable(),
  sevenDay: ServerWindowViewSchema.nullable(),
  sevenDayOpus: ServerWindowViewSchema.nullable(),
  sevenDaySonnet: ServerWindowViewSchema.nullable(),
  /** The newest observation of any window (null when the endpoint has only said what went wrong). */
  observedAt: IsoTimeSchema.nullable(),
  /** Older than the freshness setting: shown, but decisions use the local estimate. */
  stale: z.boolean(),
  /** Why the usage endpoint gave nothing new the last time it was asked ("the login expired at …"). */
  problem: z.string().nullable(),
})
export type ServerStanding = z.infer<typeof ServerStandingSchema>

/** What this machine's transcripts cost per window on this account, learned from Claude's percentages. */
export const CalibrationViewSchema = z.object({
  /** Dollars of local transcript cost that make a full 5-hour window (100 %), or null before any sample. */
  fiveHourUsd: z.number().positive().nullable(),
  sevenDayUsd: z.number().positive().nullable(),
  samples: z.number().int().nonnegative(),
})
export type CalibrationView = z.infer<typeof CalibrationViewSchema>

/**
 * Whether Claude Code can run on the account by itself: `logged_in`, `logged_out` (no credentials file, no
 * Keychain-backed `oauthAccount`), or `expired` (its token expired with no refresh token to renew it).
 */
export const LoginStateSchema = z.enum(['logged_in', 'logged_out', 'expired'])
export type LoginState = z.infer<typeof LoginStateSchema>
