import { closeSync, openSync, readSync } from 'node:fs'

const CHUNK = 4 * 1024 * 1024
/** A line longer than this is skipped (counted), never held whole in memory. */
export const MAX_LINE = 64 * 1024 * 1024
const NEWLINE = 10
const USAGE = Buffer.from('"usage"')
const LIMIT = Buffer.from('usage limit reached')
const USER_TYPE = Buffer.from('"type":"user"')

export interface ReadResult {
  /** Byte offset just after the last line consumed; a partial last line is left for next time. */
  readonly offset: number
  readonly bytesRead: number
  readonly oversized: number
}

/** One reusable read buffer per reader; grows only for a long line that might carry usage. */
export class LineReader {
  private buffer = Buffer.allocUnsafe(CHUNK)

  /**
   * Calls `onLine` with the bytes (a view, valid during the call) of every complete line from `offset` to `size` that could carry usage
   * (the rest are skipped on their bytes, without decoding). A last line with no newline is offered with
   * `final = true` and consumed only if `onLine` returns true (it parsed: the writer had finished it).
   */
  read(
    path: string,
    offset: number,
    size: number,
    onLine: (line: Buffer, final: boolean) => boolean | void,
  ): ReadResult {
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
        let start = 0
        for (;;) {
          const newline = this.buffer.indexOf(NEWLINE, start)
          if (newline === -1 || newline >= filled) break
          if (skippingLongLine) skippingLongLine = false
          else if (newline > start) this.offer(start, newline, onLine, false)
          consumed += newline + 1 - start
          start = newline + 1
        }
        // Keep the unfinished line at the front of the buffer.
        if (start > 0) this.buffer.copy(this.buffer, 0, start, filled)
        filled -= start
        if (eof) {
          if (filled > 0 && !skippingLongLine && this.offer(0, filled, onLine, true)) consumed += filled
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
      if (this.buffer.length > CHUNK) this.buffer = Buffer.allocUnsafe(CHUNK)
    }
    // A long line still being skipped at EOF is not finished: resume from where it started next time.
    return { offset: skippingLongLine ? skipStart : consumed, bytesRead: position - offset, oversized }
  }

  private offer(
    start: number,
    end: number,
    onLine: (line: Buffer, final: boolean) => boolean | void,
    final: boolean,
  ): boolean {
    const line = this.buffer.subarray(start, end)
    if (line.indexOf(USAGE) === -1 && line.indexOf(LIMIT) === -1) return !final || isCompleteJson(line)
    return onLine(line, final) === true || !final
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
