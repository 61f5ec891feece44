import type { Account } from '../../shared/schemas/account'
import type { Settings } from '../../shared/schemas/settings'
import type { DeepReadonly } from '../../shared/readonly'
import { blockProgress, blockWindowStartingAt } from '../../shared/blocks'
import type { AccountStanding, AccountStatus } from '../../shared/schemas/pool'
import type { CalibrationView, LoginState, ServerStanding, ServerWindowView } from '../../shared/schemas/serverUsage'
import type { CalibratedWindow, ServerFigures, ServerWindowName } from '../../shared/serverWindows'
import type { AccountUsage } from './ports'

export type { AccountStanding, AccountStatus } from '../../shared/schemas/pool'

/** a / b, where a budget that is not a positive finite number counts as fully used: never NaN or Infinity. */
export function usedRatio(spent: number, budget: number): number {
  if (!(budget > 0) || !Number.isFinite(budget)) return 1
  if (!(spent > 0)) return 0
  return spent / budget
}

/**
 * The budgets an estimate divides by: the user's own, else what this machine's transcripts cost per window
 * on this account (learned from Claude's percentages), else the plan's guess.
 */
export function effectiveBudgets(
  account: DeepReadonly<Account>,
  settings: DeepReadonly<Settings>,
  server: ServerFigures | null = null,
): { blockUsd: number; weekUsd: number } {
  const plan = account.plan === 'custom' ? undefined : settings.planBudgets[account.plan]
  const learned = (name: CalibratedWindow) => {
    const dollarsPerPercent = server?.calibration[name]?.dollarsPerPercent
    return dollarsPerPercent ? dollarsPerPercent * 100 : undefined
  }
  return {
    blockUsd: account.blockBudgetUsd ?? learned('fiveHour') ?? plan?.blockUsd ?? 0,
    weekUsd: account.weeklyBudgetUsd ?? learned('sevenDay') ?? plan?.weekUsd ?? 0,
  }
}

/**
 * When the 5-hour budget runs out at the block's burn rate, if that is before the block resets (null
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
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
const FIVE_HOURS = 5 * 3_600_000

/**
 * A window as a standing shows it: 0 % once it has reset; this machine's usage since the observation
 * added at the account's learned dollars per percent.
 */
function windowView(server: ServerFigures, name: ServerWindowName, now: number): ServerWindowView | null {
  const w = server.windows[name]
  if (!w) return null
  const reset = w.resetsAt !== null && w.resetsAt <= now
  const calibrated = name === 'fiveHour' || name === 'sevenDay' ? name : undefined
  const dollarsPerPercent = calibrated && server.calibration[calibrated]?.dollarsPerPercent
  const since = dollarsPerPercent ? (server.costSinceUsd[calibrated] ?? 0) / dollarsPerPercent : 0
  return {
    percent: (reset ? 0 : w.percent) + since,
    reportedPercent: w.percent,
    resetsAt: reset ? null : iso(w.resetsAt),
    observedAt: iso(w.observedAt)!,
    source: w.source,
  }
}

/** Claude's figures as the standing shows them, and which of them are fresh enough to decide. */
function serverStanding(server: ServerFigures | null, settings: DeepReadonly<Settings>, now: number) {
  if (!server) return { view: null, block: null, week: null }
  const observed = Object.values(server.windows).map((w) => w.observedAt)
  const freshMs = settings.serverUsage.freshMinutes * 60_000
  const fresh = (name: ServerWindowName) => {
    const w = server.windows[name]
    return !!w && now - w.observedAt <= freshMs
  }
  const view: ServerStanding = {
    fiveHour: windowView(server, 'fiveHour', now),
    sevenDay: windowView(server, 'sevenDay', now),
    sevenDayOpus: windowView(server, 'sevenDayOpus', now),
    sevenDaySonnet: windowView(server, 'sevenDaySonnet', now),
    observedAt: observed.length ? iso(Math.max(...observed)) : null,
    stale: !fresh('fiveHour') && !fresh('sevenDay'),
    problem: server.problem,
  }
  return {
    view,
    block: fresh('fiveHour') ? view.fiveHour : null,
    week: fresh('sevenDay') ? view.sevenDay : null,
  }
}

function calibrationView(server: ServerFigures | null): CalibrationView {
  const c = server?.calibration
  return {
    fiveHourUsd: c?.fiveHour ? c.fiveHour.dollarsPerPercent * 100 : null,
    sevenDayUsd: c?.sevenDay ? c.sevenDay.dollarsPerPercent * 100 : null,
    samples: (c?.fiveHour?.samples ?? 0) + (c?.sevenDay?.samples ?? 0),
  }
}

/** Why an account that needs a login cannot run now, or null when it can. */
function loginProblem(login: LoginState): string | null {
  if (login === 'logged_out') return 'not logged in to Claude'
  if (login === 'expired') return 'its Claude login has expired'
  return null
}

/**
 * Where an account stands now. Its used shares come from Claude's own percentages while they are fresh
 * (`settings.serverUsage.freshMinutes`), else from this machine's transcripts priced against a budget, an
 * estimate said as one. Health weighs 5-hour headroom (60%) and weekly headroom (40%); a window close to
 * its reset counts part of its used share as coming back soon, and each usage-limit hit in the last week
 * costs 10 points (at most 30). Without a usable Claude login the account takes no session, unless the
 * session brings its own credentials (`loginRequired` false).
 */
export function standingOf(
  account: DeepReadonly<Account>,
  usage: AccountUsage,
  settings: DeepReadonly<Settings>,
  now: Date,
  login: LoginState = 'logged_in',
  loginRequired = true,
): AccountStanding {
  const t = now.getTime()
  const budgets = effectiveBudgets(account, settings, usage.server)
  const server = serverStanding(usage.server, settings, t)
  const blockRatio = server.block ? server.block.percent / 100 : usedRatio(usage.blockCostUsd, budgets.blockUsd)
  const weekRatio = server.week ? server.week.percent / 100 : usedRatio(usage.weekCostUsd, budgets.weekUsd)
  const blockEndsAt = server.block?.resetsAt ? new Date(server.block.resetsAt) : usage.blockEndsAt
  const limitedUntil = later(account.limitedUntil ? new Date(account.limitedUntil) : null, usage.limitedUntil)
  const base = {
    accountId: account.id,
    blockBudgetUsd: budgets.blockUsd,
    weeklyBudgetUsd: budgets.weekUsd,
    blockCostUsd: usage.blockCostUsd,
    weekCostUsd: usage.weekCostUsd,
    blockRatio,
    weekRatio,
    blockEndsAt: blockEndsAt?.toISOString() ?? null,
    readProblem: usage.readProblem,
    basis: server.block || server.week ? ('server' as const) : ('estimate' as const),
    server: server.view,
    calibration: calibrationView(usage.server),
    login,
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
  const noLogin = loginRequired ? loginProblem(login) : null
  if (noLogin) return unavailable('logged_out', noLogin, null)
  if (limitedUntil && limitedUntil > now) return unavailable('limited', 'Claude reported its usage limit', limitedUntil)
  // What a share is of: Claude's limit ("limit"), or the budget an estimate assumes ("budget").
  const blockWord = server.block ? '5-hour limit' : '5-hour budget'
  const weekWord = server.week ? 'weekly limit' : 'weekly budget'
  if (blockRatio >= 1 || weekRatio >= 1) {
    const blockFree = blockRatio >= 1 ? blockEndsAt : null
    // When enough of the week's spend has left the window (the oldest leaving may free too little).
    const weekFree =
      weekRatio >= 1
        ? server.week
          ? server.week.resetsAt
            ? new Date(server.week.resetsAt)
            : null
          : (usage.weekUnderBudgetAt ?? usage.weekFreesAt)
        : null
    const used = (word: string) => (word.endsWith('limit') ? `${word} reached` : `${word} used`)
    const reason =
      blockRatio >= 1 && weekRatio >= 1
        ? `${used(blockWord)} and ${used(weekWord)}`
        : blockRatio >= 1
          ? used(blockWord)
          : used(weekWord)
    return unavailable('limited', reason, later(blockFree, weekFree))
  }
  const blockStart = server.block?.resetsAt ? Date.parse(server.block.resetsAt) - FIVE_HOURS : null
  const progress =
    blockStart !== null
      ? clamp((t - blockStart) / FIVE_HOURS, 0, 1)
      : usage.blockStartedAt
        ? blockProgress(blockWindowStartingAt(usage.blockStartedAt), now)
        : 0
  const blockHeadroom = 1 - blockRatio
  const effectiveBlockHeadroom = blockHeadroom + (1 - blockHeadroom) * progress * 0.5
  const score = 100 * (0.6 * effectiveBlockHeadroom + 0.4 * (1 - weekRatio)) - Math.min(30, 10 * usage.recentLimitHits)
  const near = blockRatio >= settings.nearLimitRatio || weekRatio >= settings.nearLimitRatio
  return standing({
    status: near ? 'near_limit' : 'available',
    available: true,
    reason: near ? `near its ${blockRatio >= settings.nearLimitRatio ? blockWord : weekWord}` : 'has headroom',
    blockRunsOutAt: runsOutAt(server.block, usage, budgets.blockUsd, blockEndsAt, now),
    freesAt: null,
    health: clamp(Math.round(score), 1, 100),
  })
}

/**
 * When the 5-hour window runs out at the block's burn rate: from Claude's percentage, at the account's
 * learned dollars per percent (unknown without one), or from the estimate's budget.
 */
function runsOutAt(
  block: ServerWindowView | null,
  usage: AccountUsage,
  budgetUsd: number,
  endsAt: Date | null,
  now: Date,
): string | null {
  if (!block) return blockRunsOutAt(budgetUsd, usage, now)?.toISOString() ?? null
  const dollarsPerPercent = usage.server?.calibration.fiveHour?.dollarsPerPercent
  const burn = usage.blockBurnUsdPerHour
  if (!dollarsPerPercent || !(burn > 0) || !endsAt) return null
  const at = now.getTime() + ((Math.max(0, 100 - block.percent) * dollarsPerPercent) / burn) * 3_600_000
  return at < endsAt.getTime() ? new Date(at).toISOString() : null
}
