import { describe, expect, it } from 'vitest'
import { PoolExhaustedError } from '../../shared/errors'
import type { ServerFigures, ServerWindow } from '../../shared/serverWindows'
import { writeCredentials } from '../../../test/helpers/accounts'
import { accountDir, testEngine } from '../../../test/helpers/enginePorts'

const MIN = 60_000
const HOUR = 60 * MIN

/** Claude's figures as the usage service hands them over: observed `agoMs` before the test clock's now. */
function server(
  now: number,
  windows: Partial<
    Record<'fiveHour' | 'sevenDay' | 'sevenDayOpus', { percent: number; resetsIn?: number | null; agoMs?: number }>
  >,
  more: Partial<ServerFigures> = {},
): ServerFigures {
  const out: Record<string, ServerWindow> = {}
  for (const [name, w] of Object.entries(windows))
    out[name] = {
      percent: w.percent,
      resetsAt: w.resetsIn === null ? null : now + (w.resetsIn ?? 2 * HOUR),
      observedAt: now - (w.agoMs ?? MIN),
      source: 'statusline',
    }
  return { windows: out, calibration: {}, problem: null, costSinceUsd: {}, ...more }
}

async function twoAccounts() {
  const t = testEngine()
  const a = await t.engine.addAccount({ name: 'a', configDir: accountDir('a'), plan: 'max5' })
  const b = await t.engine.addAccount({ name: 'b', configDir: accountDir('b'), plan: 'max5' })
  return { ...t, a, b, now: t.clock.now().getTime() }
}

describe("decisions on Claude's own percentages", () => {
  it('allocates by the server percentages when local dollars say otherwise', async () => {
    const { engine, usage, a, b, now } = await twoAccounts()
    // Locally a looks idle ($2 of a $40 guess) and b busy ($30): Claude says a is at 95 %, b at 10 %.
    usage.set(a.id, { blockCostUsd: 2, server: server(now, { fiveHour: { percent: 95 }, sevenDay: { percent: 40 } }) })
    usage.set(b.id, { blockCostUsd: 30, server: server(now, { fiveHour: { percent: 10 }, sevenDay: { percent: 20 } }) })
    expect((await engine.allocate({})).account.name).toBe('b')
    const [viewA, viewB] = await engine.listAccounts()
    expect(viewA!.standing).toMatchObject({ basis: 'server', blockRatio: 0.95, weekRatio: 0.4, status: 'near_limit' })
    expect(viewA!.standing.reason).toBe('near its 5-hour limit')
    expect(viewB!.standing).toMatchObject({ basis: 'server', blockRatio: 0.1, weekRatio: 0.2, status: 'available' })
    expect(viewB!.standing.server).toMatchObject({ stale: false, fiveHour: { percent: 10, source: 'statusline' } })
  })

  it('is limited at 100 % until the window resets, as Claude said', async () => {
    const { engine, usage, a, b, now } = await twoAccounts()
    usage.set(a.id, { server: server(now, { fiveHour: { percent: 100, resetsIn: 40 * MIN } }) })
    usage.set(b.id, { server: server(now, { sevenDay: { percent: 100, resetsIn: 30 * HOUR } }) })
    const [viewA, viewB] = await engine.listAccounts()
    expect(viewA!.standing).toMatchObject({
      status: 'limited',
      reason: '5-hour limit reached',
      freesAt: new Date(now + 40 * MIN).toISOString(),
    })
    expect(viewB!.standing).toMatchObject({
      status: 'limited',
      reason: 'weekly limit reached',
      freesAt: new Date(now + 30 * HOUR).toISOString(),
    })
    await expect(engine.allocate({})).rejects.toThrow(PoolExhaustedError)
  })

  it('falls back to the local estimate, said as one, when the figures are stale; a reset window counts 0 %', async () => {
    const { engine, usage, a, b, now } = await twoAccounts()
    usage.set(a.id, { blockCostUsd: 4, server: server(now, { fiveHour: { percent: 97, agoMs: 11 * MIN } }) })
    usage.set(b.id, {
      blockCostUsd: 36,
      server: server(now, { fiveHour: { percent: 99, resetsIn: -MIN, agoMs: 2 * HOUR } }),
    })
    const [viewA, viewB] = await engine.listAccounts()
    expect(viewA!.standing).toMatchObject({ basis: 'estimate', blockRatio: 0.1, status: 'available' })
    expect(viewA!.standing.server).toMatchObject({ stale: true, fiveHour: { percent: 97 } })
    expect(viewB!.standing.server!.fiveHour).toMatchObject({ percent: 0, reportedPercent: 99, resetsAt: null })
    // Fresh for 20 minutes instead (a setting): a's 97 % decides again.
    await engine.updateSettings({ serverUsage: { contactAnthropic: true, pollMinutes: 5, freshMinutes: 20 } })
    expect((await engine.listAccounts())[0]!.standing).toMatchObject({ basis: 'server', status: 'near_limit' })
  })

  it("adds this machine's usage since the observation, and prices the estimate at the learned dollars per percent", async () => {
    const { engine, usage, a, b, now } = await twoAccounts()
    const calibration = { fiveHour: { dollarsPerPercent: 0.31, samples: 4, lastObservedAt: now - MIN } }
    // 40 % a minute ago, and $6.20 spent since: 20 % more at $0.31 a percent.
    usage.set(a.id, {
      blockCostUsd: 12,
      blockBurnUsdPerHour: 9.3,
      blockEndsAt: new Date(now + 3 * HOUR),
      server: server(
        now,
        { fiveHour: { percent: 40, resetsIn: 3 * HOUR } },
        { calibration, costSinceUsd: { fiveHour: 6.2 } },
      ),
    })
    // No fresh figures: the estimate divides by the learned $31 a window, not the plan's $40 guess.
    usage.set(b.id, {
      blockCostUsd: 15.5,
      server: server(now, { fiveHour: { percent: 10, agoMs: 3 * HOUR } }, { calibration }),
    })
    const [viewA, viewB] = await engine.listAccounts()
    expect(viewA!.standing.blockRatio).toBeCloseTo(0.6, 10)
    expect(viewA!.standing.server!.fiveHour).toMatchObject({ reportedPercent: 40 })
    // 40 % left at $9.30/h, $0.31 a percent: 1 h 20 min.
    expect(viewA!.standing.blockRunsOutAt).toBe(new Date(now + 80 * MIN).toISOString())
    expect(viewA!.standing.calibration.fiveHourUsd).toBeCloseTo(31, 10)
    expect(viewB!.standing).toMatchObject({ basis: 'estimate', blockRatio: 0.5 })
    expect(viewB!.standing.blockBudgetUsd).toBeCloseTo(31, 10)
    // A budget the user typed still wins.
    await engine.updateAccount('b', { blockBudgetUsd: 62 })
    expect((await engine.listAccounts())[1]!.standing.blockRatio).toBe(0.25)
  })
})

describe('only usable accounts', () => {
  it('never picks an account without a login, or with one expired for good, automatically', async () => {
    const t = testEngine()
    const now = t.clock.now().getTime()
    const fresh = accountDir('fresh', { login: false })
    const expired = accountDir('expired', { login: false })
    writeCredentials(expired, { accessToken: 'x', expiresAt: now - HOUR, refreshToken: null })
    const renewable = accountDir('renewable', { login: false })
    writeCredentials(renewable, { accessToken: 'x', expiresAt: now - HOUR }) // Claude Code renews it as it starts
    await t.engine.addAccount({ name: 'fresh', configDir: fresh, priority: 10 })
    await t.engine.addAccount({ name: 'expired', configDir: expired, priority: 5 })
    await t.engine.addAccount({ name: 'renewable', configDir: renewable })
    const status = await t.engine.status()
    expect(status.availableCount).toBe(1)
    expect(status.autoPick).toMatchObject({ name: 'renewable' })
    expect(status.accounts.map((a) => [a.name, a.standing.status, a.standing.login, a.standing.reason])).toEqual([
      ['fresh', 'logged_out', 'logged_out', 'not logged in to Claude'],
      ['expired', 'logged_out', 'expired', 'its Claude login has expired'],
      ['renewable', 'available', 'logged_in', 'has headroom'],
    ])
    // Picked in the tray, an account without a login is passed over, and said so.
    await t.engine.setPreferredAccount('fresh')
    expect(await t.engine.allocate({})).toMatchObject({
      account: { name: 'renewable' },
      notice: 'the picked account fresh is unavailable (not logged in to Claude); using renewable instead',
    })
  })

  it('says which accounts to log in, and how, when none can run', async () => {
    const t = testEngine()
    await t.engine.addAccount({ name: 'a', configDir: accountDir('a', { login: false }) })
    await t.engine.addAccount({ name: 'my b', configDir: accountDir('b', { login: false }) })
    await expect(t.engine.allocate({})).rejects.toThrow(
      "no account is available (a: not logged in to Claude, my b: not logged in to Claude); log in with `auth-pool login a` or `auth-pool login 'my b'`",
    )
    // A session that brings its own credentials (a kept API key, CLAUDE_CODE_OAUTH_TOKEN) can run anywhere.
    expect((await t.engine.allocate({ ownCredentials: true })).account.name).toBe('a')
  })
})
