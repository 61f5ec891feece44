import { closeSync, openSync, readSync } from 'node:fs'

const CHUNK = 4 * 1024 * 1024
/** A line longer than this is skipped (counted), never held whole in memory. */
export const MAX_LINE = 64 * 1024 * 1024
const NEWLINE = 10
const USAGE = Buffer.from('"usage"')
const WORD = Buffer.from('usage')
const QUOTE = 34
const LIMIT = Buffer.from('usage limit reached')
const USER_TYPE = Buffer.from('"type":"user"')

export interface ReadResult {
  /** Byte offset just after the last line consumed; a partial last line is left for next time. */
  readonly offset: number
  readonly bytesRead: number
  readonly oversized: number
}

/**
 * A line is `bytes[start, end)` (the reader's buffer: valid during the call; no view is made per line).
 * `usageAt`: where the line's last `"usage"` (quotes included) starts in `bytes`, when the reader found
 * it while looking for markers (the parser then need not search for it again); -1 otherwise.
 */
export type LineHandler = (
  bytes: Buffer,
  start: number,
  end: number,
  final: boolean,
  mentionsLimit: boolean,
  usageAt: number,
) => boolean | void

/** One reusable read buffer per reader; grows only for a long line that might carry usage. */
export class LineReader {
  /** The usual buffer, kept for reuse after a long line needed a bigger one (fresh memory is dear). */
  private readonly chunk = Buffer.allocUnsafe(CHUNK)
  private buffer = this.chunk

  /**
   * Calls `onLine` with the bytes (valid during the call) of every complete line from `offset` to
   * `size` that could carry usage: one that mentions `"usage"` or the limit text. Lines are not split one
   * by one: the buffer is searched for those two markers and only the lines around a hit are cut out, so
   * the bulk of a transcript (user lines, tool output) is passed over at memory-search speed.
   * `mentionsLimit` tells the parser whether the limit text occurs in the line (it need not look again).
   * A last line with no newline is offered with `final = true` and consumed only if `onLine` returns true
   * (it parsed: the writer had finished it).
   */
  read(path: string, offset: number, size: number, onLine: LineHandler): ReadResult {
    const fd = openSync(path, 'r')
    let position = offset
    let filled = 0 // bytes of buffer holding data not yet consumed
    let consumed = offset
    let oversized = 0
    let skippingLongLine = false
    let skipStart = 0
    try {
      while (position < size || filled > 0) {
        const want = Math.min(this.buffer.length - filled, size - position)
        const n = want > 0 ? readSync(fd, this.buffer, filled, want, position) : 0
        position += n
        filled += n
        const eof = position >= size || n === 0
        const data = this.buffer.subarray(0, filled)
        let from = 0
        if (skippingLongLine) {
          const newline = data.indexOf(NEWLINE)
          if (newline !== -1) {
            skippingLongLine = false
            from = newline + 1
          } else from = filled
        }
        const lastNewline = from < filled ? data.lastIndexOf(NEWLINE) : -1
        if (lastNewline >= from) {
          this.offerLines(data.subarray(0, lastNewline + 1), from, onLine)
          from = lastNewline + 1
        }
        consumed += from
        // Keep the unfinished line at the front of the buffer.
        if (from > 0) this.buffer.copy(this.buffer, 0, from, filled)
        filled -= from
        if (eof) {
          if (filled > 0 && !skippingLongLine && this.offerLast(filled, onLine)) consumed += filled
          break
        }
        if (filled === this.buffer.length) {
          // A line longer than the buffer. User lines (huge tool results) are skipped on their bytes;
          // others may carry usage after their content, so the buffer grows up to MAX_LINE.
          const head = this.buffer.subarray(0, filled)
          if (skippingLongLine || head.indexOf(USER_TYPE) !== -1 || this.buffer.length >= MAX_LINE) {
            if (!skippingLongLine) {
              if (this.buffer.length >= MAX_LINE) oversized++
              skipStart = consumed
            }
            skippingLongLine = true
            consumed += filled
            filled = 0
          } else {
            const bigger = Buffer.allocUnsafe(Math.min(MAX_LINE, this.buffer.length * 2))
            this.buffer.copy(bigger, 0, 0, filled)
            this.buffer = bigger
          }
        }
      }
    } finally {
      closeSync(fd)
      this.buffer = this.chunk
    }
    // A long line still being skipped at EOF is not finished: resume from where it started next time.
    return { offset: skippingLongLine ? skipStart : consumed, bytesRead: position - offset, oversized }
  }

  /**
   * Offers the lines of `region` (which ends with a newline) from `from` on that hold a marker. One
   * search for `usage` finds both markers (`"usage"` and the limit text); other mentions are passed over.
   */
  private offerLines(region: Buffer, from: number, onLine: LineHandler): void {
    let hit = region.indexOf(WORD, from)
    while (hit !== -1) {
      const first = hit
      const end = region.indexOf(NEWLINE, hit)
      let usage = false
      let lastUsage = -1
      let mentionsLimit = false
      for (; hit !== -1 && hit < end; hit = region.indexOf(WORD, hit + WORD.length)) {
        if (region[hit - 1] === QUOTE && region[hit + WORD.length] === QUOTE) {
          usage = true
          lastUsage = hit - 1
        } else if (
          !mentionsLimit &&
          hit + LIMIT.length <= end &&
          region.compare(LIMIT, 0, LIMIT.length, hit, hit + LIMIT.length) === 0
        )
          mentionsLimit = true
        if (usage && mentionsLimit) {
          hit = region.indexOf(WORD, end + 1)
          break
        }
      }
      if (!usage && !mentionsLimit) continue
      const start = first === 0 ? 0 : Math.max(from, region.lastIndexOf(NEWLINE, first - 1) + 1)
      onLine(region, start, end, false, mentionsLimit, lastUsage >= start ? lastUsage : -1)
    }
  }

  /** The last line of the file, without a newline (perhaps still being written). */
  private offerLast(length: number, onLine: LineHandler): boolean {
    const line = this.buffer.subarray(0, length)
    const mentionsLimit = line.indexOf(LIMIT) !== -1
    if (line.indexOf(USAGE) === -1 && !mentionsLimit) return isCompleteJson(line)
    return onLine(this.buffer, 0, length, true, mentionsLimit, -1) === true
  }
}

/** For a skipped last line without newline: consume it only if it is a whole JSON value already. */
function isCompleteJson(line: Buffer): boolean {
  try {
    JSON.parse(line.toString('utf8'))
    return true
  } catch {
    return false
  }
}
