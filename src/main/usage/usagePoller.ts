import { homedir } from 'node:os'
import { z } from 'zod'
import type { ServerUsageSettings } from '../../shared/schemas/settings'
import type { ServerWindow, ServerWindowName } from '../../shared/serverWindows'
import { readAccessToken, type TokenSources } from './oauthToken'
import { readServerUsage, writeServerUsage, type PollState } from './serverUsageFile'

// Claude's usage endpoint, asked gently for each account's percentages: at most once per account per
// `pollMinutes` (shared by every Auth Pool process through the account's server-usage file), backing off
// exponentially on 429 and 5xx and honouring retry-after, never with a refreshed token, and not at all
// when the user turned contact with Anthropic off.

/** Where this user's Claude Code keeps its tokens. */
export const tokenSourcesOf = (env: NodeJS.ProcessEnv): TokenSources => ({
  platform: process.platform,
  homedir: env.HOME || homedir(),
  user: env.USER,
})

export const DEFAULT_API_BASE_URL = 'https://api.anthropic.com'
const MAX_BACKOFF_MS = 6 * 3_600_000

const WindowSchema = z
  .object({ utilization: z.number().finite().min(0), resets_at: z.string().nullish() })
  .loose()
  .nullish()
const UsageAnswerSchema = z
  .object({
    five_hour: WindowSchema,
    seven_day: WindowSchema,
    seven_day_opus: WindowSchema,
    seven_day_sonnet: WindowSchema,
  })
  .loose()

const FIELDS: Record<ServerWindowName, keyof z.infer<typeof UsageAnswerSchema>> = {
  fiveHour: 'five_hour',
  sevenDay: 'seven_day',
  sevenDayOpus: 'seven_day_opus',
  sevenDaySonnet: 'seven_day_sonnet',
}

export interface PollerOptions {
  /** Auth Pool's home (server-usage/ is there). */
  readonly home: string
  /** `AUTH_POOL_API_BASE_URL` moves the endpoint (tests, proxies); `ANTHROPIC_BASE_URL` never does. */
  readonly env: NodeJS.ProcessEnv
  readonly tokens: TokenSources
  readonly now?: () => number
  /** How long one request may take (default 10 s; the CLI waits less). */
  readonly timeoutMs?: number
  readonly userAgent: string
  readonly fetch?: typeof fetch
}

export type PollOutcome = 'updated' | 'failed' | 'not due' | 'off' | 'no token'

/** `retry-after` as milliseconds from now (seconds, or an HTTP date), or 0. */
function retryAfterMs(value: string | null, now: number): number {
  if (!value) return 0
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const at = Date.parse(value)
  return Number.isFinite(at) ? Math.max(0, at - now) : 0
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16) + ' UTC'

export function createUsagePoller(options: PollerOptions) {
  const now = options.now ?? Date.now
  const base = (options.env.AUTH_POOL_API_BASE_URL || DEFAULT_API_BASE_URL).replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 10_000
  const doFetch = options.fetch ?? fetch
  /** One request per account at a time in this process. */
  const inFlight = new Map<string, Promise<PollOutcome>>()

  async function ask(configDir: string, settings: ServerUsageSettings): Promise<PollOutcome> {
    const t = now()
    const record = readServerUsage(options.home, configDir)
    const intervalMs = settings.pollMinutes * 60_000
    const failures = record.poll?.failures ?? 0
    // A back-off holds; otherwise the interval counts from the last request (a shorter one at once).
    const notBefore = record.poll
      ? failures
        ? record.poll.nextAllowedAt
        : Math.min(record.poll.nextAllowedAt, record.poll.lastAttemptAt + intervalMs)
      : 0
    if (notBefore > t) return 'not due'
    const settle = (outcome: PollOutcome, poll: Omit<PollState, 'lastAttemptAt'>) => {
      writeServerUsage(options.home, configDir, { poll: { lastAttemptAt: t, ...poll } })
      return outcome
    }
    /** A failure that backs off: the interval doubled per failure in a row (at most 6 h), or retry-after. */
    const backOff = (lastError: (next: number) => string, waitMs = 0) => {
      const next = t + Math.max(waitMs, Math.min(intervalMs * 2 ** (failures + 1), MAX_BACKOFF_MS))
      return settle('failed', { nextAllowedAt: next, failures: failures + 1, lastError: lastError(next) })
    }

    const credentials = readAccessToken(configDir, options.tokens)
    // No token, nothing asked: the account's login state says why (no login, or none readable here).
    if (credentials === null) return 'no token'
    if (credentials.expiresAt !== null && credentials.expiresAt <= t)
      return settle('failed', {
        nextAllowedAt: t + intervalMs,
        failures,
        lastError: `its login token expired at ${clock(credentials.expiresAt)}; Claude Code renews it the next time it runs on this account`,
      })
    // The slot is taken before asking: another process looking meanwhile finds it taken.
    writeServerUsage(options.home, configDir, {
      poll: { lastAttemptAt: t, nextAllowedAt: t + intervalMs, failures, lastError: record.poll?.lastError ?? null },
    })

    let response: Response
    try {
      response = await doFetch(`${base}/api/oauth/usage`, {
        headers: {
          Authorization: `Bearer ${credentials.token}`,
          'anthropic-beta': 'oauth-2025-04-20',
          'User-Agent': options.userAgent,
          Accept: 'application/json',
        },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      const name = (error as Error).name
      const why =
        name === 'TimeoutError' || name === 'AbortError'
          ? `did not answer within ${timeoutMs / 1000} s`
          : `could not be reached (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message})`
      return backOff(() => `the usage endpoint ${why}`)
    }
    if (response.status === 401 || response.status === 403) {
      void response.body?.cancel()
      return settle('failed', {
        nextAllowedAt: t + intervalMs,
        failures,
        lastError: `Anthropic refused the login token (HTTP ${response.status}); Claude Code renews it the next time it runs on this account`,
      })
    }
    // 429, 5xx, anything else unexpected: back off, honouring retry-after.
    if (!response.ok) {
      void response.body?.cancel()
      return backOff(
        (next) => `the usage endpoint answered HTTP ${response.status}; asking again after ${clock(next)}`,
        retryAfterMs(response.headers.get('retry-after'), t),
      )
    }
    let answer: z.infer<typeof UsageAnswerSchema>
    try {
      const parsed = UsageAnswerSchema.safeParse(await response.json())
      if (!parsed.success)
        throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
      answer = parsed.data
    } catch (error) {
      return settle('failed', {
        nextAllowedAt: t + intervalMs,
        failures,
        lastError: `the usage endpoint's answer was not understood (${(error as Error).message})`,
      })
    }
    const observedAt = now()
    const windows: Partial<Record<ServerWindowName, ServerWindow>> = {}
    for (const [name, field] of Object.entries(FIELDS) as [ServerWindowName, keyof typeof answer][]) {
      const w = answer[field] as z.infer<typeof WindowSchema>
      if (!w) continue
      const resetsAt = w.resets_at ? Date.parse(w.resets_at) : NaN
      windows[name] = {
        percent: w.utilization,
        resetsAt: Number.isFinite(resetsAt) ? resetsAt : null,
        observedAt,
        source: 'endpoint',
      }
    }
    writeServerUsage(options.home, configDir, {
      windows,
      poll: { lastAttemptAt: t, nextAllowedAt: t + intervalMs, failures: 0, lastError: null },
    })
    return 'updated'
  }

  /**
   * Asks the endpoint for one account if it is due; what happened is kept in the account's file (the
   * figures, or the problem). Never throws for the endpoint's sake; a file that cannot be written does.
   */
  function poll(configDir: string, settings: ServerUsageSettings): Promise<PollOutcome> {
    if (!settings.contactAnthropic) return Promise.resolve('off')
    const running = inFlight.get(configDir)
    if (running) return running
    const started = ask(configDir, settings).finally(() => inFlight.delete(configDir))
    inFlight.set(configDir, started)
    return started
  }

  return {
    poll,
    /** Every enabled account of the pool that is due, at once (what happens is kept in each account's file). */
    async pollDue(pool: {
      readonly accounts: readonly { readonly enabled: boolean; readonly configDir: string }[]
      readonly settings: { readonly serverUsage: ServerUsageSettings }
    }): Promise<void> {
      const due = pool.accounts.filter((a) => a.enabled)
      await Promise.all(due.map((a) => poll(a.configDir, pool.settings.serverUsage).catch(() => undefined)))
    },
  }
}
export type UsagePoller = ReturnType<typeof createUsagePoller>
