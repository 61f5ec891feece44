import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../shared/errors'
import { createStateStore } from '../../store/stateStore'
import { accountDir, testEngine } from '../../../../test/helpers/enginePorts'
import { FakeClock } from '../../../../test/helpers/fakeClock'
import { appendLines, assistantLine, subscriptionLimitLine } from '../../../../test/helpers/transcripts'
import { tempDir } from '../../../../test/helpers/tempDir'
import type { Pool } from '../pool'
import { createUsageService } from '../../usage/usageService'

const HOUR = 3_600_000

/** An engine with two max5 accounts ($40 per block) whose block spend the test sets. */
async function pool(options: { clock?: FakeClock; home?: string } = {}) {
  const clock = options.clock ?? new FakeClock()
  const store = options.home ? createStateStore({ home: options.home }) : undefined
  const t = testEngine({ clock, ...(store ? { store } : {}) })
  const work = await t.engine.addAccount({ name: 'work-max', configDir: accountDir('w'), plan: 'max5' })
  const personal = await t.engine.addAccount({ name: 'personal', configDir: accountDir('p'), plan: 'max5' })
  await t.engine.idle()
  const blockStart = new Date(Math.floor(clock.now().getTime() / HOUR) * HOUR)
  const spend = (accountId: string, usd: number, start = blockStart) =>
    t.usage.set(accountId, {
      blockCostUsd: usd,
      blockStartedAt: start,
      blockEndsAt: new Date(start.getTime() + 5 * HOUR),
    })
  return { ...t, clock, work, personal, spend, blockStart }
}

const titles = (records: { title: string }[]) => records.map((r) => r.title)

describe('usage thresholds', () => {
  it('70 → 80 → 95% in one block gives exactly one 75% and one 90% notification', async () => {
    const { engine, work, spend, notifications } = await pool()
    await engine.evaluateRules()
    const raised = []
    for (const percent of [70, 80, 95]) {
      spend(work.id, 0.4 * percent)
      raised.push(...(await engine.evaluateRules()))
    }
    expect(titles(raised)).toEqual(['work-max at 75% of its 5-hour window', 'work-max at 90% of its 5-hour window'])
    expect(raised[1]!.body).toMatch(
      /95% used \(estimate, \$38\.00\), resets [\d:]+( [AP]M)? — new sessions go to personal/,
    )
    expect(notifications.map((n) => n.title)).toEqual(titles(raised))
    expect(await engine.evaluateRules()).toEqual([])
  })

  it("notifies on Claude's own figures, with no transcript on this machine, once per window", async () => {
    const { engine, work, usage, clock } = await pool()
    await engine.evaluateRules()
    const now = clock.now().getTime()
    // Claude's figures from two sources: the status line (epoch seconds) and the endpoint (ms): same window.
    const observe = (percent: number, resetsAt: number) =>
      usage.set(work.id, {
        server: {
          windows: { fiveHour: { percent, resetsAt, observedAt: now, source: 'statusline' } },
          calibration: {},
          problem: null,
          costSinceUsd: {},
        },
      })
    observe(80, now + 2 * HOUR)
    const raised = await engine.evaluateRules()
    expect(titles(raised)).toEqual(['work-max at 75% of its 5-hour window'])
    expect(raised[0]!.body).toMatch(/^80% used \(Claude's figure\), resets /)
    observe(81, now + 2 * HOUR + 400)
    expect(await engine.evaluateRules()).toEqual([])
    // The next window re-arms it.
    observe(78, now + 7 * HOUR)
    expect(titles(await engine.evaluateRules())).toEqual(['work-max at 75% of its 5-hour window'])
  })

  it('evaluates on every usage change without rewriting the state file while nothing crosses', async () => {
    const { engine, work, spend, store } = await pool()
    const commits = async () => (await store.read()).revision
    await engine.evaluateRules()
    const before = await commits()
    for (const percent of [10, 20, 30, 40]) {
      spend(work.id, 0.4 * percent)
      expect(await engine.evaluateRules()).toEqual([])
    }
    expect(await commits()).toBe(before)
    spend(work.id, 0.4 * 80) // a crossing is remembered, and so written
    expect(titles(await engine.evaluateRules())).toEqual(['work-max at 75% of its 5-hour window'])
    expect(await commits()).toBeGreaterThan(before)
  })

  it('a jump from 0 to 95% gives one notification, for 90%, and a new block re-arms', async () => {
    const { engine, work, spend, blockStart } = await pool()
    spend(work.id, 38)
    expect(titles(await engine.evaluateRules())).toEqual(['work-max at 90% of its 5-hour window'])
    spend(work.id, 31, new Date(blockStart.getTime() + 5 * HOUR))
    expect(titles(await engine.evaluateRules())).toEqual(['work-max at 75% of its 5-hour window'])
  })

  it('a restart between crossings repeats nothing', async () => {
    const home = join(tempDir(), 'home')
    const clock = new FakeClock()
    const first = await pool({ clock, home })
    first.spend(first.work.id, 32)
    expect(await first.engine.evaluateRules()).toHaveLength(1)
    const second = testEngine({ clock, store: createStateStore({ home: home }) })
    second.usage.set(first.work.id, {
      blockCostUsd: 33,
      blockStartedAt: first.blockStart,
      blockEndsAt: new Date(first.blockStart.getTime() + 5 * HOUR),
    })
    expect(await second.engine.evaluateRules()).toEqual([])
    second.usage.set(first.work.id, {
      blockCostUsd: 37,
      blockStartedAt: first.blockStart,
      blockEndsAt: new Date(first.blockStart.getTime() + 5 * HOUR),
    })
    expect(titles(await second.engine.evaluateRules())).toEqual(['work-max at 90% of its 5-hour window'])
  })

  it('watches the week too, and re-arms once weekly usage falls back below the threshold', async () => {
    const { engine, work, usage } = await pool()
    usage.set(work.id, { weekCostUsd: 210 })
    expect(titles(await engine.evaluateRules())).toEqual(['work-max at 80% of its week'])
    usage.set(work.id, { weekCostUsd: 100 })
    expect(await engine.evaluateRules()).toEqual([])
    usage.set(work.id, { weekCostUsd: 205 })
    expect(titles(await engine.evaluateRules())).toEqual(['work-max at 80% of its week'])
  })
})

describe('limits, forecast and logins', () => {
  /** An engine on the real usage service at 10:00 UTC, with `work-max` (as given) and a `personal` account. */
  async function withRealUsage(workMax: Partial<Parameters<Pool['addAccount']>[0]>) {
    const clock = new FakeClock(Date.parse('2026-11-27T10:00:00Z'))
    const configDir = accountDir('work-max')
    const usage = createUsageService({ indexDir: join(tempDir(), 'index'), now: () => clock.now().getTime() })
    const t = testEngine({ clock, usage })
    const account = await t.engine.addAccount({ name: 'work-max', configDir, ...workMax })
    await t.engine.addAccount({ name: 'personal', configDir: accountDir('personal'), plan: 'pro' })
    await t.engine.idle()
    return { clock, configDir, usage, t, account }
  }

  it('announces a limit from a real usage-limit line in a transcript, and its reset, once each', async () => {
    const { clock, configDir, usage, t, account } = await withRealUsage({ plan: 'max5' })
    const resets = Date.parse('2026-11-27T12:00:00Z') / 1000
    appendLines(join(configDir, 'projects', '-repo', 's.jsonl'), [
      assistantLine({ time: '2026-11-27T09:50:00Z', input: 10, output: 10 }),
      subscriptionLimitLine(new Date('2026-11-27T09:55:00Z'), resets),
    ])
    usage.refresh(account)
    const reached = await t.engine.evaluateRules()
    expect(reached.map((r) => [r.kind, r.accountId])).toEqual([['limit_reached', account.id]])
    expect(reached[0]!.body).toMatch(/available again at [\d:]+( [AP]M)? — new sessions go to personal/)
    expect(await t.engine.evaluateRules()).toEqual([])
    const status = await t.engine.status()
    expect(status.accounts.find((a) => a.id === account.id)!.standing).toMatchObject({
      status: 'limited',
      freesAt: '2026-11-27T12:00:00.000Z',
    })
    await clock.advance(2 * HOUR + 60_000)
    expect(titles(await t.engine.evaluateRules())).toEqual(['work-max is available again'])
    expect(await t.engine.evaluateRules()).toEqual([])
  })

  it('frees a weekly-limited account when enough of its week has left, not when its oldest spend does, and says so once', async () => {
    const { clock, configDir, usage, t, account } = await withRealUsage({
      plan: 'custom',
      blockBudgetUsd: 1000,
      weeklyBudgetUsd: 5,
    })
    // $3 on each of four days ($12 against $5): under budget only once three of them have left the week.
    appendLines(
      join(configDir, 'projects', '-repo', 's.jsonl'),
      [21, 22, 23, 24].map((day) =>
        assistantLine({ time: `2026-11-${day}T12:00:00Z`, model: 'claude-sonnet-4-5', input: 1_000_000, output: 0 }),
      ),
    )
    usage.refresh(account)
    const standing = async () => (await t.engine.status()).accounts.find((a) => a.id === account.id)!.standing
    expect(await standing()).toMatchObject({ status: 'limited', freesAt: '2026-11-30T12:00:00.000Z' })
    expect((await t.engine.evaluateRules()).map((r) => r.kind)).toEqual(['usage_threshold', 'limit_reached'])
    // The oldest $3 leaves on the 28th: $9 is still over, the free time stays, nothing is announced again.
    await clock.advance(Date.parse('2026-11-28T13:00:00Z') - clock.now().getTime())
    expect(await standing()).toMatchObject({ status: 'limited', freesAt: '2026-11-30T12:00:00.000Z' })
    expect(await t.engine.evaluateRules()).toEqual([])
    await clock.advance(Date.parse('2026-11-30T12:01:00Z') - clock.now().getTime())
    expect((await standing()).available).toBe(true)
    expect(titles(await t.engine.evaluateRules())).toEqual(['work-max is available again'])
  })

  it('forecasts the pool running out at a steady burn rate', async () => {
    const { engine, work, personal, usage, blockStart } = await pool()
    await engine.saveRule({
      id: 'forecast-30',
      kind: 'pool_forecast',
      withinMinutes: 30,
      enabled: true,
      accounts: 'all',
    })
    await engine.idle()
    const ends = new Date(blockStart.getTime() + 5 * HOUR)
    usage.set(work.id, { blockCostUsd: 20, blockStartedAt: blockStart, blockEndsAt: ends, blockBurnUsdPerHour: 60 }) // $20 left: 20 min
    usage.set(personal.id, { blockCostUsd: 10, blockStartedAt: blockStart, blockEndsAt: ends, blockBurnUsdPerHour: 10 }) // $30 left: 3 h
    expect((await engine.evaluateRules()).filter((r) => r.kind === 'pool_forecast')).toEqual([])
    usage.set(personal.id, { blockCostUsd: 25, blockStartedAt: blockStart, blockEndsAt: ends, blockBurnUsdPerHour: 60 }) // 15 min
    const raised = (await engine.evaluateRules()).filter((r) => r.kind === 'pool_forecast')
    expect(titles(raised)).toEqual(['Every account runs out within 20 minutes'])
    expect((await engine.evaluateRules()).filter((r) => r.kind === 'pool_forecast')).toEqual([])
  })

  it('warns about logins that expired or expire within the window, from .credentials.json', async () => {
    const { engine, work, personal, clock } = await pool()
    await engine.saveRule({ id: 'login-3d', kind: 'login_expiring', withinDays: 3, enabled: true, accounts: 'all' })
    await engine.idle()
    const now = clock.now().getTime()
    const credentials = (expiresAt: number) =>
      JSON.stringify({ claudeAiOauth: { accessToken: 'secret', refreshToken: 'secret', expiresAt, scopes: [] } })
    writeFileSync(join(work.configDir, '.credentials.json'), credentials(now - HOUR))
    writeFileSync(join(personal.configDir, '.credentials.json'), credentials(now + 2 * 24 * HOUR))
    const raised = await engine.evaluateRules()
    expect(titles(raised).sort()).toEqual(["personal's login expires in 2 day(s)", "work-max's login has expired"])
    expect(JSON.stringify(raised)).not.toContain('secret')
    expect(await engine.evaluateRules()).toEqual([])
  })
})

describe('delivery', () => {
  /** One max5 account at 95% of its block, a notifier that behaves as given, and the real back-off (1 s, 5 s). */
  async function pastNinetyPercent(notify: () => Promise<void>) {
    const clock = new FakeClock()
    const t = testEngine({ clock, deliveryBackoffMs: [1000, 5000], notifier: { notify } })
    const a = await t.engine.addAccount({ name: 'a', configDir: accountDir(), plan: 'max5' })
    await t.engine.idle()
    t.usage.set(a.id, {
      blockCostUsd: 38,
      blockStartedAt: clock.now(),
      blockEndsAt: new Date(clock.now().getTime() + 5 * HOUR),
    })
    return { t, clock }
  }

  it('delivers once when the notifier fails twice and then succeeds', async () => {
    let calls = 0
    const { t, clock } = await pastNinetyPercent(async () => {
      if (++calls <= 2) throw new Error('notification service busy')
    })
    await clock.advanceUntil(t.engine.evaluateRules())
    expect(calls).toBe(3)
    const [record] = await t.engine.notifications()
    expect(record).toMatchObject({ delivery: 'delivered', attempts: 3, lastError: null })
  })

  it('keeps a notification it could never show as undelivered, and counts it, without crashing', async () => {
    const { t, clock } = await pastNinetyPercent(async () => {
      throw new Error('notifications are not supported here')
    })
    await expect(clock.advanceUntil(t.engine.evaluateRules())).resolves.toHaveLength(1)
    const [record] = await t.engine.notifications()
    expect(record).toMatchObject({
      delivery: 'undelivered',
      attempts: 3,
      lastError: 'notifications are not supported here',
    })
    expect((await t.engine.status()).undeliveredCount).toBe(1)
  })

  it('keeps the last 500 notifications, dropping the oldest', async () => {
    const { engine, store, work, personal, spend } = await pool()
    await store.transact((d) => {
      for (let i = 0; i < 499; i++)
        d.notifications.push({
          id: crypto.randomUUID(),
          at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
          kind: 'limit_reset',
          ruleId: 'limit-reset',
          accountId: null,
          title: `old ${i}`,
          body: '',
          suggestedAccountId: null,
          delivery: 'delivered',
          attempts: 1,
          lastError: null,
          deliveredAt: null,
        })
    })
    spend(work.id, 38)
    spend(personal.id, 38)
    expect(await engine.evaluateRules()).toHaveLength(2)
    const history = await engine.notifications()
    expect(history).toHaveLength(500)
    expect(history[0]!.title).toMatch(/at 90% of its 5-hour window/)
    expect(history.at(-1)!.title).toBe('old 1')
  })
})

describe('rule validation', () => {
  it('refuses a threshold rule without a percent, with the field path, and stores nothing', async () => {
    const { engine } = await pool()
    const before = await engine.rules()
    const error = await engine
      .saveRule({ id: 'bad', kind: 'usage_threshold', window: '5h', enabled: true, accounts: 'all' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues).toEqual([
      { path: ['percent'], message: 'a threshold rule needs a percent from 1 to 100' },
    ])
    const zero = await engine
      .saveRule({ id: 'bad', kind: 'usage_threshold', window: '5h', percent: 0, enabled: true, accounts: 'all' })
      .catch((e: unknown) => e)
    expect((zero as ValidationError).issues[0]!.path).toEqual(['percent'])
    const ghost = await engine
      .saveRule({ id: 'bad', kind: 'limit_reached', enabled: true, accounts: ['3f1c6a52-2f8f-4a43-9a57-3c9a2c7a9d11'] })
      .catch((e: unknown) => e)
    expect((ghost as ValidationError).issues[0]!.path).toEqual(['accounts', 0])
    expect(await engine.rules()).toEqual(before)
  })

  it('starts with the default rules', async () => {
    const { engine } = await pool()
    expect((await engine.rules()).map((r) => r.id)).toEqual([
      'five-hour-75',
      'five-hour-90',
      'week-80',
      'limit-reached',
      'limit-reset',
      'rebalance-failing',
    ])
  })
})
