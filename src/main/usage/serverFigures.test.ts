import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { appendLines, assistantLine } from '../../../test/helpers/transcripts'
import { tempDir } from '../../../test/helpers/tempDir'
import { costUsd, PRICES } from './pricing'
import { readServerUsage, writeServerUsage } from './serverUsageFile'
import { createUsageService } from './usageService'

const T0 = Date.parse('2026-12-06T09:00:00Z')
const MIN = 60_000

describe("Claude's figures beside this machine's transcripts", () => {
  it('learns dollars per percent from each new observation once, and counts what was used since', () => {
    const home = tempDir('home-')
    const configDir = tempDir('acct-')
    const transcript = join(configDir, 'projects', '-home-dev-p', 's.jsonl')
    const line = (minutes: number, id: string) =>
      assistantLine({
        time: new Date(T0 + minutes * MIN),
        messageId: id,
        requestId: id,
        input: 100_000,
        output: 20_000,
      })
    appendLines(transcript, [line(0, 'a'), line(30, 'b')])
    const each = costUsd(
      { input: 100_000, output: 20_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
      PRICES.sonnet4,
    )
    let now = T0 + 40 * MIN
    const service = createUsageService({ indexDir: join(home, 'usage-index'), home, now: () => now })
    const account = { id: '1', configDir }
    expect(service.usageOf(account).server).toBeNull() // nothing observed yet

    // The status line saw 12 % at 09:35, in the window that resets at 14:00.
    const fiveHour = (percent: number, observedAt: number) => ({
      percent,
      resetsAt: T0 + 5 * 60 * MIN,
      observedAt,
      source: 'statusline' as const,
    })
    writeServerUsage(home, configDir, { windows: { fiveHour: fiveHour(12, T0 + 35 * MIN) } })
    appendLines(transcript, [line(38, 'c')]) // after the observation
    service.refresh(account)
    const server = service.usageOf(account).server!
    expect(server.calibration.fiveHour!.dollarsPerPercent).toBeCloseTo((2 * each) / 12, 10)
    expect(server.calibration.fiveHour!.samples).toBe(1)
    expect(server.costSinceUsd.fiveHour).toBeCloseTo(each, 10)
    // Kept in the account's file, and not learned twice from the same observation.
    expect(readServerUsage(home, configDir).calibration.fiveHour!.samples).toBe(1)
    service.usageOf(account)
    expect(readServerUsage(home, configDir).calibration.fiveHour!.samples).toBe(1)

    // A newer observation moves the running mean.
    now = T0 + 45 * MIN
    writeServerUsage(home, configDir, { windows: { fiveHour: fiveHour(18, T0 + 44 * MIN) } })
    const next = service.usageOf(account).server!.calibration.fiveHour!
    expect(next.samples).toBe(2)
    expect(next.dollarsPerPercent).toBeCloseTo(((2 * each) / 12 + (3 * each) / 18) / 2, 10)
    // An older observation (another process's, late) never replaces a fresher one.
    writeServerUsage(home, configDir, { windows: { fiveHour: fiveHour(5, T0 + 20 * MIN) } })
    expect(readServerUsage(home, configDir).windows.fiveHour!.percent).toBe(18)
    service.close()
  })

  it("works out when the week falls under the budget the estimate uses, learned from Claude's figures", () => {
    const home = tempDir('home-')
    const configDir = tempDir('acct-')
    const transcript = join(configDir, 'projects', '-home-dev-p', 's.jsonl')
    // $3 at 09:00 and $3 at 10:00 of Sonnet 4 output: $6 this week.
    appendLines(transcript, [
      assistantLine({ time: new Date(T0), messageId: 'a', requestId: 'a', output: 200_000 }),
      assistantLine({ time: new Date(T0 + 60 * MIN), messageId: 'b', requestId: 'b', output: 200_000 }),
    ])
    const service = createUsageService({ indexDir: join(home, 'usage-index'), home, now: () => T0 + 2 * 60 * MIN })
    const calibration = { dollarsPerPercent: 0.05, samples: 3, lastObservedAt: T0 } // a $5 week on this account
    writeServerUsage(home, configDir, { calibration: { sevenDay: calibration } })
    const seen: unknown[] = []
    const usage = service.usageOf({
      id: '1',
      configDir,
      weeklyBudgetUsd: (server) => {
        seen.push(server?.calibration.sevenDay)
        return (server?.calibration.sevenDay?.dollarsPerPercent ?? 1) * 100
      },
    })
    expect(seen).toEqual([calibration])
    // Over $5 until the first $3 leaves the rolling week, a week after 09:00.
    expect(usage.weekUnderBudgetAt?.getTime()).toBe(T0 + 7 * 24 * 60 * MIN)
    service.close()
  })

  it('files one account under one name however its directory is spelled (a symlink to it)', async () => {
    const { symlinkSync } = await import('node:fs')
    const home = tempDir('home-')
    const configDir = tempDir('acct-')
    const link = join(tempDir('links-'), 'work')
    symlinkSync(configDir, link)
    writeServerUsage(home, link, {
      windows: { sevenDay: { percent: 33, resetsAt: null, observedAt: T0, source: 'statusline' } },
    })
    expect(readServerUsage(home, configDir).windows.sevenDay!.percent).toBe(33)
  })
})
