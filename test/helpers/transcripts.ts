import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export interface AssistantLineOptions {
  readonly time: Date | string
  readonly messageId?: string | null
  readonly requestId?: string | null
  readonly model?: string
  readonly input?: number
  readonly output?: number
  readonly cacheWrite?: number
  readonly cacheWrite1h?: number
  readonly cacheRead?: number
  /** Leave out the cache_creation breakdown, as older Claude Code versions did. */
  readonly noBreakdown?: boolean
  readonly sidechain?: boolean
  readonly sessionId?: string
  readonly cwd?: string
  readonly text?: string
}

/** An assistant line shaped like the ones Claude Code 2.1.x writes (see the real-CLI test). */
export function assistantLine(o: AssistantLineOptions): string {
  const cacheWrite = o.cacheWrite ?? 0
  const usage: Record<string, unknown> = {
    input_tokens: o.input ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: o.cacheRead ?? 0,
    output_tokens: o.output ?? 0,
    service_tier: 'standard',
  }
  if (!o.noBreakdown)
    usage.cache_creation = {
      ephemeral_1h_input_tokens: o.cacheWrite1h ?? 0,
      ephemeral_5m_input_tokens: cacheWrite - (o.cacheWrite1h ?? 0),
    }
  // Key order as Claude Code 2.1.x writes it (see the real-CLI test): ids and model before the content,
  // usage after it, the top-level type and timestamp after the message.
  const message: Record<string, unknown> = {}
  if (o.messageId !== null) message.id = o.messageId ?? `msg_${Math.random().toString(36).slice(2)}`
  Object.assign(message, {
    type: 'message',
    role: 'assistant',
    model: o.model ?? 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: o.text ?? 'ok' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage,
    stop_details: null,
  })
  const line: Record<string, unknown> = {
    parentUuid: null,
    isSidechain: o.sidechain ?? false,
    message,
    apiBlockIndex: 0,
  }
  if (o.requestId !== null) line.requestId = o.requestId ?? `req_${Math.random().toString(36).slice(2)}`
  Object.assign(line, {
    type: 'assistant',
    uuid: crypto.randomUUID(),
    timestamp: typeof o.time === 'string' ? o.time : o.time.toISOString(),
    userType: 'external',
    entrypoint: 'cli',
    cwd: o.cwd ?? '/home/dev/project',
    sessionId: o.sessionId ?? 'session-1',
    version: '2.1.332',
    gitBranch: 'main',
  })
  return JSON.stringify(line)
}

export function userLine(time: Date | string, text: string, sessionId = 'session-1'): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: text }] },
    uuid: crypto.randomUUID(),
    timestamp: typeof time === 'string' ? time : time.toISOString(),
    cwd: '/home/dev/project',
    sessionId,
    version: '2.1.332',
  })
}

/** The synthetic line Claude Code writes when the account hits its usage limit. */
export function limitLine(time: Date, resetsAtSeconds: number): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    message: {
      id: crypto.randomUUID(),
      model: '<synthetic>',
      role: 'assistant',
      type: 'message',
      content: [{ type: 'text', text: `Claude AI usage limit reached|${resetsAtSeconds}` }],
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
    type: 'assistant',
    uuid: crypto.randomUUID(),
    timestamp: time.toISOString(),
    isApiErrorMessage: true,
    sessionId: 'session-1',
    version: '2.1.332',
  })
}

export function appendLines(path: string, lines: readonly string[], trailingNewline = true): void {
  mkdirSync(dirname(path), { recursive: true })
  appendFileSync(path, lines.join('\n') + (trailingNewline ? '\n' : ''))
}

/** The synthetic line Claude Code 2.1.x writes when a subscription hits its limit (copied from a real run). */
export function subscriptionLimitLine(time: Date, resetsAtSeconds: number): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'assistant',
    uuid: crypto.randomUUID(),
    timestamp: time.toISOString(),
    message: {
      diagnostics: null,
      id: crypto.randomUUID(),
      container: null,
      model: '<synthetic>',
      role: 'assistant',
      stop_details: null,
      stop_reason: 'stop_sequence',
      stop_sequence: '',
      type: 'message',
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      content: [{ type: 'text', text: "You've hit your 5-hour limit · resets 11:43am (UTC)" }],
      context_management: null,
    },
    apiError: 'usage_limit_reached',
    apiErrorParams: {
      rate_limit_info: {
        status: 'rejected',
        resetsAt: resetsAtSeconds,
        rateLimitType: 'five_hour',
        isUsingOverage: false,
      },
    },
    quotaLimits: {
      status: 'rejected',
      resetsAt: resetsAtSeconds,
      unifiedRateLimitFallbackAvailable: false,
      rateLimitType: 'five_hour',
      isUsingOverage: false,
    },
    error: 'rate_limit',
    isApiErrorMessage: true,
    apiErrorStatus: 429,
    apiErrorType: 'rate_limit_error',
    sessionId: 'session-1',
    version: '2.1.332',
  })
}
