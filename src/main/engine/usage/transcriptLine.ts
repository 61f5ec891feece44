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
 * An explicit parser for one line of a Claude Code transcript. Only `assistant` lines carry usage.
 * `<synthetic>` lines (generated locally, zero tokens) are kept as entries like the established tools
 * do, so block boundaries agree with theirs; one announcing a usage limit also carries its reset time.
 */
export function parseTranscriptLine(text: string): TranscriptLine {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { kind: 'invalid', reason: 'not JSON' }
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'not an object' }
  if (value.type !== 'assistant') return { kind: 'other' }
  const time = typeof value.timestamp === 'string' ? Date.parse(value.timestamp) : Number.NaN
  if (!Number.isFinite(time)) return { kind: 'invalid', reason: 'assistant line without a valid timestamp' }
  const message = value.message
  if (!isRecord(message)) return { kind: 'invalid', reason: 'assistant line without a message' }
  const model = typeof message.model === 'string' ? message.model : ''
  const resetsAt = limitResetIn(message.content)
  const usage = message.usage
  if (!isRecord(usage)) return resetsAt === undefined ? { kind: 'other' } : { kind: 'limit', time, resetsAt }
  const input = count(usage.input_tokens)
  const output = count(usage.output_tokens)
  if (input === undefined || output === undefined) return { kind: 'invalid', reason: 'usage without token counts' }
  const cacheWrite = count(usage.cache_creation_input_tokens) ?? 0
  const breakdown = isRecord(usage.cache_creation) ? usage.cache_creation : undefined
  // The 1-hour share comes from the breakdown; without one, every cache write is priced at the 5-minute rate.
  const cacheWrite1h = Math.min(cacheWrite, count(breakdown?.ephemeral_1h_input_tokens) ?? 0)
  const messageId = typeof message.id === 'string' ? message.id : null
  const requestId = typeof value.requestId === 'string' ? value.requestId : null
  return {
    kind: 'usage',
    key: messageId && requestId ? `${messageId}:${requestId}` : null,
    time,
    model: model || 'unknown',
    sidechain: value.isSidechain === true,
    input,
    output,
    cacheWrite5m: cacheWrite - cacheWrite1h,
    cacheWrite1h,
    cacheRead: count(usage.cache_read_input_tokens) ?? 0,
    sessionId: typeof value.sessionId === 'string' ? value.sessionId : null,
    cwd: typeof value.cwd === 'string' ? value.cwd : null,
    limitResetsAt: resetsAt ?? null,
  }
}
