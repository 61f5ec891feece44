/** What one transcript line means for usage. */
export type TranscriptLine =
  | {
      readonly kind: 'usage'
      /** `message.id` + `requestId`, or null when either is missing (then it is never deduplicated). */
      readonly key: string | null
      readonly time: number
      readonly model: string
      readonly sidechain: boolean
      readonly input: number
      readonly output: number
      readonly cacheWrite5m: number
      readonly cacheWrite1h: number
      readonly cacheRead: number
      readonly sessionId: string | null
      readonly cwd: string | null
      /** Set on the synthetic line Claude Code writes when the account hit its limit. */
      readonly limitResetsAt: number | null
    }
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

import { bytesAre, digitsAt, keyIs, member, readMember, stringAt, stringEnd, valueEnd } from './jsonBytes'

/** The fields of one line, wherever they came from (the fast path or JSON.parse). */
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
  const fast = (mentionsLimit ?? bytes.indexOf(LIMIT_TEXT_BYTES) !== -1) ? undefined : parseFast(bytes, usageAt)
  return fast ?? parseFully(bytes.toString('utf8'))
}

const bytesOf = (text: string) => Buffer.from(text)
const USAGE_OBJECT = bytesOf('"usage":{')
const LIMIT_TEXT_BYTES = bytesOf('usage limit reached')
const K = {
  input: bytesOf('input_tokens'),
  output: bytesOf('output_tokens'),
  cacheCreation: bytesOf('cache_creation_input_tokens'),
  cacheRead: bytesOf('cache_read_input_tokens'),
  breakdown: bytesOf('cache_creation'),
  oneHour: bytesOf('ephemeral_1h_input_tokens'),
  type: bytesOf('type'),
  requestId: bytesOf('requestId'),
  timestamp: bytesOf('timestamp'),
  sessionId: bytesOf('sessionId'),
  cwd: bytesOf('cwd'),
  isSidechain: bytesOf('isSidechain'),
  isApiErrorMessage: bytesOf('isApiErrorMessage'),
  quotaLimits: bytesOf('quotaLimits'),
  apiErrorParams: bytesOf('apiErrorParams'),
}
const ASSISTANT = bytesOf('"assistant"')
const NULL = bytesOf('null')
const TRUE = bytesOf('true')
const FALSE = bytesOf('false')
const MESSAGE = bytesOf('message')
const CONTENT_KEY = bytesOf('content')
const ID = bytesOf('id')
const MODEL = bytesOf('model')
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
const NONE = -2 // a field not present (distinct from -1, a value that is not plain digits)

/**
 * Strings that repeat from line to line (session id, folder) are decoded once and reused while
 * their bytes stay the same.
 */
class RepeatedString {
  private bytes = Buffer.alloc(0)
  private text = ''
  /** The string whose quotes are at `p` and `e - 1`. */
  at(b: Buffer, p: number, e: number): string {
    if (!bytesAre(b, p, e, this.bytes)) {
      this.text = stringAt(b, p, e)
      this.bytes = Buffer.from(b.subarray(p, e))
    }
    return this.text
  }
}
const repeated = { session: new RepeatedString(), cwd: new RepeatedString(), model: new RepeatedString() }

/**
 * Claude Code writes assistant lines with a fixed layout: `{…,"isSidechain":…,"message":{"id","type",
 * "role","model","content":[…],…,"usage":{…},…},"requestId",…,"type":"assistant",…,"timestamp",…}`.
 * Most of a line is its content, which usage does not need: this walks the members before the content
 * and from the usage object on, all on the bytes, without building anything but the strings it returns.
 * Anything unexpected (another layout, an API error, a missing field, a token count that is not plain
 * digits, escapes in an id) returns undefined and the line is parsed in full. Tests check both paths
 * agree on every line of a generated corpus, of the real CLI's transcripts and of hand-made tricky
 * lines. The caller has already ruled out the limit text; `usageAt` is where the line's last `"usage"`
 * starts, if the caller knows (it is checked here).
 */
export function parseFast(bytes: Buffer, usageAt?: number): TranscriptLine | undefined {
  const end = bytes.length
  if (bytes[0] !== OPEN_BRACE) return undefined
  let contentAt = -1
  // The head: top-level members up to "message", then the message's up to "content" (whose values,
  // the bulk of the line, are never walked: the usage object is found by position).
  let sidechain = false
  let messageId: string | undefined
  let model: string | undefined
  let inMessage = false
  for (let p = 1; ;) {
    if (bytes[p] !== QUOTE) return undefined
    const keyEnd = stringEnd(bytes, p, end)
    if (keyEnd < 0 || bytes[keyEnd] !== COLON) return undefined
    const v = keyEnd + 1
    if (inMessage && keyIs(bytes, p, keyEnd, CONTENT_KEY)) {
      contentAt = p
      break
    }
    if (!inMessage && keyIs(bytes, p, keyEnd, MESSAGE)) {
      if (bytes[v] !== OPEN_BRACE) return undefined
      inMessage = true
      p = v + 1
      continue
    }
    const ve = valueEnd(bytes, v, end)
    if (ve < 0 || bytes[ve] !== COMMA) return undefined
    if (inMessage) {
      if (keyIs(bytes, p, keyEnd, ID)) messageId = bytes[v] === QUOTE ? plainStringAt(bytes, v, ve) : undefined
      else if (keyIs(bytes, p, keyEnd, MODEL))
        model = bytes[v] === QUOTE && !hasEscape(bytes, v, ve) ? repeated.model.at(bytes, v, ve) : undefined
    } else if (keyIs(bytes, p, keyEnd, K.isSidechain)) {
      if (bytesAre(bytes, v, ve, TRUE)) sidechain = true
      else if (bytesAre(bytes, v, ve, FALSE)) sidechain = false
      else return undefined
    } else if (isErrorKey(bytes, p, keyEnd)) return undefined
    p = ve + 1
  }
  if (messageId === undefined || model === undefined) return undefined
  // The usage object of the message (after the content): the caller's find, or the last one.
  if (usageAt === undefined || !bytesAre(bytes, usageAt, usageAt + USAGE_OBJECT.length, USAGE_OBJECT))
    usageAt = bytes.lastIndexOf(USAGE_OBJECT)
  if (usageAt < contentAt) return undefined
  let input = NONE
  let output = NONE
  let cacheWrite = NONE
  let cacheRead = NONE
  let oneHour = NONE
  // The usage object: `"usage":{` is 9 bytes, the first key follows.
  let p = usageAt + 9
  if (bytes[p] === CLOSE_BRACE) p++
  else
    for (;;) {
      p = readMember(bytes, p, end)
      if (p < 0) return undefined
      const { key: k, keyEnd: ke, value: v, valueEnd: ve } = member
      if (keyIs(bytes, k, ke, K.input)) input = digitsAt(bytes, v, ve) ?? -1
      else if (keyIs(bytes, k, ke, K.output)) output = digitsAt(bytes, v, ve) ?? -1
      else if (keyIs(bytes, k, ke, K.cacheCreation)) cacheWrite = digitsAt(bytes, v, ve) ?? -1
      else if (keyIs(bytes, k, ke, K.cacheRead)) cacheRead = digitsAt(bytes, v, ve) ?? -1
      else if (keyIs(bytes, k, ke, K.breakdown))
        // null (or a later null) means no breakdown, as JSON.parse would have it.
        oneHour = bytesAre(bytes, v, ve, NULL) ? NONE : oneHourIn(bytes, v, ve)
      if (input === -1 || output === -1 || cacheWrite === -1 || cacheRead === -1 || oneHour === -1) return undefined
      const next = bytes[p++]
      if (next === CLOSE_BRACE) break
      if (next !== COMMA) return undefined
    }
  // The rest of the message, then the top-level members after it.
  const afterUsage = bytes[p++]
  if (afterUsage === COMMA)
    for (;;) {
      p = readMember(bytes, p, end)
      if (p < 0) return undefined
      const next = bytes[p++]
      if (next === CLOSE_BRACE) break
      if (next !== COMMA) return undefined
    }
  else if (afterUsage !== CLOSE_BRACE) return undefined
  if (bytes[p] !== COMMA) return undefined
  let type = false
  let requestId: string | undefined
  let time = Number.NaN
  let sessionId: string | undefined
  let cwd: string | undefined
  for (p++; ;) {
    p = readMember(bytes, p, end)
    if (p < 0) return undefined
    const { key: k, keyEnd: ke, value: v, valueEnd: ve } = member
    const quoted = bytes[v] === QUOTE
    if (keyIs(bytes, k, ke, K.type)) type = bytesAre(bytes, v, ve, ASSISTANT)
    else if (keyIs(bytes, k, ke, K.requestId)) requestId = quoted ? stringAt(bytes, v, ve) : undefined
    else if (keyIs(bytes, k, ke, K.timestamp)) time = quoted ? timeAt(bytes, v, ve) : Number.NaN
    else if (keyIs(bytes, k, ke, K.sessionId)) sessionId = quoted ? repeated.session.at(bytes, v, ve) : undefined
    else if (keyIs(bytes, k, ke, K.cwd)) cwd = quoted ? repeated.cwd.at(bytes, v, ve) : undefined
    else if (keyIs(bytes, k, ke, K.isSidechain) || isErrorKey(bytes, k, ke)) return undefined
    const next = bytes[p++]
    if (next === CLOSE_BRACE) break
    if (next !== COMMA) return undefined
  }
  // Whatever the full parse would judge differently (a bad timestamp, missing counts) it judges itself.
  if (p !== end || !type || !requestId || sessionId === undefined || cwd === undefined) return undefined
  if (Number.isNaN(time) || input < 0 || output < 0) return undefined
  const written = cacheWrite < 0 ? 0 : cacheWrite
  // The 1-hour share comes from the breakdown; without one, every cache write is priced at the 5-minute rate.
  const written1h = Math.min(written, oneHour < 0 ? 0 : oneHour)
  return {
    kind: 'usage',
    key: messageId && requestId ? `${messageId}:${requestId}` : null,
    time,
    model: model || 'unknown',
    sidechain,
    input,
    output,
    cacheWrite5m: written - written1h,
    cacheWrite1h: written1h,
    cacheRead: cacheRead < 0 ? 0 : cacheRead,
    sessionId,
    cwd,
    limitResetsAt: null,
  }
}

/** Top-level keys of API-error lines (their limit data is read by the full parse). */
const isErrorKey = (b: Buffer, k: number, ke: number) =>
  keyIs(b, k, ke, K.isApiErrorMessage) || keyIs(b, k, ke, K.quotaLimits) || keyIs(b, k, ke, K.apiErrorParams)

/** True when the string whose quotes are at `p` and `e - 1` holds an escape. */
function hasEscape(b: Buffer, p: number, e: number): boolean {
  for (let i = p + 1; i < e - 1; i++) if (b[i] === BACKSLASH) return true
  return false
}

/** A string without escapes, as is; undefined when it has any (the full parse decodes those). */
const plainStringAt = (b: Buffer, p: number, e: number): string | undefined =>
  hasEscape(b, p, e) ? undefined : b.toString('utf8', p + 1, e - 1)

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

/** The 1-hour count in the `cache_creation` breakdown object at [p, e): NONE if absent, -1 if not plain digits. */
function oneHourIn(bytes: Buffer, p: number, e: number): number {
  if (bytes[p] !== OPEN_BRACE) return -1
  if (bytes[p + 1] === CLOSE_BRACE) return p + 2 === e ? NONE : -1
  let found = NONE
  for (p++; ;) {
    p = readMember(bytes, p, e)
    if (p < 0) return -1
    if (keyIs(bytes, member.key, member.keyEnd, K.oneHour)) found = digitsAt(bytes, member.value, member.valueEnd) ?? -1
    if (found === -1) return -1
    const next = bytes[p++]
    if (next === CLOSE_BRACE) return p === e ? found : -1
    if (next !== COMMA) return -1
  }
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
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { kind: 'invalid', reason: 'not JSON' }
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'not an object' }
  if (value.type !== 'assistant') return { kind: 'other' }
  const message = value.message
  if (!isRecord(message)) return { kind: 'invalid', reason: 'assistant line without a message' }
  return fromFields({
    timestamp: value.timestamp,
    model: message.model,
    messageId: message.id,
    requestId: value.requestId,
    sidechain: value.isSidechain === true,
    sessionId: value.sessionId,
    cwd: value.cwd,
    usage: message.usage,
    limitResetsAt: limitResetIn(message.content) ?? limitFromApiError(value),
  })
}

function fromFields(f: Fields): TranscriptLine {
  const time = typeof f.timestamp === 'string' ? Date.parse(f.timestamp) : Number.NaN
  if (!Number.isFinite(time)) return { kind: 'invalid', reason: 'assistant line without a valid timestamp' }
  const model = typeof f.model === 'string' ? f.model : ''
  const resetsAt = f.limitResetsAt
  const usage = f.usage
  if (!isRecord(usage)) return resetsAt === undefined ? { kind: 'other' } : { kind: 'limit', time, resetsAt }
  const input = count(usage.input_tokens)
  const output = count(usage.output_tokens)
  if (input === undefined || output === undefined) return { kind: 'invalid', reason: 'usage without token counts' }
  const cacheWrite = count(usage.cache_creation_input_tokens) ?? 0
  const breakdown = isRecord(usage.cache_creation) ? usage.cache_creation : undefined
  // The 1-hour share comes from the breakdown; without one, every cache write is priced at the 5-minute rate.
  const cacheWrite1h = Math.min(cacheWrite, count(breakdown?.ephemeral_1h_input_tokens) ?? 0)
  const messageId = typeof f.messageId === 'string' ? f.messageId : null
  const requestId = typeof f.requestId === 'string' ? f.requestId : null
  return {
    kind: 'usage',
    key: messageId && requestId ? `${messageId}:${requestId}` : null,
    time,
    model: model || 'unknown',
    sidechain: f.sidechain,
    input,
    output,
    cacheWrite5m: cacheWrite - cacheWrite1h,
    cacheWrite1h,
    cacheRead: count(usage.cache_read_input_tokens) ?? 0,
    sessionId: typeof f.sessionId === 'string' ? f.sessionId : null,
    cwd: typeof f.cwd === 'string' ? f.cwd : null,
    limitResetsAt: resetsAt ?? null,
  }
}
