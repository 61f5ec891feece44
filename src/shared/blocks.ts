/** Claude's usage windows last five hours. */
export const BLOCK_MS = 5 * 60 * 60 * 1000
const HOUR_MS = 60 * 60 * 1000

declare const blockIdBrand: unique symbol
/** Opaque id of a 5-hour block; only this module makes or reads one. */
export type BlockId = string & { readonly [blockIdBrand]: true }

export interface BlockWindow {
  readonly id: BlockId
  readonly start: Date
  readonly end: Date
}

/** A block starts at its first entry's time floored to the UTC hour. */
export function blockWindowStartingAt(firstEntry: Date): BlockWindow {
  const start = Math.floor(firstEntry.getTime() / HOUR_MS) * HOUR_MS
  return { id: `block-${start}` as BlockId, start: new Date(start), end: new Date(start + BLOCK_MS) }
}

export function blockWindowOf(id: BlockId): BlockWindow {
  const start = Number(id.slice('block-'.length))
  return { id, start: new Date(start), end: new Date(start + BLOCK_MS) }
}

/** Elapsed share of the window, in [0, 1] whatever the wall clock does (a jump back gives 0, forward 1). */
export function blockProgress(window: BlockWindow, now: Date): number {
  const elapsed = (now.getTime() - window.start.getTime()) / BLOCK_MS
  if (!Number.isFinite(elapsed) || elapsed <= 0) return 0
  return elapsed >= 1 ? 1 : elapsed
}

/** Milliseconds until the window ends, in [0, BLOCK_MS]. */
export function timeToReset(window: BlockWindow, now: Date): number {
  const left = window.end.getTime() - now.getTime()
  if (!Number.isFinite(left) || left <= 0) return 0
  return Math.min(left, BLOCK_MS)
}

/**
 * Groups time-sorted timestamps into 5-hour blocks as the established tools do: a new block starts
 * when an entry lies at or past the block's end, or more than five hours after the previous entry.
 * Returns, per block, its window and the index range [from, to) of its entries.
 */
export function groupIntoBlocks(times: ArrayLike<number>): { window: BlockWindow; from: number; to: number }[] {
  const out: { window: BlockWindow; from: number; to: number }[] = []
  let current: { window: BlockWindow; from: number; to: number } | undefined
  let previous = -Infinity
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!
    if (!current || t - current.window.start.getTime() > BLOCK_MS || t - previous > BLOCK_MS) {
      current = { window: blockWindowStartingAt(new Date(t)), from: i, to: i + 1 }
      out.push(current)
    } else current.to = i + 1
    previous = t
  }
  return out
}

/** A block counts as active while now is before its end and its last entry is under five hours old. */
export function isBlockActive(window: BlockWindow, lastEntry: Date, now: Date): boolean {
  return now.getTime() < window.end.getTime() && now.getTime() - lastEntry.getTime() < BLOCK_MS
}
