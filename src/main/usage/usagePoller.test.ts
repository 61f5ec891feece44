import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeAnthropic, type UsageEndpointAnswer } from '../../../test/helpers/fakeAnthropic'
import { writeCredentials } from '../../../test/helpers/accounts'
import { tempDir } from '../../../test/helpers/tempDir'
import { DEFAULT_SERVER_USAGE } from '../../shared/schemas/settings'
import { keychainService } from './oauthToken'
import { readServerUsage } from './serverUsageFile'
import { createUsagePoller } from './usagePoller'

const T0 = Date.parse('2026-12-06T10:00:00Z')
const MIN = 60_000
const TOKEN = 'sk-ant-oat01-poller-test-token-0123456789'
const servers: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

const ANSWER = {
  five_hour: { utilization: 37, resets_at: '2026-12-06T12:00:00.000Z' },
  seven_day: { utilization: 61.5, resets_at: '2026-12-10T08:00:00+00:00' },
  seven_day_opus: { utilization: 80, resets_at: '2026-12-10T08:00:00Z' },
  seven_day_sonnet: null,
  extra_usage: { is_enabled: false },
}

/** Every file under a folder, read whole: where a token must never appear. */
function everyFile(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
}

async function setup(answers: UsageEndpointAnswer[], expiresAt = T0 + 3_600_000) {
  let i = 0
  const server = await startFakeAnthropic(() => ({ kind: 'stall' }), {
    usageEndpoint: () => answers[Math.min(i++, answers.length - 1)]!,
  })
  servers.push(server)
  const home = tempDir('home-')
  const configDir = tempDir('acct-')
  writeCredentials(configDir, { accessToken: TOKEN, expiresAt })
  let now = T0
  const newPoller = () =>
    createUsagePoller({
      home,
      // ANTHROPIC_BASE_URL is Claude Code's, never the poller's: it goes to AUTH_POOL_API_BASE_URL only.
      env: { AUTH_POOL_API_BASE_URL: server.url, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' },
      tokens: { platform: 'linux', homedir: '/nonexistent', user: 'dev' },
      now: () => now,
      timeoutMs: 300,
      userAgent: 'auth-pool/test',
    })
  const poller = newPoller()
  const usageRequests = () => server.requests.filter((r) => r.path === '/api/oauth/usage')
  return {
    server,
    home,
    configDir,
    poller,
    anotherPoller: newPoller,
    usageRequests,
    advance: (ms: number) => (now += ms),
    record: () => readServerUsage(home, configDir),
  }
}

describe("Claude's usage endpoint, asked gently", () => {
  it('records every window of a fresh answer, with its token sent only there and never written anywhere', async () => {
    const t = await setup([{ status: 200, body: ANSWER }])
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('updated')
    const [request] = t.usageRequests()
    expect(request!.method).toBe('GET')
    expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(request!.headers['anthropic-beta']).toBe('oauth-2025-04-20')
    expect(t.record().windows).toEqual({
      fiveHour: { percent: 37, resetsAt: Date.parse('2026-12-06T12:00:00Z'), observedAt: T0, source: 'endpoint' },
      sevenDay: { percent: 61.5, resetsAt: Date.parse('2026-12-10T08:00:00Z'), observedAt: T0, source: 'endpoint' },
      sevenDayOpus: { percent: 80, resetsAt: Date.parse('2026-12-10T08:00:00Z'), observedAt: T0, source: 'endpoint' },
    })
    expect(t.record().poll).toMatchObject({ failures: 0, lastError: null, nextAllowedAt: T0 + 5 * MIN })
    // Only the usage endpoint was asked: no token refresh, nothing else.
    expect(t.server.requests.map((r) => r.path)).toEqual(['/api/oauth/usage'])
    expect(everyFile(t.home)).not.toContain(TOKEN)
    expect(everyFile(t.home)).not.toContain(TOKEN.slice(-12))
  })

  it('asks at most once per account per interval, however often it is asked, also from two pollers at once', async () => {
    const t = await setup([{ status: 200, body: ANSWER }])
    const other = t.anotherPoller() // another process's, on the same home
    const outcomes = await Promise.all([
      ...[1, 2, 3].map(() => t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)),
      other.poll(t.configDir, DEFAULT_SERVER_USAGE),
    ])
    expect(outcomes).toEqual(['updated', 'updated', 'updated', 'not due']) // one request, shared
    for (let minute = 1; minute < 5; minute++) {
      t.advance(MIN)
      expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('not due')
    }
    expect(t.usageRequests()).toHaveLength(1)
    t.advance(MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('updated')
    expect(t.usageRequests()).toHaveLength(2)
    // The interval is a setting, never below 2 minutes (the settings schema refuses less); a shorter one
    // counts from the last request at once.
    t.advance(2 * MIN)
    expect(await t.poller.poll(t.configDir, { ...DEFAULT_SERVER_USAGE, pollMinutes: 2 })).toBe('updated')
    expect(t.usageRequests()).toHaveLength(3)
  })

  it('backs off exponentially on 429 and 5xx, honouring retry-after, and keeps the figures it had', async () => {
    const t = await setup([
      { status: 200, body: ANSWER },
      { status: 429, headers: { 'retry-after': '1800' }, body: { error: 'rate_limited' } },
      { status: 503, body: 'unavailable' },
      { status: 200, body: { ...ANSWER, five_hour: { utilization: 44, resets_at: '2026-12-06T12:00:00Z' } } },
    ])
    await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)
    t.advance(5 * MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('failed')
    const afterLimit = t.record()
    expect(afterLimit.poll!.nextAllowedAt).toBe(T0 + 5 * MIN + 30 * MIN) // retry-after beats 2 × 5 min
    expect(afterLimit.poll!.lastError).toMatch(/HTTP 429; asking again after 10:35 UTC/)
    expect(afterLimit.windows.fiveHour!.percent).toBe(37) // what was known stays
    t.advance(29 * MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('not due')
    t.advance(MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('failed') // 503
    expect(t.record().poll).toMatchObject({ failures: 2, nextAllowedAt: T0 + 35 * MIN + 20 * MIN }) // 5 min × 2²
    t.advance(19 * MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('not due')
    t.advance(MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('updated')
    expect(t.record().windows.fiveHour!.percent).toBe(44)
    expect(t.record().poll).toMatchObject({ failures: 0, lastError: null })
    expect(t.usageRequests()).toHaveLength(4)
  })

  it('never refreshes an expired token: it says so and asks nothing until Claude Code renews it', async () => {
    const t = await setup([{ status: 200, body: ANSWER }], T0 - MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('failed')
    expect(t.record().poll!.lastError).toMatch(
      /login token expired at 09:59 UTC; Claude Code renews it the next time it runs on this account/,
    )
    expect(t.server.requests).toEqual([])
    // Claude Code renewed it (a new file): the next due poll asks.
    writeCredentials(t.configDir, { accessToken: `${TOKEN}-renewed`, expiresAt: T0 + 8 * 3_600_000 })
    t.advance(5 * MIN)
    expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('updated')
    expect(t.usageRequests()[0]!.headers.authorization).toBe(`Bearer ${TOKEN}-renewed`)
  })

  it('says what went wrong on a 401, a malformed answer and a slow one, without a token in the message', async () => {
    const t = await setup([
      { status: 401, body: { type: 'error', error: { type: 'authentication_error' } } },
      { status: 200, body: '{"five_hour": {"utilization": "lots"' },
      { status: 200, body: { five_hour: { utilization: 'lots' } } },
      { status: 200, stall: true },
    ])
    const problems: string[] = []
    for (let i = 0; i < 4; i++) {
      expect(await t.poller.poll(t.configDir, DEFAULT_SERVER_USAGE)).toBe('failed')
      problems.push(t.record().poll!.lastError!)
      t.advance(5 * MIN)
    }
    expect(problems[0]).toMatch(/Anthropic refused the login token \(HTTP 401\)/)
    expect(problems[1]).toMatch(/the usage endpoint's answer was not understood/)
    expect(problems[2]).toMatch(/not understood \(five_hour\.utilization: .*number/)
    expect(problems[3]).toBe('the usage endpoint did not answer within 0.3 s')
    for (const p of problems) expect(p).not.toContain(TOKEN.slice(-12))
    expect(t.record().windows).toEqual({})
    expect(everyFile(t.home)).not.toContain(TOKEN.slice(-12))
  })

  it('asks nothing when contact with Anthropic is off, or there is no token to ask with', async () => {
    const t = await setup([{ status: 200, body: ANSWER }])
    expect(await t.poller.poll(t.configDir, { ...DEFAULT_SERVER_USAGE, contactAnthropic: false })).toBe('off')
    // Without a token (no login, or one this user cannot read) nothing is asked, and nothing written.
    const bare = tempDir('bare-')
    expect(await t.poller.poll(bare, DEFAULT_SERVER_USAGE)).toBe('no token')
    const broken = tempDir('broken-')
    mkdirSync(join(broken, '.credentials.json')) // unreadable as a file
    expect(await t.poller.poll(broken, DEFAULT_SERVER_USAGE)).toBe('no token')
    expect(readdirSync(t.home)).toEqual([])
    expect(t.server.requests).toEqual([])
  })

  it('names the macOS Keychain entry as Claude Code does: by a hash of CLAUDE_CONFIG_DIR as spelled', () => {
    expect(keychainService('/Users/dev/.claude', true)).toBe('Claude Code-credentials')
    // Computed apart: printf %s /Users/dev/.claude-work | sha256sum
    expect(keychainService('/Users/dev/.claude-work', false)).toBe('Claude Code-credentials-4298c2ba')
    // Claude Code hashes the NFC form: a name typed decomposed (as macOS file names come) names the same entry.
    expect(keychainService('/Users/dev/cafe\u0301', false)).toBe('Claude Code-credentials-ae475602')
  })
})
