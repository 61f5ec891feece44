import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

export interface FakeUsage {
  readonly input_tokens: number
  readonly output_tokens: number
  readonly cache_creation_input_tokens?: number
  readonly cache_read_input_tokens?: number
  readonly cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number }
}

export type FakeBehaviour =
  | {
      readonly kind: 'reply'
      readonly text: string
      readonly usage: FakeUsage
      readonly model?: string
      /** More response headers, such as the unified rate-limit ones a subscription's answers carry. */
      readonly headers?: Readonly<Record<string, string>>
    }
  | { readonly kind: 'rate_limit'; readonly resetsAt: number }
  | { readonly kind: 'stall' }

/** How the fake answers `GET /api/oauth/usage` (Claude's usage endpoint). */
export interface UsageEndpointAnswer {
  readonly status: number
  /** An object is sent as JSON; a string as it is (malformed answers). */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
  /** Never answers (a slow endpoint): the connection stays open until the client gives up or the server closes. */
  readonly stall?: boolean
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly body: unknown
  readonly stream: boolean
  readonly headers: Record<string, string | string[] | undefined>
}

/**
 * A small Anthropic Messages API on 127.0.0.1 (port chosen by the OS) that streams replies with known
 * usage, so the real Claude Code CLI writes real transcripts whose numbers the test knows.
 */
export async function startFakeAnthropic(
  next: () => FakeBehaviour,
  options: { readonly usageEndpoint?: () => UsageEndpointAnswer } = {},
) {
  const requests: RecordedRequest[] = []
  const open = new Set<ServerResponse>()
  const server: Server = createServer((req, res) => void handle(req, res))

  async function handle(req: IncomingMessage, res: ServerResponse) {
    let raw = ''
    for await (const chunk of req) raw += chunk
    let body: Record<string, unknown> = {}
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
    } catch {
      body = {}
    }
    const path = (req.url ?? '').split('?')[0]!
    const stream = body.stream === true
    requests.push({ method: req.method ?? '', path, body, stream, headers: req.headers })
    if (path === '/api/oauth/usage' && options.usageEndpoint) {
      const answer = options.usageEndpoint()
      if (answer.stall) {
        open.add(res)
        req.on('close', () => open.delete(res))
        return
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}))
      return
    }
    if (!path.endsWith('/v1/messages')) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no ${path}` } }))
      return
    }
    const behaviour = next()
    if (behaviour.kind === 'stall') {
      open.add(res)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(': stalled\n\n')
      req.on('close', () => open.delete(res))
      return
    }
    if (behaviour.kind === 'rate_limit') {
      res.writeHead(429, {
        'content-type': 'application/json',
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': String(behaviour.resetsAt),
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
        'anthropic-ratelimit-unified-5h-status': 'rejected',
        'anthropic-ratelimit-unified-5h-reset': String(behaviour.resetsAt),
        'retry-after': '3600',
      })
      res.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'usage limit reached' } }))
      return
    }
    const model = behaviour.model ?? (typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5-20250929')
    const id = `msg_fake_${Math.random().toString(36).slice(2, 14)}`
    const usage = behaviour.usage
    const requestId = `req_fake_${Math.random().toString(36).slice(2, 14)}`
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId, ...behaviour.headers })
      res.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text: behaviour.text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage,
        }),
      )
      return
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': requestId,
      ...behaviour.headers,
    })
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    send('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    })
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
    send('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: behaviour.text },
    })
    send('content_block_stop', { type: 'content_block_stop', index: 0 })
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    })
    send('message_stop', { type: 'message_stop' })
    res.end()
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    async close() {
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
