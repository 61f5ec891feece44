import { BLOCK_MS, blockWindowStartingAt, groupIntoBlocks, isBlockActive } from '../../shared/blocks'
import type { AccountUsage } from '../engine/ports'
import type { EntryTable } from './entryTable'
import type { LimitHit } from './ledger'
import type { PriceBook } from './pricing'
import type { Price } from '../../shared/schemas/pricing'
import type { BlockReport, CurrentBlock, Tokens, UsageSummary } from '../../shared/schemas/usage'

const DAY_MS = 24 * 3_600_000
const WEEK_MS = 7 * DAY_MS

export type { BlockReport, CurrentBlock, Tokens, UsageSummary } from '../../shared/schemas/usage'

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

/** A block as computed from the entries: everything but whether it is active, which depends on the time. */
export interface BlockBase extends Omit<BlockReport, 'isActive'> {
  readonly firstMs: number
  readonly lastMs: number
}

/**
 * The part of a summary that depends only on the entries, the prices and the time zone (per-day
 * totals are local dates): its blocks and days. It is kept in the index, so a restart with no new
 * lines does not walk every entry again; `summarizeAt` adds what depends on the time.
 */
export interface SummaryBase {
  /** Prices of the table's models as this base priced them: a price change makes the base stale. */
  readonly pricesKey: string
  readonly timeZone: string
  readonly blocks: readonly BlockBase[]
  readonly daily: readonly { date: string; costUsd: number; tokens: Tokens }[]
}

export function pricesKeyOf(table: EntryTable, prices: PriceBook): string {
  return JSON.stringify(table.models.map((m) => prices.priceOf(m)))
}

/**
 * What identifies the local time zone for per-day totals: its UTC offsets through the year (DST
 * included) and TZ. Not Intl.DateTimeFormat, whose first use costs ~30 ms on a restart.
 */
export function currentTimeZone(): string {
  const year = new Date().getUTCFullYear()
  const offsets = Array.from({ length: 12 }, (_, month) => new Date(Date.UTC(year, month, 1)).getTimezoneOffset())
  return `${process.env.TZ ?? ''}:${offsets.join(',')}`
}

/** True when `base` still describes the table's entries under these prices here. */
export function baseFits(base: SummaryBase | undefined, table: EntryTable, prices: PriceBook): base is SummaryBase {
  return !!base && base.pricesKey === pricesKeyOf(table, prices) && base.timeZone === currentTimeZone()
}

/** The first position in `order` (rows sorted by time) whose time is `ms` or later. */
function firstAtOrAfter(order: Uint32Array, time: Float64Array, ms: number): number {
  let lo = 0
  let hi = order.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (time[order[mid]!]! < ms) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Blocks and per-day totals of one account's live entries. Given the base computed before the latest
 * changes (`previous`, for the same prices and time zone), only what those changes can touch is done
 * again: every row that changed since then lies at or after `table.changedFrom`, so the blocks before
 * the last one that began earlier stay as they were (grouping from that block's first entry, which did
 * not change, goes exactly as grouping from the start does), and so do the days before the day ahead of
 * it (rows are taken from two days earlier, each counted on its own date: time zone shifts are hours).
 * A live session appends at the end: its next line costs the last block and the last days, not a pass
 * over the account's whole history.
 */
export function summaryBase(table: EntryTable, prices: PriceBook, previous?: SummaryBase): SummaryBase {
  const pricesKey = pricesKeyOf(table, prices)
  const timeZone = currentTimeZone()
  let k = previous && previous.pricesKey === pricesKey && previous.timeZone === timeZone ? previous.blocks.length : 0
  while (k > 0 && !(previous!.blocks[k - 1]!.firstMs < table.changedFrom)) k--
  // k > 0: blocks[k - 1] began before every change; it is grouped again, the ones before it are kept.
  const blocksFromMs = k > 0 ? previous!.blocks[k - 1]!.firstMs : -Infinity
  const dayCut = k > 0 ? localDate(blocksFromMs - DAY_MS) : ''
  const order = table.order
  const live = order.subarray(firstAtOrAfter(order, table.time, blocksFromMs - 2 * DAY_MS))
  const n = live.length
  const times = new Float64Array(n)
  const costs = new Float64Array(n)
  const modelPrices = table.models.map((m) => prices.priceOf(m))
  for (let i = 0; i < n; i++) {
    const row = live[i]!
    times[i] = table.time[row]!
    costs[i] = rowCostUsd(table, row, modelPrices[table.model[row]!]!.price)
  }
  const blocks: BlockBase[] = k > 0 ? previous!.blocks.slice(0, k - 1) : []
  const grouped = firstAtOrAfter(live, table.time, blocksFromMs)
  for (const group of groupIntoBlocks(times.subarray(grouped))) {
    const from = grouped + group.from
    const to = grouped + group.to
    const tokens = emptyTokens()
    let cost = 0
    let estimated = false
    const models = new Set<number>()
    for (let i = from; i < to; i++) {
      const row = live[i]!
      addRowTokens(tokens, table, row)
      cost += costs[i]!
      models.add(table.model[row]!)
    }
    for (const m of models) estimated ||= modelPrices[m]!.estimated
    const firstMs = times[from]!
    const lastMs = times[to - 1]!
    blocks.push({
      start: group.window.start.toISOString(),
      end: group.window.end.toISOString(),
      tokens,
      costUsd: cost,
      entries: to - from,
      models: [...models].map((m) => table.models[m]!),
      estimated,
      firstEntryAt: new Date(firstMs).toISOString(),
      lastEntryAt: new Date(lastMs).toISOString(),
      firstMs,
      lastMs,
    })
  }
  const daily = new Map<string, { date: string; costUsd: number; tokens: Tokens }>()
  for (const day of k > 0 ? previous!.daily : []) if (day.date < dayCut) daily.set(day.date, day)
  for (let i = 0; i < n; i++) {
    const date = localDate(times[i]!)
    if (date < dayCut) continue // kept above
    let day = daily.get(date)
    if (!day) daily.set(date, (day = { date, costUsd: 0, tokens: emptyTokens() }))
    day.costUsd += costs[i]!
    addRowTokens(day.tokens, table, live[i]!)
  }
  return { pricesKey, timeZone, blocks, daily: [...daily.values()] }
}

/** The rolling week before `now`: whole blocks inside it by their totals, the rest entry by entry. */
function weekOf(base: SummaryBase, table: EntryTable, prices: PriceBook, now: number): UsageSummary['week'] {
  const from = now - WEEK_MS
  const tokens = emptyTokens()
  let costUsd = 0
  let entries = 0
  let oldest: number | null = null
  const add = (part: { costUsd: number; entries: number; tokens: Tokens }, first: number | null) => {
    oldest ??= first
    costUsd += part.costUsd
    entries += part.entries
    tokens.input += part.tokens.input
    tokens.output += part.tokens.output
    tokens.cacheCreation += part.tokens.cacheCreation
    tokens.cacheRead += part.tokens.cacheRead
  }
  for (const block of base.blocks) {
    if (block.lastMs <= from || block.firstMs > now) continue
    if (block.firstMs > from && block.lastMs <= now) add(block, block.firstMs)
    else {
      // A block across either edge of the week: its entries are exactly those timed within it.
      const part = totalsBetween(
        table,
        prices,
        null,
        Math.max(block.firstMs, from + 1),
        Math.min(block.lastMs, now) + 1,
      )
      if (part.entries > 0) add(part, part.firstMs)
    }
  }
  return { costUsd, tokens, entries, freesAt: oldest === null ? null : new Date(oldest + WEEK_MS).toISOString() }
}

/** The summary at `now` from a base that fits the entries (see `baseFits`). */
/** Nothing used for this long: the block is not burning. */
const IDLE_MS = 15 * 60_000
/** The shortest time a burn rate is averaged over (one response alone is no rate). */
const BURN_MIN_MS = 5 * 60_000

export function summarizeAt(
  base: SummaryBase,
  table: EntryTable,
  limits: readonly LimitHit[],
  prices: PriceBook,
  now: number,
): UsageSummary {
  const blocks: BlockReport[] = base.blocks.map(({ firstMs, lastMs, ...block }) => ({
    ...block,
    isActive: isBlockActive(blockWindowStartingAt(new Date(firstMs)), new Date(lastMs), new Date(now)),
  }))
  const active = blocks.at(-1)?.isActive ? blocks.at(-1)! : null
  let current: CurrentBlock | null = null
  if (active) {
    const start = Date.parse(active.start)
    // Spend per hour since the block's first entry, up to now: it falls while nothing is used, and once
    // nothing has been used for a while there is no burn to project (a burst then a pause ran out a
    // minute ahead of now, forever).
    const hours = Math.max(now - Date.parse(active.firstEntryAt), BURN_MIN_MS) / 3_600_000
    const burn = now - Date.parse(active.lastEntryAt) > IDLE_MS ? 0 : active.costUsd / hours
    const hoursLeft = Math.max(0, Date.parse(active.end) - now) / 3_600_000
    current = {
      ...active,
      progress: Math.min(1, Math.max(0, (now - start) / BLOCK_MS)),
      burnRateUsdPerHour: burn,
      projectedCostUsd: active.costUsd + burn * hoursLeft,
    }
  }
  const inForce = limits.filter((l) => l.resetsAt > now).map((l) => l.resetsAt)
  return {
    blocks,
    current,
    week: weekOf(base, table, prices, now),
    daily: base.daily.map((d) => ({ ...d, tokens: { ...d.tokens } })),
    limitedUntil: inForce.length ? new Date(Math.max(...inForce)).toISOString() : null,
    limitHits: limits.map((l) => ({
      at: new Date(l.time).toISOString(),
      resetsAt: new Date(l.resetsAt).toISOString(),
    })),
  }
}

/** Blocks, the rolling week, per-day totals and limit state of one account's entries. */
export function summarize(
  table: EntryTable,
  limits: readonly LimitHit[],
  prices: PriceBook,
  now: number,
): UsageSummary {
  return summarizeAt(summaryBase(table, prices), table, limits, prices, now)
}

/**
 * When the rolling week's spend (`weekCostUsd`: the entries in (now − 7 days, now]) falls under
 * `budgetUsd` if nothing new is used: the moment enough of it has left the window, entry by entry in
 * time order (an entry leaves 7 days after its time). Null when it is under already.
 */
export function weekUnderBudgetAt(
  table: EntryTable,
  prices: PriceBook,
  now: number,
  weekCostUsd: number,
  budgetUsd: number,
): number | null {
  if (weekCostUsd < budgetUsd) return null
  const order = table.order
  let remaining = weekCostUsd
  let at: number | null = null
  for (let i = firstAtOrAfter(order, table.time, now - WEEK_MS + 1); i < order.length; i++) {
    const row = order[i]!
    if (table.time[row]! > now) break
    remaining -= rowCostUsd(table, row, prices.priceOf(table.models[table.model[row]!]!).price)
    at = table.time[row]! + WEEK_MS
    if (remaining < budgetUsd) return at
  }
  return at // rounding left a hair over: by then every entry has left
}

/** The figures allocation and health need; `weekUnderBudgetAt` as computed for the account's budget. */
export function accountUsageOf(
  summary: UsageSummary,
  limits: readonly LimitHit[],
  now: number,
  underBudgetAt: number | null = null,
): AccountUsage {
  return {
    blockCostUsd: summary.current?.costUsd ?? 0,
    blockStartedAt: summary.current ? new Date(summary.current.start) : null,
    blockEndsAt: summary.current ? new Date(summary.current.end) : null,
    weekCostUsd: summary.week.costUsd,
    weekFreesAt: summary.week.freesAt ? new Date(summary.week.freesAt) : null,
    weekUnderBudgetAt: underBudgetAt === null ? null : new Date(underBudgetAt),
    limitedUntil: summary.limitedUntil ? new Date(summary.limitedUntil) : null,
    recentLimitHits: limits.filter((l) => l.time > now - WEEK_MS).length,
    blockBurnUsdPerHour: summary.current?.burnRateUsdPerHour ?? 0,
    readProblem: null,
    server: null,
  }
}

/** Tokens and cost of the entries in [from, to) of one folder (a launched session's share of the ledger). */
export function totalsBetween(
  table: EntryTable,
  prices: PriceBook,
  cwd: string | null,
  from: number,
  to: number,
): { tokens: Tokens; costUsd: number; entries: number; firstMs: number | null } {
  const order = table.order
  const tokens = emptyTokens()
  let costUsd = 0
  let entries = 0
  let firstMs: number | null = null
  for (let i = firstAtOrAfter(order, table.time, from); i < order.length; i++) {
    const row = order[i]!
    if (table.time[row]! >= to) break
    if (cwd !== null && table.sessions[table.session[row]!]?.cwd !== cwd) continue
    firstMs ??= table.time[row]!
    addRowTokens(tokens, table, row)
    costUsd += rowCostUsd(table, row, prices.priceOf(table.models[table.model[row]!]!).price)
    entries++
  }
  return { tokens, costUsd, entries, firstMs }
}
