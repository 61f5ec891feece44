import type { Snapshot, StateDraft } from '../../shared/schemas/state'
import type { ServerFigures } from '../../shared/serverWindows'

/** The state document, transactionally: every change is one call of `transact`. */
export interface Store {
  transact<T>(fn: (draft: StateDraft) => T): Promise<T>
  read(): Promise<Snapshot>
}

export interface TimerHandle {
  cancel(): void
}

export interface Clock {
  now(): Date
  setTimeout(fn: () => void, ms: number): TimerHandle
}

export interface PoolNotification {
  readonly id: string
  readonly kind: string
  readonly title: string
  readonly body: string
  readonly accountId: string | null
  /** The account a "Launch on …" action would start a session on. */
  readonly suggestedAccountId: string | null
}

export interface Notifier {
  /** Shows a notification; rejects when it could not be shown. */
  notify(notification: PoolNotification): Promise<void>
}

export interface ProcessRunner {
  /** Whether a process with this pid is still running. */
  isAlive(pid: number): boolean
}

export interface FileStat {
  readonly isDirectory: boolean
  readonly uid: number
  readonly size: number
  readonly mtimeMs: number
}

/** The few file-system facts the engine needs, so tests can use real temp dirs and a fake home. */
export interface FileSystem {
  homedir(): string
  cwd(): string
  /** The current user's uid, or null where ownership is not checked (Windows). */
  uid(): number | null
  realpath(path: string): string
  /** undefined when the path does not exist. */
  stat(path: string): FileStat | undefined
  mkdirPrivate(path: string): void
  /** Removes a folder if it is empty (one made for an account that was not added after all). */
  removeEmptyFolder(path: string): void
  /** A small text file's content, or undefined when it does not exist. */
  readText(path: string): string | undefined
}

/** Usage figures of one account, as the usage subsystem sees them now. */
export interface AccountUsage {
  /** Cost of the active 5-hour block, 0 when there is none. */
  readonly blockCostUsd: number
  /** End of the active block, or null when no block is active. */
  readonly blockEndsAt: Date | null
  readonly blockStartedAt: Date | null
  /** Cost over the rolling 7 days. */
  readonly weekCostUsd: number
  /** When the oldest spend in the rolling week drops out (frees weekly headroom), or null. */
  readonly weekFreesAt: Date | null
  /**
   * When the week's spend falls back under the account's weekly budget if nothing new is used (enough of
   * it has left the window), or null when it is under already. Over the budget, this is when the account
   * is free again; the oldest spend leaving (weekFreesAt) may free too little.
   */
  readonly weekUnderBudgetAt: Date | null
  /** Reset time announced by a usage-limit message, when one is in force. */
  readonly limitedUntil: Date | null
  /** Usage-limit hits in the last 7 days. */
  readonly recentLimitHits: number
  /** Spend per hour in the active block (0 without one, and when nothing has been used for a while). */
  readonly blockBurnUsdPerHour: number
  /** What could not be read of this account's transcripts, with its path and what to do; null when all was. */
  readonly readProblem: string | null
  /** Claude's own percentages for the account (status line, usage endpoint), or null when none were seen. */
  readonly server: ServerFigures | null
}

export interface UsageSource {
  /**
   * `weeklyBudgetUsd`: the weekly budget the estimate divides by, for weekUnderBudgetAt, given the
   * account's server figures (they may carry a learned one).
   */
  usageOf(account: {
    readonly id: string
    readonly configDir: string
    readonly weeklyBudgetUsd?: (server: ServerFigures | null) => number
  }): AccountUsage
}

export const NO_USAGE: AccountUsage = {
  blockCostUsd: 0,
  blockEndsAt: null,
  blockStartedAt: null,
  weekCostUsd: 0,
  weekFreesAt: null,
  weekUnderBudgetAt: null,
  limitedUntil: null,
  recentLimitHits: 0,
  blockBurnUsdPerHour: 0,
  readProblem: null,
  server: null,
}

export interface EnginePorts {
  readonly store: Store
  readonly clock: Clock
  readonly notifier: Notifier
  readonly processes: ProcessRunner
  readonly fs: FileSystem
  readonly usage: UsageSource
  /** A new random UUID for accounts, sessions and notifications; a test may make one collide. */
  readonly newId: () => string
  /** Waits between notification delivery attempts (default 1 s, then 5 s). */
  readonly deliveryBackoffMs?: readonly number[]
}
