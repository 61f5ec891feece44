import type { CalibratedWindow, Calibration, ServerFigures } from '../../shared/serverWindows'
import type { EntryTable } from './entryTable'
import type { PriceBook } from './pricing'
import type { ServerUsageRecord } from './serverUsageFile'
import { totalsBetween } from './summary'

// Claude's percentages beside this machine's transcripts: what happened since each observation, and how
// many dollars of transcript cost make a percent on this account (learned from pairs of the two).

const WINDOW_MS: Record<CalibratedWindow, number> = { fiveHour: 5 * 3_600_000, sevenDay: 7 * 24 * 3_600_000 }
/** Percentages under this say too little about the ratio (a 1 % reading is mostly rounding). */
const MIN_PERCENT = 5
/** The running mean forgets older samples past this many, so the ratio follows Anthropic's changes. */
const MAX_SAMPLES = 20

const cost = (table: EntryTable, prices: PriceBook, from: number, to: number) =>
  to > from ? totalsBetween(table, prices, null, from, to).costUsd : 0

/** The record's figures for the engine, with the local cost since each window's observation (or its reset). */
export function serverFiguresOf(
  record: ServerUsageRecord,
  table: EntryTable,
  prices: PriceBook,
  now: number,
): ServerFigures | null {
  const { windows } = record
  if (!Object.keys(windows).length && !Object.keys(record.calibration).length && !record.poll?.lastError) return null
  const costSinceUsd: Partial<Record<CalibratedWindow, number>> = {}
  for (const name of ['fiveHour', 'sevenDay'] as const) {
    const w = windows[name]
    if (!w) continue
    // A window that has reset since starts again from zero: only what came after the reset counts.
    const from = w.resetsAt !== null && w.resetsAt <= now ? Math.max(w.observedAt, w.resetsAt) : w.observedAt
    costSinceUsd[name] = cost(table, prices, from, now)
  }
  return { windows, calibration: record.calibration, problem: record.poll?.lastError ?? null, costSinceUsd }
}

/**
 * New calibration from observations not learned from yet: the transcripts' cost in the observed window
 * (from its start to the observation) over the percentage Claude reported. Undefined when nothing new.
 */
export function learnCalibration(
  record: ServerUsageRecord,
  table: EntryTable,
  prices: PriceBook,
): Partial<Record<CalibratedWindow, Calibration>> | undefined {
  let learned: Partial<Record<CalibratedWindow, Calibration>> | undefined
  for (const name of ['fiveHour', 'sevenDay'] as const) {
    const w = record.windows[name]
    const known = record.calibration[name]
    if (!w || w.resetsAt === null || w.percent < MIN_PERCENT || (known && known.lastObservedAt >= w.observedAt))
      continue
    const spent = cost(table, prices, w.resetsAt - WINDOW_MS[name], w.observedAt + 1)
    if (!(spent > 0)) continue
    const sample = spent / w.percent
    const samples = Math.min((known?.samples ?? 0) + 1, MAX_SAMPLES)
    const before = known?.dollarsPerPercent ?? sample
    learned = {
      ...learned,
      [name]: { dollarsPerPercent: before + (sample - before) / samples, samples, lastObservedAt: w.observedAt },
    }
  }
  return learned
}
