import { describe, expect, it } from 'vitest'
import {
  BLOCK_MS,
  blockProgress,
  blockWindowOf,
  blockWindowStartingAt,
  groupIntoBlocks,
  isBlockActive,
  timeToReset,
} from './blocks'

const t = (iso: string) => Date.parse(iso)

describe('5-hour blocks', () => {
  it('starts at the first entry floored to the UTC hour and lasts five hours', () => {
    const w = blockWindowStartingAt(new Date('2026-11-27T09:47:12.345Z'))
    expect(w.start.toISOString()).toBe('2026-11-27T09:00:00.000Z')
    expect(w.end.toISOString()).toBe('2026-11-27T14:00:00.000Z')
    expect(blockWindowOf(w.id)).toEqual(w)
  })

  it('keeps progress in [0, 1] when the wall clock jumps backwards or forwards', () => {
    const w = blockWindowStartingAt(new Date('2026-11-27T09:00:00Z'))
    expect(blockProgress(w, new Date('2026-11-27T11:30:00Z'))).toBeCloseTo(0.5)
    expect(blockProgress(w, new Date('2020-01-01T00:00:00Z'))).toBe(0)
    expect(blockProgress(w, new Date('2030-01-01T00:00:00Z'))).toBe(1)
    expect(blockProgress(w, new Date(Number.NaN))).toBe(0)
    expect(timeToReset(w, new Date('2020-01-01T00:00:00Z'))).toBe(BLOCK_MS)
    expect(timeToReset(w, new Date('2030-01-01T00:00:00Z'))).toBe(0)
  })

  it('starts a new block past the block end or after a gap over five hours', () => {
    const times = [
      t('2026-11-27T09:10:00Z'),
      t('2026-11-27T13:59:00Z'), // same block (start 09:00, ends 14:00)
      t('2026-11-27T14:01:00Z'), // past the end: new block at 14:00
      t('2026-11-27T19:01:01Z'), // > 5 h after the previous entry: new block at 19:00
      t('2026-11-27T19:30:00Z'),
    ]
    const blocks = groupIntoBlocks(times)
    expect(blocks.map((b) => [b.window.start.toISOString(), b.from, b.to])).toEqual([
      ['2026-11-27T09:00:00.000Z', 0, 2],
      ['2026-11-27T14:00:00.000Z', 2, 3],
      ['2026-11-27T19:00:00.000Z', 3, 5],
    ])
  })

  it('is active only before its end and while the last entry is under five hours old', () => {
    const w = blockWindowStartingAt(new Date('2026-11-27T09:00:00Z'))
    expect(isBlockActive(w, new Date('2026-11-27T09:30:00Z'), new Date('2026-11-27T13:00:00Z'))).toBe(true)
    expect(isBlockActive(w, new Date('2026-11-27T09:30:00Z'), new Date('2026-11-27T14:00:00Z'))).toBe(false)
  })
})
