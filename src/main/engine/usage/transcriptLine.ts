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

import { bytesAre, digitsAt, keyIs, member, readMember, stringAt } from './jsonBytes'

const QUOTE = 34
const COMMA = 44
const OPEN_BRACE = 123
const CLOSE_BRACE = 125

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
 * JSON.parse. `mentionsLimit` says whether the limit text occurs in the line, when the caller knows.
 */
export function parseTranscriptLine(line: string | Buffer, mentionsLimit?: boolean): TranscriptLine {
  const bytes = typeof line === 'string' ? Buffer.from(line) : line
  const fast = (mentionsLimit ?? bytes.indexOf(LIMIT_TEXT_BYTES) !== -1) ? undefined : fastFields(bytes)
  return fast ? fromFields(fast) : parseFully(bytes.toString('utf8'))
}

const CONTENT = Buffer.from('"content":')
const USAGE_OBJECT = Buffer.from('"usage":{')
const LIMIT_TEXT_BYTES = Buffer.from('usage limit reached')
const API_ERROR = '"isApiErrorMessage":true'

const HEAD_SIDECHAIN = /"isSidechain":(true|false)[,}]/
const HEAD_MESSAGE = /"message":\{"id":"([^"\\]*)","type":"message","role":"assistant","model":"([^"\\]*)",$/

const key = (text: string) => Buffer.from(text)
const K = {
  input: key('input_tokens'),
  output: key('output_tokens'),
  cacheCreation: key('cache_creation_input_tokens'),
  cacheRead: key('cache_read_input_tokens'),
  breakdown: key('cache_creation'),
  oneHour: key('ephemeral_1h_input_tokens'),
  type: key('type'),
  requestId: key('requestId'),
  timestamp: key('timestamp'),
  sessionId: key('sessionId'),
  cwd: key('cwd'),
  isSidechain: key('isSidechain'),
  isApiErrorMessage: key('isApiErrorMessage'),
  quotaLimits: key('quotaLimits'),
  apiErrorParams: key('apiErrorParams'),
}
const ASSISTANT = key('"assistant"')
const NULL = key('null')

/**
 * Claude Code writes assistant lines with a fixed layout: `{…,"isSidechain":…,"message":{"id","type",
 * "role","model","content":[…],…,"usage":{…},…},"requestId",…,"type":"assistant",…,"timestamp",…}`.
 * Most of a line is its content, which usage does not need; this reads the head before the content and
 * walks the rest from the usage object on, on its bytes. Anything unexpected (another layout, an API
 * error, a missing field, a token count that is not plain digits, escapes in an id) returns undefined and
 * the line is parsed in full. Tests check both paths agree on every line of a generated corpus, of the
 * real CLI's transcripts and of hand-made tricky lines. The caller has already ruled out the limit text.
 */
export function fastFields(bytes: Buffer): Fields | undefined {
  const contentAt = bytes.indexOf(CONTENT)
  if (contentAt < 0) return undefined
  const usageAt = bytes.lastIndexOf(USAGE_OBJECT)
  if (usageAt < contentAt) return undefined
  const headText = bytes.toString('utf8', 0, contentAt)
  const head = HEAD_MESSAGE.exec(headText)
  if (!head || headText.includes(API_ERROR)) return undefined
  const end = bytes.length
  const m = member
  const usage: FastUsage = {
    input_tokens: undefined,
    output_tokens: undefined,
    cache_creation_input_tokens: undefined,
    cache_read_input_tokens: undefined,
    cache_creation: undefined,
  }
  // The usage object: `"usage":{` is 9 bytes, the first key follows.
  let p = usageAt + 9
  if (bytes[p] === CLOSE_BRACE) p++
  else
    for (;;) {
      p = readMember(bytes, p, end)
      if (p < 0) return undefined
      const { key: k, keyEnd: ke, value: v, valueEnd: ve } = m
      if (keyIs(bytes, k, ke, K.input)) {
        if ((usage.input_tokens = digitsAt(bytes, v, ve)) === undefined) return undefined
      } else if (keyIs(bytes, k, ke, K.output)) {
        if ((usage.output_tokens = digitsAt(bytes, v, ve)) === undefined) return undefined
      } else if (keyIs(bytes, k, ke, K.cacheCreation)) {
        if ((usage.cache_creation_input_tokens = digitsAt(bytes, v, ve)) === undefined) return undefined
      } else if (keyIs(bytes, k, ke, K.cacheRead)) {
        if ((usage.cache_read_input_tokens = digitsAt(bytes, v, ve)) === undefined) return undefined
      } else if (keyIs(bytes, k, ke, K.breakdown)) {
        // null (or a later null) means no breakdown, as JSON.parse would have it.
        if (bytesAre(bytes, v, ve, NULL)) usage.cache_creation = undefined
        else if ((usage.cache_creation = breakdownAt(bytes, v, ve)) === undefined) return undefined
      }
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
  let timestamp: string | undefined
  let sessionId: string | undefined
  let cwd: string | undefined
  for (p++; ;) {
    p = readMember(bytes, p, end)
    if (p < 0) return undefined
    const { key: k, keyEnd: ke, value: v, valueEnd: ve } = m
    const quoted = bytes[v] === QUOTE
    if (keyIs(bytes, k, ke, K.type)) type = bytesAre(bytes, v, ve, ASSISTANT)
    else if (keyIs(bytes, k, ke, K.requestId)) requestId = quoted ? stringAt(bytes, v, ve) : undefined
    else if (keyIs(bytes, k, ke, K.timestamp)) timestamp = quoted ? stringAt(bytes, v, ve) : undefined
    else if (keyIs(bytes, k, ke, K.sessionId)) sessionId = quoted ? stringAt(bytes, v, ve) : undefined
    else if (keyIs(bytes, k, ke, K.cwd)) cwd = quoted ? stringAt(bytes, v, ve) : undefined
    else if (
      keyIs(bytes, k, ke, K.isApiErrorMessage) ||
      keyIs(bytes, k, ke, K.isSidechain) ||
      keyIs(bytes, k, ke, K.quotaLimits) ||
      keyIs(bytes, k, ke, K.apiErrorParams)
    )
      return undefined
    const next = bytes[p++]
    if (next === CLOSE_BRACE) break
    if (next !== COMMA) return undefined
  }
  if (p !== end || !type || !timestamp || !requestId || sessionId === undefined || cwd === undefined) return undefined
  return {
    timestamp,
    model: head[2],
    messageId: head[1],
    requestId,
    sidechain: HEAD_SIDECHAIN.exec(headText)?.[1] === 'true',
    sessionId,
    cwd,
    usage,
    limitResetsAt: undefined,
  }
}

interface FastUsage {
  input_tokens: number | undefined
  output_tokens: number | undefined
  cache_creation_input_tokens: number | undefined
  cache_read_input_tokens: number | undefined
  cache_creation: { ephemeral_1h_input_tokens: number | undefined } | undefined
}

/** The `cache_creation` breakdown object in [p, e): only its 1-hour count matters. */
function breakdownAt(bytes: Buffer, p: number, e: number): FastUsage['cache_creation'] {
  const breakdown = { ephemeral_1h_input_tokens: undefined as number | undefined }
  if (bytes[p] !== OPEN_BRACE) return undefined
  if (bytes[p + 1] === CLOSE_BRACE) return p + 2 === e ? breakdown : undefined
  for (p++; ;) {
    p = readMember(bytes, p, e)
    if (p < 0) return undefined
    if (keyIs(bytes, member.key, member.keyEnd, K.oneHour)) {
      breakdown.ephemeral_1h_input_tokens = digitsAt(bytes, member.value, member.valueEnd)
      if (breakdown.ephemeral_1h_input_tokens === undefined) return undefined
    }
    const next = bytes[p++]
    if (next === CLOSE_BRACE) return p === e ? breakdown : undefined
    if (next !== COMMA) return undefined
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
