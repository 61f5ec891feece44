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

/** Parses one line of a Claude Code transcript: the fast path where the layout is the known one, else JSON.parse. */
export function parseTranscriptLine(line: string | Buffer): TranscriptLine {
  const bytes = typeof line === 'string' ? Buffer.from(line) : line
  const fast = fastFields(bytes)
  return fast ? fromFields(fast) : parseFully(bytes.toString('utf8'))
}

const CONTENT = Buffer.from('"content":')
const USAGE_OBJECT = Buffer.from('"usage":{')
const LIMIT_TEXT_BYTES = Buffer.from('usage limit reached')
const API_ERROR = Buffer.from('"isApiErrorMessage":true')

const HEAD_SIDECHAIN = /"isSidechain":(true|false)[,}]/
const HEAD_MESSAGE = /"message":\{"id":"([^"\\]*)","type":"message","role":"assistant","model":"([^"\\]*)",$/
const TAIL_STRING = (key: string) => new RegExp(`[,{]"${key}":("(?:[^"\\\\]|\\\\.)*")`)
const TAIL_REQUEST = TAIL_STRING('requestId')
const TAIL_TIMESTAMP = TAIL_STRING('timestamp')
const TAIL_SESSION = TAIL_STRING('sessionId')
const TAIL_CWD = TAIL_STRING('cwd')
const TAIL_TYPE = '"type":"assistant"'

/**
 * Claude Code writes assistant lines with a fixed layout: `{…,"isSidechain":…,"message":{"id","type",
 * "role","model","content":[…],…,"usage":{…},…},…,"requestId",…,"type":"assistant",…,"timestamp",…}`.
 * Most of a line is its content, which usage does not need; this reads the head before the content and
 * the tail from the usage object on, and parses only the usage object. Anything unexpected (another
 * layout, a limit message, escapes in an id) returns undefined and the line is parsed in full. A test
 * checks both paths agree on every line of a generated corpus and of the real CLI's transcripts.
 */
function fastFields(bytes: Buffer): Fields | undefined {
  // Work on the bytes: only the head and the tail are ever decoded, never the content.
  const contentAt = bytes.indexOf(CONTENT)
  const usageAt = bytes.lastIndexOf(USAGE_OBJECT)
  if (contentAt < 0 || usageAt < contentAt || bytes.indexOf(LIMIT_TEXT_BYTES) !== -1 || bytes.indexOf(API_ERROR) !== -1)
    return undefined
  const headText = bytes.toString('utf8', 0, contentAt)
  const head = HEAD_MESSAGE.exec(headText)
  if (!head) return undefined
  const text = bytes.toString('utf8', usageAt)
  const start = 8
  const end = objectEnd(text, start)
  if (end < 0) return undefined
  const tail = text.slice(end + 1)
  // The top-level type must follow the message: otherwise this is not the layout we know.
  if (!tail.includes(TAIL_TYPE)) return undefined
  let usage: unknown
  try {
    usage = JSON.parse(text.slice(start, end + 1))
  } catch {
    return undefined
  }
  // Tail strings are matched with their escapes and decoded by JSON.parse, exactly as a full parse would.
  const string = (pattern: RegExp): string | undefined => {
    const quoted = pattern.exec(tail)?.[1]
    return quoted === undefined ? undefined : (JSON.parse(quoted) as string)
  }
  return {
    timestamp: string(TAIL_TIMESTAMP),
    model: head[2],
    messageId: head[1],
    requestId: string(TAIL_REQUEST),
    sidechain: HEAD_SIDECHAIN.exec(headText)?.[1] === 'true',
    sessionId: string(TAIL_SESSION),
    cwd: string(TAIL_CWD),
    usage,
    limitResetsAt: undefined,
  }
}

/** Index of the `}` closing the object that starts at `start`, skipping strings; -1 if unbalanced. */
function objectEnd(text: string, start: number): number {
  let depth = 0
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 123) depth++
    else if (c === 125) {
      if (--depth === 0) return i
    } else if (c === 34) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 92) i++
        else if (d === 34) break
      }
    }
  }
  return -1
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
