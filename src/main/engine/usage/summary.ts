import { BLOCK_MS, groupIntoBlocks, isBlockActive } from '../blocks'
import type { AccountUsage } from '../ports'
import type { EntryTable } from './entryTable'
import type { LimitHit } from './ledger'
import { costUsd, type PriceBook } from './pricing'

const WEEK_MS = 7 * 24 * 3_600_000

export interface Tokens {
  input: number
  output: number
  cacheCreation: number
  cacheRead: number
}

export interface BlockReport {
  readonly start: string
  readonly end: string
  readonly isActive: boolean
  readonly tokens: Tokens
  readonly costUsd: number
  readonly entries: number
  readonly models: string[]
  /** Some entry was priced by its model family, not the exact model. */
  readonly estimated: boolean
  readonly firstEntryAt: string
  readonly lastEntryAt: string
}

export interface CurrentBlock extends BlockReport {
  /** Elapsed share of the 5-hour window, in [0, 1]. */
  readonly progress: number
  /** Spend per hour between the block's first and last entry (0 with a single entry). */
  readonly burnRateUsdPerHour: number
  /** Cost at the block's end if the burn rate holds. */
  readonly projectedCostUsd: number
}

export interface UsageSummary {
  readonly blocks: BlockReport[]
  readonly current: CurrentBlock | null
  readonly week: {
    readonly costUsd: number
    readonly tokens: Tokens
    readonly entries: number
    readonly freesAt: string | null
  }
  readonly daily: { readonly date: string; readonly costUsd: number; readonly tokens: Tokens }[]
  readonly limitedUntil: string | null
  readonly limitHits: { readonly at: string; readonly resetsAt: string }[]
}

const emptyTokens = (): Tokens => ({ input: 0, output: 0, cacheCreation: 0, cacheRead: 0 })

/** Local calendar date (YYYY-MM-DD) of a time, for per-day history. */
function localDate(t: number): string {
  const d = new Date(t)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** Blocks, the rolling week, per-day totals and limit state of one account's entries. */
export function summarize(
  table: EntryTable,
  limits: readonly LimitHit[],
  prices: PriceBook,
  now: number,
): UsageSummary {
  const rows = table.order.filter((row) => table.isLive(row))
  const times = rows.map((row) => table.time[row]!)
  const modelCost = table.models.map((m) => prices.priceOf(m))
  const rowCost = (row: number) =>
    costUsd(
      {
        input: table.input[row]!,
        output: table.output[row]!,
        cacheWrite5m: table.cacheWrite5m[row]!,
        cacheWrite1h: table.cacheWrite1h[row]!,
        cacheRead: table.cacheRead[row]!,
      },
      modelCost[table.model[row]!]!.price,
    )
  const addTokens = (tokens: Tokens, row: number) => {
    tokens.input += table.input[row]!
    tokens.output += table.output[row]!
    tokens.cacheCreation += table.cacheWrite5m[row]! + table.cacheWrite1h[row]!
    tokens.cacheRead += table.cacheRead[row]!
  }
  const blocks: BlockReport[] = []
  for (const group of groupIntoBlocks(times)) {
    const tokens = emptyTokens()
    let cost = 0
    let estimated = false
    const models = new Set<string>()
    for (let i = group.from; i < group.to; i++) {
      const row = rows[i]!
      addTokens(tokens, row)
      cost += rowCost(row)
      models.add(table.models[table.model[row]!]!)
      estimated ||= modelCost[table.model[row]!]!.estimated
    }
    const last = times[group.to - 1]!
    blocks.push({
      start: group.window.start.toISOString(),
      end: group.window.end.toISOString(),
      isActive: isBlockActive(group.window, new Date(last), new Date(now)),
      tokens,
      costUsd: cost,
      entries: group.to - group.from,
      models: [...models],
      estimated,
      firstEntryAt: new Date(times[group.from]!).toISOString(),
      lastEntryAt: new Date(last).toISOString(),
    })
  }
  const active = blocks.at(-1)?.isActive ? blocks.at(-1)! : null
  let current: CurrentBlock | null = null
  if (active) {
    const start = Date.parse(active.start)
    const span = (Date.parse(active.lastEntryAt) - Date.parse(active.firstEntryAt)) / 3_600_000
    const burn = span > 0 ? active.costUsd / span : 0
    const hoursLeft = Math.max(0, Date.parse(active.end) - now) / 3_600_000
    current = {
      ...active,
      progress: Math.min(1, Math.max(0, (now - start) / BLOCK_MS)),
      burnRateUsdPerHour: burn,
      projectedCostUsd: active.costUsd + burn * hoursLeft,
    }
  }
  const weekTokens = emptyTokens()
  let weekCost = 0
  let weekEntries = 0
  let oldestInWeek: number | null = null
  const daily = new Map<string, { date: string; costUsd: number; tokens: Tokens }>()
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    const t = times[i]!
    const cost = rowCost(row)
    const date = localDate(t)
    let day = daily.get(date)
    if (!day) daily.set(date, (day = { date, costUsd: 0, tokens: emptyTokens() }))
    day.costUsd += cost
    addTokens(day.tokens, row)
    if (t > now - WEEK_MS && t <= now) {
      oldestInWeek ??= t
      weekCost += cost
      weekEntries++
      addTokens(weekTokens, row)
    }
  }
  const inForce = limits.filter((l) => l.resetsAt > now).map((l) => l.resetsAt)
  return {
    blocks,
    current,
    week: {
      costUsd: weekCost,
      tokens: weekTokens,
      entries: weekEntries,
      freesAt: oldestInWeek === null ? null : new Date(oldestInWeek + WEEK_MS).toISOString(),
    },
    daily: [...daily.values()],
    limitedUntil: inForce.length ? new Date(Math.max(...inForce)).toISOString() : null,
    limitHits: limits.map((l) => ({
      at: new Date(l.time).toISOString(),
      resetsAt: new Date(l.resetsAt).toISOString(),
    })),
  }
}

/** The figures allocation and health need. */
export function accountUsageOf(summary: UsageSummary, limits: readonly LimitHit[], now: number): AccountUsage {
  return {
    blockCostUsd: summary.current?.costUsd ?? 0,
    blockStartedAt: summary.current ? new Date(summary.current.start) : null,
    blockEndsAt: summary.current ? new Date(summary.current.end) : null,
    weekCostUsd: summary.week.costUsd,
    weekFreesAt: summary.week.freesAt ? new Date(summary.week.freesAt) : null,
    limitedUntil: summary.limitedUntil ? new Date(summary.limitedUntil) : null,
    recentLimitHits: limits.filter((l) => l.time > now - WEEK_MS).length,
  }
}
