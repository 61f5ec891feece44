import { BLOCK_MS, groupIntoBlocks, isBlockActive } from '../blocks'
import type { AccountUsage } from '../ports'
import type { EntryTable } from './entryTable'
import type { LimitHit } from './ledger'
import type { PriceBook } from './pricing'
import type { Price } from '../../../shared/schemas/pricing'
import type { BlockReport, CurrentBlock, Tokens, UsageSummary } from '../../../shared/schemas/usage'

const WEEK_MS = 7 * 24 * 3_600_000

export type { BlockReport, CurrentBlock, Tokens, UsageSummary } from '../../../shared/schemas/usage'

/** One row's cost: the columnar twin of pricing.ts's costUsd, without building an object per row. */
function rowCostUsd(table: EntryTable, row: number, price: Price): number {
  return (
    (table.input[row]! * price.input +
      table.cacheWrite5m[row]! * price.cacheWrite5m +
      table.cacheWrite1h[row]! * price.cacheWrite1h +
      table.cacheRead[row]! * price.cacheRead +
      table.output[row]! * price.output) /
    1_000_000
  )
}

function addRowTokens(tokens: Tokens, table: EntryTable, row: number): void {
  tokens.input += table.input[row]!
  tokens.output += table.output[row]!
  tokens.cacheCreation += table.cacheWrite5m[row]! + table.cacheWrite1h[row]!
  tokens.cacheRead += table.cacheRead[row]!
}

const emptyTokens = (): Tokens => ({ input: 0, output: 0, cacheCreation: 0, cacheRead: 0 })

/** Local calendar date (YYYY-MM-DD) of a time, for per-day history; memoised per hour (time zones shift by whole quarter hours at most, so per quarter hour). */
const dateByQuarterHour = new Map<number, string>()
function localDate(t: number): string {
  const quarter = Math.floor(t / 900_000)
  let date = dateByQuarterHour.get(quarter)
  if (date === undefined) {
    const d = new Date(quarter * 900_000)
    date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
    if (dateByQuarterHour.size > 100_000) dateByQuarterHour.clear()
    dateByQuarterHour.set(quarter, date)
  }
  return date
}

/** Blocks, the rolling week, per-day totals and limit state of one account's entries. */
export function summarize(
  table: EntryTable,
  limits: readonly LimitHit[],
  prices: PriceBook,
  now: number,
): UsageSummary {
  const live = table.order.filter((row) => table.isLive(row))
  const n = live.length
  const rows = Uint32Array.from(live)
  const times = new Float64Array(n)
  const costs = new Float64Array(n)
  const modelPrices = table.models.map((m) => prices.priceOf(m))
  for (let i = 0; i < n; i++) {
    const row = rows[i]!
    const price = modelPrices[table.model[row]!]!.price
    times[i] = table.time[row]!
    costs[i] = rowCostUsd(table, row, price)
  }
  const addTokens = (tokens: Tokens, row: number) => addRowTokens(tokens, table, row)
  const blocks: BlockReport[] = []
  for (const group of groupIntoBlocks(times)) {
    const tokens = emptyTokens()
    let cost = 0
    let estimated = false
    const models = new Set<number>()
    for (let i = group.from; i < group.to; i++) {
      const row = rows[i]!
      addTokens(tokens, row)
      cost += costs[i]!
      models.add(table.model[row]!)
    }
    for (const m of models) estimated ||= modelPrices[m]!.estimated
    const last = times[group.to - 1]!
    blocks.push({
      start: group.window.start.toISOString(),
      end: group.window.end.toISOString(),
      isActive: isBlockActive(group.window, new Date(last), new Date(now)),
      tokens,
      costUsd: cost,
      entries: group.to - group.from,
      models: [...models].map((m) => table.models[m]!),
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
  for (let i = 0; i < n; i++) {
    const row = rows[i]!
    const t = times[i]!
    const date = localDate(t)
    let day = daily.get(date)
    if (!day) daily.set(date, (day = { date, costUsd: 0, tokens: emptyTokens() }))
    day.costUsd += costs[i]!
    addTokens(day.tokens, row)
    if (t > now - WEEK_MS && t <= now) {
      oldestInWeek ??= t
      weekCost += costs[i]!
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
    blockBurnUsdPerHour: summary.current?.burnRateUsdPerHour ?? 0,
  }
}

/** Tokens and cost of the entries in [from, to) of one folder (a launched session's share of the ledger). */
export function totalsBetween(
  table: EntryTable,
  prices: PriceBook,
  cwd: string | null,
  from: number,
  to: number,
): { tokens: Tokens; costUsd: number; entries: number } {
  const order = table.order
  let lo = 0
  let hi = order.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (table.time[order[mid]!]! < from) lo = mid + 1
    else hi = mid
  }
  const tokens = emptyTokens()
  let costUsd = 0
  let entries = 0
  for (let i = lo; i < order.length; i++) {
    const row = order[i]!
    if (table.time[row]! >= to) break
    if (!table.isLive(row) || (cwd !== null && table.sessions[table.session[row]!]?.cwd !== cwd)) continue
    addRowTokens(tokens, table, row)
    costUsd += rowCostUsd(table, row, prices.priceOf(table.models[table.model[row]!]!).price)
    entries++
  }
  return { tokens, costUsd, entries }
}
