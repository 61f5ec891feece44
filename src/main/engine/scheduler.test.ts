import { mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../test/helpers/fakeClock'
import { accountDir, testEngine } from '../../../test/helpers/enginePorts'
import { createScheduler, type BreakerState } from './scheduler'

describe('scheduler circuit breaker', () => {
  it('opens after repeated failures, backs off, reports once, and closes on success', async () => {
    const clock = new FakeClock()
    let failing = true
    let runs = 0
    const changes: BreakerState[] = []
    const scheduler = createScheduler({
      clock,
      intervalMs: 1000,
      failureThreshold: 3,
      maxBackoffMs: 16_000,
      run: async () => {
        runs++
        if (failing) throw new Error('disk full')
      },
      onBreakerChange: (s) => changes.push(s),
    })
    scheduler.start()
    await clock.advance(3000)
    expect(runs).toBe(3)
    expect(scheduler.state()).toMatchObject({ open: true, consecutiveFailures: 3, lastError: 'disk full' })
    expect(changes).toHaveLength(1)
    // Open: the next run comes after 2 s, then 4 s, … capped at 16 s, not every second.
    await clock.advance(2000)
    expect(runs).toBe(4)
    await clock.advance(3999)
    expect(runs).toBe(4)
    await clock.advance(1)
    expect(runs).toBe(5)
    await clock.advance(120_000)
    expect(runs).toBeLessThan(5 + 120 / 8 + 1)
    expect(changes).toHaveLength(1)
    failing = false
    await clock.advance(16_000)
    expect(scheduler.state()).toMatchObject({ open: false, consecutiveFailures: 0 })
    expect(changes.map((c) => c.open)).toEqual([true, false])
    scheduler.stop()
  })

  it('rejects a nonsensical interval', () => {
    const scheduler = createScheduler({ clock: new FakeClock(), intervalMs: 1000, run: async () => undefined })
    expect(() => scheduler.setInterval(0)).toThrow(RangeError)
  })

  it('coalesces a manual run with one in progress', async () => {
    let release!: () => void
    let runs = 0
    const scheduler = createScheduler({
      clock: new FakeClock(),
      intervalMs: 1000,
      run: () => {
        runs++
        return new Promise<void>((r) => (release = r))
      },
    })
    const a = scheduler.runNow()
    const b = scheduler.runNow()
    release()
    await Promise.all([a, b])
    expect(runs).toBe(1)
  })
})

describe('engine scheduler', () => {
  it('raises one notification when rebalancing keeps failing and records the state for the UI', async () => {
    const clock = new FakeClock()
    const { engine, notifications, store } = testEngine({
      clock,
      processes: {
        isAlive: () => {
          throw new Error('cannot inspect processes')
        },
      },
    })
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    await engine.allocate({ pid: 999_999 })
    await engine.startScheduler()
    await clock.advance(60_000 * 20)
    expect(engine.metrics().reconcile.failures).toBeGreaterThanOrEqual(4)
    expect(notifications.filter((n) => n.kind === 'rebalance_failing')).toHaveLength(1)
    const doc = await store.read()
    expect(doc.scheduler.consecutiveFailures).toBeGreaterThanOrEqual(4)
    expect(doc.scheduler.breakerOpenUntil).not.toBeNull()
    expect(doc.scheduler.lastError).toBe('cannot inspect processes')
    engine.scheduler.stop()
  })

  it('says so directly when the state file itself cannot be written, since nothing can be recorded', async () => {
    const clock = new FakeClock()
    const { engine, notifications, home } = testEngine({ clock })
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    await engine.startScheduler()
    // Something takes the state file's place: every transaction now fails, the rules' included.
    renameSync(join(home, 'state.json'), join(home, 'state.json.away'))
    mkdirSync(join(home, 'state.json'))
    await clock.advance(60_000 * 20)
    await engine.idle()
    expect(engine.metrics().reconcile.failures).toBeGreaterThanOrEqual(4)
    const shown = notifications.filter((n) => n.kind === 'rebalance_failing')
    expect(shown).toHaveLength(1)
    expect(shown[0]!.title).toBe('Auth Pool cannot save its state')
    expect(shown[0]!.body).toMatch(
      /^could not use the state folder .*EISDIR.*something else is in the way.*Retrying less often\.$/,
    )
    engine.scheduler.stop()
  })
})
