import type { UsageEntry, UsageFields } from './entryTable'
import { bytesAre, digitsAt, stringAt, stringEnd, valueEnd } from './jsonBytes'

/** What one transcript line means for usage. */
export type TranscriptLine =
  | (UsageFields & {
      readonly kind: 'usage'
      /**
       * `message.id`, `:`, `requestId` (empty when missing), each as JSON.stringify writes it; null when
       * the message id is missing (then the line is never deduplicated).
       */
      readonly key: string | null
      /** Set on the synthetic line Claude Code writes when the account hit its limit. */
      readonly limitResetsAt: number | null
    })
  | { readonly kind: 'limit'; readonly time: number; readonly resetsAt: number }
  | { readonly kind: 'other' }
  | { readonly kind: 'invalid'; readonly reason: string }

/** Older Claude Code versions wrote the reset time into the text itself. */
const LIMIT_TEXT = /Claude AI usage limit reached\|(\d{9,11})/

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined

function limitResetIn(content: unknown): number | undefined {
  const items = Array.isArray(content) ? content : [content]
  for (const item of items) {
    const text =
      typeof item === 'string' ? item : isRecord(item) && typeof item.text === 'string' ? item.text : undefined
    const match = text ? LIMIT_TEXT.exec(text) : null
    if (match) return Number(match[1]) * 1000
  }
  return undefined
}

/**
 * What one line holds for usage, filled in place by `readTranscriptLine`: one record per reader, reused
 * from line to line (the ledger is done with it before the next line), so reading a line makes no object.
 */
export class LineRecord implements UsageEntry {
  kind: TranscriptLine['kind'] = 'other'
  /** Why an invalid line is invalid. */
  reason = ''
  time = 0
  model = ''
  sidechain = false
  input = 0
  output = 0
  cacheWrite5m = 0
  cacheWrite1h = 0
  cacheRead = 0
  sessionId: string | null = null
  cwd: string | null = null
  /** When the line announces a usage limit, the time it resets (ms); NaN otherwise. */
  limitResetsAt = Number.NaN
  /**
   * The dedupe key is `key[0, keyLength)`: `message.id`, `:`, `requestId` (empty when there is none),
   * each spelled as JSON.stringify writes it (so one key has one spelling whatever escapes a line used).
   * keyLength is 0 when there is no message id (such a line is never deduplicated).
   */
  key = Buffer.alloc(128)
  keyLength = 0
}

/** The record as a plain value (tests and one-off callers; the ledger reads the record itself). */
function lineOf(r: LineRecord): TranscriptLine {
  switch (r.kind) {
    case 'usage':
      return {
        kind: 'usage',
        key: r.keyLength > 0 ? r.key.toString('utf8', 0, r.keyLength) : null,
        time: r.time,
        model: r.model,
        sidechain: r.sidechain,
        input: r.input,
        output: r.output,
        cacheWrite5m: r.cacheWrite5m,
        cacheWrite1h: r.cacheWrite1h,
        cacheRead: r.cacheRead,
        sessionId: r.sessionId,
        cwd: r.cwd,
        limitResetsAt: Number.isNaN(r.limitResetsAt) ? null : r.limitResetsAt,
      }
    case 'limit':
      return { kind: 'limit', time: r.time, resetsAt: r.limitResetsAt }
    case 'invalid':
      return { kind: 'invalid', reason: r.reason }
    default:
      return { kind: 'other' }
  }
}

/** The fields of one line, as the full parse found them. */
interface Fields {
  readonly timestamp: unknown
  readonly model: unknown
  readonly messageId: unknown
  readonly requestId: unknown
  readonly sidechain: boolean
  readonly sessionId: unknown
  readonly cwd: unknown
  readonly usage: unknown
  readonly limitResetsAt: number | undefined
}

/**
 * Parses one line of a Claude Code transcript: the fast path where the layout is the known one, else
 * JSON.parse. `mentionsLimit` says whether the limit text occurs in the line, when the caller knows;
 * `usageAt`, where the line's last `"usage"` starts, when the caller found it (the line reader does).
 */
export function parseTranscriptLine(line: string | Buffer, mentionsLimit?: boolean, usageAt?: number): TranscriptLine {
  const bytes = typeof line === 'string' ? Buffer.from(line) : line
  return lineOf(readTranscriptLine(bytes, 0, bytes.length, new LineRecord(), mentionsLimit, usageAt ?? -1))
}

/**
 * Reads the line `bytes[start, end)` into `out` (and returns it): the fast path where the layout is the
 * known one, else JSON.parse. `usageAt` (-1: unknown) is where the line's last `"usage"` starts.
 */
export function readTranscriptLine(
  bytes: Buffer,
  start: number,
  end: number,
  out: LineRecord,
  mentionsLimit?: boolean,
  usageAt = -1,
): LineRecord {
  const limit = mentionsLimit ?? bytes.subarray(start, end).indexOf(LIMIT_TEXT_BYTES) !== -1
  if (!limit && parseFast(bytes, out, start, end, usageAt)) return out
  return fullInto(bytes.toString('utf8', start, end), out)
}

const bytesOf = (text: string) => Buffer.from(text)
const USAGE_OBJECT = bytesOf('"usage":{')
const LIMIT_TEXT_BYTES = bytesOf('usage limit reached')

/** The keys the fast path acts on, as codes; any other key is OTHER. */
const OTHER = 0
const ID = 1
const CWD = 2
const TYPE = 3
const MODEL = 4
const MESSAGE = 5
const CONTENT = 6
const REQUEST_ID = 7
const TIMESTAMP = 8
const SESSION_ID = 9
const IS_SIDECHAIN = 10
const INPUT = 11
const OUTPUT = 12
const CACHE_CREATION = 13
const CACHE_READ = 14
const BREAKDOWN = 15
const ONE_HOUR = 16
/** Top-level keys of API-error lines (their limit data is read by the full parse). */
const ERROR = 17
/** Known keys by length, so a member's key is told by one comparison or two, not one per known key. */
const KEYS_BY_LENGTH: [Buffer, number][][] = Array.from({ length: 32 }, () => [])
for (const [text, code] of [
  ['id', ID],
  ['cwd', CWD],
  ['type', TYPE],
  ['model', MODEL],
  ['message', MESSAGE],
  ['content', CONTENT],
  ['requestId', REQUEST_ID],
  ['timestamp', TIMESTAMP],
  ['sessionId', SESSION_ID],
  ['isSidechain', IS_SIDECHAIN],
  ['input_tokens', INPUT],
  ['output_tokens', OUTPUT],
  ['cache_creation_input_tokens', CACHE_CREATION],
  ['cache_read_input_tokens', CACHE_READ],
  ['cache_creation', BREAKDOWN],
  ['ephemeral_1h_input_tokens', ONE_HOUR],
  ['isApiErrorMessage', ERROR],
  ['quotaLimits', ERROR],
  ['apiErrorParams', ERROR],
] as const)
  KEYS_BY_LENGTH[text.length]!.push([bytesOf(text), code])

/** The code of the key whose quotes are at `p` and `keyEnd - 1`. */
function keyOf(b: Buffer, p: number, keyEnd: number): number {
  const length = keyEnd - p - 2
  if (length >= KEYS_BY_LENGTH.length) return OTHER
  const candidates = KEYS_BY_LENGTH[length]!
  for (let i = 0; i < candidates.length; i++) {
    const [bytes, code] = candidates[i]!
    if (bytesAre(b, p + 1, keyEnd - 1, bytes)) return code
  }
  return OTHER
}

const ASSISTANT = bytesOf('"assistant"')
const NULL = bytesOf('null')
const TRUE = bytesOf('true')
const FALSE = bytesOf('false')
const QUOTE = 34
const BACKSLASH = 92
const COLON = 58
const DASH = 45
const DOT = 46
const T = 84
const Z = 90
const COMMA = 44
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const SPACE = 32
const ZERO = 48
const NINE = 57
const T_LOWER = 116
const TILDE = 126
const NONE = -2 // a field not present (distinct from -1, a value that is not plain digits)

/**
 * Strings that repeat from line to line (session id, folder, model) are decoded once and reused while
 * their bytes stay the same.
 */
class RepeatedString {
  /** The last string's bytes, quotes included. */
  private bytes = Buffer.alloc(0)
  text = ''
  /**
   * Reads the string whose opening quote is at `p` into `text`; returns the index just after it, -1 if
   * it does not end before `end`. The last string's bytes are compared first: equal, they end this one
   * where they ended (its closing quote is unescaped here as it was there) and nothing is decoded.
   */
  read(b: Buffer, p: number, end: number): number {
    const known = this.bytes
    const e = p + known.length
    if (known.length > 0 && e <= end && bytesAre(b, p, e, known)) return e
    const stop = stringEnd(b, p, end)
    if (stop < 0) return -1
    this.text = stringAt(b, p, stop)
    this.bytes = Buffer.from(b.subarray(p, stop))
    return stop
  }
}
const repeated = { session: new RepeatedString(), cwd: new RepeatedString(), model: new RepeatedString() }

/**
 * The index just after the string whose opening quote is at `p`, if it is printable ASCII without escapes
 * (its bytes are then exactly what JSON.stringify writes for it: the spelling dedupe keys use); -1 otherwise.
 */
function plainAsciiEnd(b: Buffer, p: number, end: number): number {
  for (let i = p + 1; i < end; i++) {
    const c = b[i]!
    if (c === QUOTE) return i + 1
    if (c < SPACE || c > TILDE || c === BACKSLASH) return -1
  }
  return -1
}

/** The count read last by countEnd. */
let countRead = 0

/**
 * Reads a token count at `p`, plain digits followed by `,` or `}`, into countRead; returns the index just
 * after the digits, or -1 for anything else (the full parse judges it).
 */
function countEnd(b: Buffer, p: number, end: number): number {
  let n = 0
  let i = p
  for (; i < end; i++) {
    const c = b[i]!
    if (c < ZERO || c > NINE) break
    n = n * 10 + (c - ZERO)
  }
  if (i === p || i - p > 15 || (b[i] !== COMMA && b[i] !== CLOSE_BRACE)) return -1
  countRead = n
  return i
}

/** The 1-hour count read last by breakdownEnd: NONE if absent. */
let oneHourRead = NONE

/**
 * Reads the `cache_creation` breakdown object at `p` (its 1-hour count into oneHourRead); returns the
 * index just after it, or -1 when it is not an object whose 1-hour count (if any) is plain digits.
 */
function breakdownEnd(b: Buffer, p: number, end: number): number {
  if (b[p] !== OPEN_BRACE) return -1
  let found = NONE
  let q = p + 1
  if (b[q] === CLOSE_BRACE) q++
  else
    for (;;) {
      if (b[q] !== QUOTE) return -1
      const keyEnd = stringEnd(b, q, end)
      if (keyEnd < 0 || b[keyEnd] !== COLON) return -1
      const v = keyEnd + 1
      if (keyOf(b, q, keyEnd) === ONE_HOUR) {
        q = countEnd(b, v, end)
        found = countRead
      } else q = valueEnd(b, v, end)
      if (q < 0) return -1
      const next = b[q++]
      if (next === CLOSE_BRACE) break
      if (next !== COMMA) return -1
    }
  oneHourRead = found
  return q
}

/** Room for `length` key bytes in the record. */
function keyRoom(out: LineRecord, length: number): Buffer {
  if (out.key.length < length) out.key = Buffer.alloc(Math.max(length, out.key.length * 2))
  return out.key
}

/** The key from two plain strings of the line: the message id's quotes at `m`/`me - 1`, the request id's at `r`/`re - 1`. */
function setKey(out: LineRecord, b: Buffer, m: number, me: number, r: number, re: number): void {
  const idLength = me - m - 2
  const requestLength = re - r - 2
  if (idLength === 0) {
    out.keyLength = 0
    return
  }
  const key = keyRoom(out, idLength + 1 + requestLength)
  let k = 0
  for (let i = m + 1; i < me - 1; i++) key[k++] = b[i]!
  key[k++] = COLON
  for (let i = r + 1; i < re - 1; i++) key[k++] = b[i]!
  out.keyLength = k
}

/**
 * The key from the two ids as the full parse decoded them. A line without a request id is keyed by its
 * message id alone (`id:`), as ccusage keys it; one without a message id is never deduplicated.
 */
function setKeyText(out: LineRecord, messageId: string | null, requestId: string | null): void {
  if (!messageId) {
    out.keyLength = 0
    return
  }
  const text = `${JSON.stringify(messageId).slice(1, -1)}:${JSON.stringify(requestId ?? '').slice(1, -1)}`
  out.keyLength = keyRoom(out, Buffer.byteLength(text)).write(text)
}

/**
 * Claude Code writes assistant lines with a fixed layout: `{…,"isSidechain":…,"message":{"id","type",
 * "role","model","content":[…],…,"usage":{…},…},"requestId",…,"type":"assistant",…,"timestamp",…}`.
 * Most of a line is its content, which usage does not need: this walks the members before the content
 * and from the usage object on, all on the bytes of `b[start, end)`, each value once, making nothing but
 * the strings the record needs (and those only when they differ from the line before). Anything
 * unexpected (another layout, an API error, a missing field, a token count that is not plain digits, an
 * id that is not plain ASCII) returns false and the line is parsed in full. Tests check both paths agree
 * on every line of a generated corpus, of the real CLI's transcripts and of hand-made tricky lines. The
 * caller has already ruled out the limit text; `usageAt` is where the line's last `"usage"` starts, if
 * the caller knows (-1 otherwise; it is checked here).
 */
export function parseFast(b: Buffer, out: LineRecord, start = 0, end = b.length, usageAt = -1): boolean {
  if (b[start] !== OPEN_BRACE) return false
  let contentAt = -1
  // The head: top-level members up to "message", then the message's up to "content" (whose values,
  // the bulk of the line, are never walked: the usage object is found by position).
  let sidechain = false
  let messageId = -1
  let messageIdEnd = -1
  let model = false
  let inMessage = false
  for (let p = start + 1; ;) {
    if (b[p] !== QUOTE) return false
    const keyEnd = stringEnd(b, p, end)
    if (keyEnd < 0 || b[keyEnd] !== COLON) return false
    const v = keyEnd + 1
    const key = keyOf(b, p, keyEnd)
    let ve: number
    if (inMessage) {
      if (key === CONTENT) {
        contentAt = p
        break
      }
      if (key === ID) {
        ve = b[v] === QUOTE ? plainAsciiEnd(b, v, end) : -1
        messageId = v
        messageIdEnd = ve
      } else if (key === MODEL) {
        ve = b[v] === QUOTE ? repeated.model.read(b, v, end) : -1
        model = true
      } else ve = valueEnd(b, v, end)
    } else if (key === MESSAGE) {
      if (b[v] !== OPEN_BRACE) return false
      inMessage = true
      p = v + 1
      continue
    } else if (key === IS_SIDECHAIN) {
      sidechain = b[v] === T_LOWER
      const literal = sidechain ? TRUE : FALSE // one access for both (a branch first taken late deoptimizes)
      ve = v + literal.length
      if (!bytesAre(b, v, ve, literal)) return false
    } else if (key === ERROR) return false
    else ve = valueEnd(b, v, end)
    if (ve < 0 || b[ve] !== COMMA) return false
    p = ve + 1
  }
  if (messageId < 0 || !model) return false
  // The usage object of the message (after the content): the caller's find, or the last one.
  if (usageAt < start || !bytesAre(b, usageAt, usageAt + USAGE_OBJECT.length, USAGE_OBJECT))
    usageAt = start + b.subarray(start, end).lastIndexOf(USAGE_OBJECT)
  if (usageAt < contentAt) return false
  let input = NONE
  let output = NONE
  let cacheWrite = NONE
  let cacheRead = NONE
  let oneHour = NONE
  // The usage object: `"usage":{` is 9 bytes, the first key follows.
  let p = usageAt + 9
  if (b[p] === CLOSE_BRACE) p++
  else
    for (;;) {
      if (b[p] !== QUOTE) return false
      const keyEnd = stringEnd(b, p, end)
      if (keyEnd < 0 || b[keyEnd] !== COLON) return false
      const v = keyEnd + 1
      const key = keyOf(b, p, keyEnd)
      if (key === INPUT || key === OUTPUT || key === CACHE_CREATION || key === CACHE_READ) {
        p = countEnd(b, v, end)
        if (key === INPUT) input = countRead
        else if (key === OUTPUT) output = countRead
        else if (key === CACHE_CREATION) cacheWrite = countRead
        else cacheRead = countRead
      } else if (key === BREAKDOWN) {
        // null (or a later null) means no breakdown, as JSON.parse would have it.
        if (bytesAre(b, v, v + NULL.length, NULL)) {
          p = v + NULL.length
          oneHour = NONE
        } else {
          p = breakdownEnd(b, v, end)
          oneHour = oneHourRead
        }
      } else p = valueEnd(b, v, end)
      if (p < 0) return false
      const next = b[p++]
      if (next === CLOSE_BRACE) break
      if (next !== COMMA) return false
    }
  // The rest of the message, then the top-level members after it.
  const afterUsage = b[p++]
  if (afterUsage === COMMA)
    for (;;) {
      if (b[p] !== QUOTE) return false
      const keyEnd = stringEnd(b, p, end)
      if (keyEnd < 0 || b[keyEnd] !== COLON) return false
      p = valueEnd(b, keyEnd + 1, end)
      if (p < 0) return false
      const next = b[p++]
      if (next === CLOSE_BRACE) break
      if (next !== COMMA) return false
    }
  else if (afterUsage !== CLOSE_BRACE) return false
  if (b[p] !== COMMA) return false
  let type = false
  let requestId = -1
  let requestIdEnd = -1
  let time = Number.NaN
  let sessionId = false
  let cwd = false
  for (p++; ;) {
    if (b[p] !== QUOTE) return false
    const keyEnd = stringEnd(b, p, end)
    if (keyEnd < 0 || b[keyEnd] !== COLON) return false
    const v = keyEnd + 1
    const quoted = b[v] === QUOTE
    const key = keyOf(b, p, keyEnd)
    if (key === TYPE) {
      p = valueEnd(b, v, end)
      type = bytesAre(b, v, p, ASSISTANT)
    } else if (key === REQUEST_ID) {
      p = quoted ? plainAsciiEnd(b, v, end) : -1
      requestId = v
      requestIdEnd = p
    } else if (key === TIMESTAMP) {
      p = valueEnd(b, v, end)
      time = quoted && p > 0 ? timeAt(b, v, p) : Number.NaN
    } else if (key === SESSION_ID || key === CWD) {
      p = quoted ? (key === CWD ? repeated.cwd : repeated.session).read(b, v, end) : valueEnd(b, v, end)
      if (key === CWD) cwd = quoted
      else sessionId = quoted
    } else if (key === IS_SIDECHAIN || key === ERROR) return false
    else p = valueEnd(b, v, end)
    if (p < 0) return false
    const next = b[p++]
    if (next === CLOSE_BRACE) break
    if (next !== COMMA) return false
  }
  // Whatever the full parse would judge differently (a bad timestamp, missing counts) it judges itself.
  if (p !== end || !type || requestId < 0 || !sessionId || !cwd) return false
  if (Number.isNaN(time) || input < 0 || output < 0) return false
  const written = cacheWrite < 0 ? 0 : cacheWrite
  // The 1-hour share comes from the breakdown; without one, every cache write is priced at the 5-minute rate.
  const written1h = Math.min(written, oneHour < 0 ? 0 : oneHour)
  out.kind = 'usage'
  setKey(out, b, messageId, messageIdEnd, requestId, requestIdEnd)
  out.time = time
  out.model = repeated.model.text || 'unknown'
  out.sidechain = sidechain
  out.input = input
  out.output = output
  out.cacheWrite5m = written - written1h
  out.cacheWrite1h = written1h
  out.cacheRead = cacheRead < 0 ? 0 : cacheRead
  out.sessionId = repeated.session.text
  out.cwd = repeated.cwd.text
  out.limitResetsAt = Number.NaN
  return true
}

/**
 * The time of a timestamp string in Claude Code's form, `"YYYY-MM-DDTHH:MM:SS.sssZ"` (as
 * Date.toISOString writes it), read from its digits; anything else goes to Date.parse, which has the last
 * word. Date.parse accepts any day up to 31 whatever the month and rolls over, as Date.UTC does.
 */
function timeAt(b: Buffer, p: number, e: number): number {
  if (
    e - p === 26 &&
    b[p + 5] === DASH &&
    b[p + 8] === DASH &&
    b[p + 11] === T &&
    b[p + 14] === COLON &&
    b[p + 17] === COLON &&
    b[p + 20] === DOT &&
    b[p + 24] === Z
  ) {
    const year = digitsAt(b, p + 1, p + 5)
    const month = digitsAt(b, p + 6, p + 8)
    const day = digitsAt(b, p + 9, p + 11)
    const hour = digitsAt(b, p + 12, p + 14)
    const minute = digitsAt(b, p + 15, p + 17)
    const second = digitsAt(b, p + 18, p + 20)
    const ms = digitsAt(b, p + 21, p + 24)
    if (
      year !== undefined &&
      year >= 100 &&
      month !== undefined &&
      month >= 1 &&
      month <= 12 &&
      day !== undefined &&
      day >= 1 &&
      day <= 31 &&
      hour !== undefined &&
      hour <= 23 &&
      minute !== undefined &&
      minute <= 59 &&
      second !== undefined &&
      second <= 59 &&
      ms !== undefined
    )
      return Date.UTC(year, month - 1, day, hour, minute, second, ms)
  }
  return Date.parse(stringAt(b, p, e))
}

/**
 * An explicit parser for one line of a Claude Code transcript. Only `assistant` lines carry usage.
 * `<synthetic>` lines (generated locally, zero tokens) are kept as entries like the established tools
 * do, so block boundaries agree with theirs; one announcing a usage limit also carries its reset time.
 */
/**
 * Claude Code 2.1.x marks a subscription limit on the synthetic error line: `apiError:
 * "usage_limit_reached"` with `quotaLimits` (or `apiErrorParams.rate_limit_info`) holding
 * `status: "rejected"` and `resetsAt` in Unix seconds; its text ("You've hit your 5-hour limit · resets
 * 11:43am (UTC)") is for people. An API-key 429 carries no reset time and is not a subscription limit.
 */
function limitFromApiError(value: Record<string, unknown>): number | undefined {
  const params = isRecord(value.apiErrorParams) ? value.apiErrorParams.rate_limit_info : undefined
  for (const info of [value.quotaLimits, params]) {
    if (!isRecord(info) || info.status !== 'rejected') continue
    if (typeof info.resetsAt === 'number' && Number.isFinite(info.resetsAt) && info.resetsAt > 0)
      return info.resetsAt * 1000
  }
  return undefined
}

/** The reference parser: JSON.parse of the whole line. Exported for the test that compares both paths. */
export function parseFully(text: string): TranscriptLine {
  return lineOf(fullInto(text, new LineRecord()))
}

function invalid(out: LineRecord, reason: string): LineRecord {
  out.kind = 'invalid'
  out.reason = reason
  return out
}

function other(out: LineRecord): LineRecord {
  out.kind = 'other'
  return out
}

function fullInto(text: string, out: LineRecord): LineRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return invalid(out, 'not JSON')
  }
  if (!isRecord(value)) return invalid(out, 'not an object')
  if (value.type !== 'assistant') return other(out)
  const message = value.message
  if (!isRecord(message)) return invalid(out, 'assistant line without a message')
  return fromFields(
    {
      timestamp: value.timestamp,
      model: message.model,
      messageId: message.id,
      requestId: value.requestId,
      sidechain: value.isSidechain === true,
      sessionId: value.sessionId,
      cwd: value.cwd,
      usage: message.usage,
      limitResetsAt: limitResetIn(message.content) ?? limitFromApiError(value),
    },
    out,
  )
}

function fromFields(f: Fields, out: LineRecord): LineRecord {
  const time = typeof f.timestamp === 'string' ? Date.parse(f.timestamp) : Number.NaN
  if (!Number.isFinite(time)) return invalid(out, 'assistant line without a valid timestamp')
  const model = typeof f.model === 'string' ? f.model : ''
  const resetsAt = f.limitResetsAt ?? Number.NaN
  const usage = f.usage
  out.time = time
  out.limitResetsAt = resetsAt
  if (!isRecord(usage)) {
    if (Number.isNaN(resetsAt)) return other(out)
    out.kind = 'limit'
    return out
  }
  const input = count(usage.input_tokens)
  const output = count(usage.output_tokens)
  if (input === undefined || output === undefined) return invalid(out, 'usage without token counts')
  const cacheWrite = count(usage.cache_creation_input_tokens) ?? 0
  const breakdown = isRecord(usage.cache_creation) ? usage.cache_creation : undefined
  // The 1-hour share comes from the breakdown; without one, every cache write is priced at the 5-minute rate.
  const cacheWrite1h = Math.min(cacheWrite, count(breakdown?.ephemeral_1h_input_tokens) ?? 0)
  out.kind = 'usage'
  setKeyText(
    out,
    typeof f.messageId === 'string' ? f.messageId : null,
    typeof f.requestId === 'string' ? f.requestId : null,
  )
  out.model = model || 'unknown'
  out.sidechain = f.sidechain
  out.input = input
  out.output = output
  out.cacheWrite5m = cacheWrite - cacheWrite1h
  out.cacheWrite1h = cacheWrite1h
  out.cacheRead = count(usage.cache_read_input_tokens) ?? 0
  out.sessionId = typeof f.sessionId === 'string' ? f.sessionId : null
  out.cwd = typeof f.cwd === 'string' ? f.cwd : null
  return out
}
