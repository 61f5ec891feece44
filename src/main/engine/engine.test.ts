import { spawnSync } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { clockTime } from '../../shared/format'
import { describe, expect, it } from 'vitest'
import { ConflictError, NotFoundError, PoolExhaustedError, ValidationError } from '../../shared/errors'
import { accountDir, testEngine } from '../../../test/helpers/enginePorts'
import { tempDir } from '../../../test/helpers/tempDir'

const exitedPid = () =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString())

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: Error) => e,
  )
}

describe('accounts', () => {
  it('adds an account with plan-default budgets and refuses zero budgets with the field path', async () => {
    const { engine } = testEngine()
    const account = await engine.addAccount({ name: 'work', configDir: accountDir(), plan: 'max5' })
    expect(account).toMatchObject({ name: 'work', plan: 'max5', blockBudgetUsd: null, enabled: true })
    const error = await errorOf(engine.addAccount({ name: 'zero', configDir: accountDir(), blockBudgetUsd: 0 }))
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues).toEqual([{ path: ['blockBudgetUsd'], message: 'must be at least 0.01' }])
  })

  it('requires both budgets for a custom plan', async () => {
    const { engine } = testEngine()
    const error = (await errorOf(
      engine.addAccount({ name: 'c', configDir: accountDir(), plan: 'custom', blockBudgetUsd: 10 }),
    )) as ValidationError
    expect(error.issues.map((i) => i.path)).toEqual([['weeklyBudgetUsd']])
  })

  it('refuses a second account with the same name or directory', async () => {
    const { engine } = testEngine()
    const dir = accountDir()
    await engine.addAccount({ name: 'Work', configDir: dir })
    const sameName = await errorOf(engine.addAccount({ name: 'work', configDir: accountDir() }))
    expect(sameName).toBeInstanceOf(ConflictError)
    const sameDir = await errorOf(engine.addAccount({ name: 'other', configDir: dir + '/' }))
    expect(sameDir).toBeInstanceOf(ConflictError)
    expect((await engine.listAccounts()).map((a) => a.name)).toEqual(['Work'])
  })

  it('keeps a directory as spelled (a symlink stays one) yet knows two spellings of one directory', async () => {
    const { engine } = testEngine()
    const dir = accountDir()
    const link = join(tempDir('links-'), 'claude-work')
    symlinkSync(dir, link)
    expect((await engine.addAccount({ name: 'work', configDir: link })).configDir).toBe(link)
    const again = await errorOf(engine.addAccount({ name: 'other', configDir: dir }))
    expect(again).toBeInstanceOf(ConflictError)
    expect(again.message).toBe(`account "work" already uses ${link} (${dir} leads there too)`)
  })

  it('updates and removes accounts; removing keeps nothing dangling', async () => {
    const { engine, store } = testEngine()
    const a = await engine.addAccount({ name: 'a', configDir: accountDir() })
    await engine.addAccount({ name: 'b', configDir: accountDir() })
    const updated = await engine.updateAccount('a', { plan: 'max20', weeklyBudgetUsd: 900, priority: 5 })
    expect(updated).toMatchObject({ plan: 'max20', weeklyBudgetUsd: 900, priority: 5 })
    await engine.setPreferredAccount('a')
    const { session } = await engine.allocate({ cwd: '/tmp/project', account: 'a' })
    expect(await errorOf(engine.removeAccount('a'))).toBeInstanceOf(ConflictError)
    await engine.removeAccount('a', { force: true })
    const doc = await store.read()
    expect(doc.sessions[session.id]).toBeUndefined()
    expect(doc.sessionIndex[a.id]).toBeUndefined()
    expect(doc.assignments['/tmp/project']).toBeUndefined()
    expect(doc.preferredAccountId).toBeNull()
  })

  it('answers an unknown account with a typed not-found error, not a crash (the seed crashed)', async () => {
    const { engine } = testEngine()
    await engine.addAccount({ name: 'real', configDir: accountDir() })
    for (const call of [
      () => engine.allocate({ account: 'ghost' }),
      () => engine.updateAccount('ghost', { priority: 1 }),
      () => engine.removeAccount('ghost'),
      () => engine.sessions({ account: 'ghost' }),
    ]) {
      const error = await errorOf(call())
      expect(error).toBeInstanceOf(NotFoundError)
      expect(error.message).toMatch(/known accounts: real/)
    }
  })

  it('says an empty pool has no accounts yet and how to add one', async () => {
    const { engine } = testEngine()
    const error = await errorOf(engine.allocate({ cwd: '/tmp/project' }))
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error.message).toBe('no accounts yet — add one with `auth-pool accounts add --name NAME --config-dir DIR`')
  })
})

describe('allocation', () => {
  it('picks the healthiest account and records session, index, assignment and bookkeeping together', async () => {
    const { engine, store, usage } = testEngine()
    const busy = await engine.addAccount({ name: 'busy', configDir: accountDir() })
    const idle = await engine.addAccount({ name: 'idle', configDir: accountDir() })
    usage.set(busy.id, {
      blockCostUsd: 5,
      blockStartedAt: new Date('2026-11-27T09:00:00Z'),
      blockEndsAt: new Date('2026-11-27T14:00:00Z'),
    })
    const a = await engine.allocate({ cwd: '/work/repo', pid: 4242 })
    expect(a.account.id).toBe(idle.id)
    expect(a.reason).toBe('healthiest')
    const doc = await store.read()
    expect(doc.sessions[a.session.id]).toMatchObject({
      accountId: idle.id,
      cwd: '/work/repo',
      pid: 4242,
      status: 'active',
    })
    expect(doc.sessionIndex[idle.id]).toEqual([a.session.id])
    expect(doc.assignments['/work/repo']!.accountId).toBe(idle.id)
    expect(doc.accounts.find((x) => x.id === idle.id)).toMatchObject({
      sessionsStarted: 1,
      lastAllocatedAt: expect.any(String),
    })
  })

  it('keeps a folder on its account while it has headroom, and says so when it moves', async () => {
    const { engine, usage } = testEngine()
    const a = await engine.addAccount({ name: 'a', configDir: accountDir() })
    const b = await engine.addAccount({ name: 'b', configDir: accountDir() })
    await engine.allocate({ cwd: '/repo', account: 'a' })
    usage.set(a.id, {
      blockCostUsd: 4,
      blockStartedAt: new Date('2026-11-27T09:00:00Z'),
      blockEndsAt: new Date('2026-11-27T14:00:00Z'),
    })
    expect((await engine.allocate({ cwd: '/repo' })).account.id).toBe(a.id) // b is healthier, but the folder stays
    usage.set(a.id, { limitedUntil: new Date('2026-11-27T15:00:00Z') })
    const moved = await engine.allocate({ cwd: '/repo' })
    expect(moved.account.id).toBe(b.id)
    expect(moved.notice).toMatch(/this folder's account a is unavailable.*using b instead/)
  })

  it('honours the tray pick while it is available', async () => {
    const { engine } = testEngine()
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    await engine.addAccount({ name: 'b', configDir: accountDir(), priority: 10 })
    await engine.setPreferredAccount('a')
    expect((await engine.allocate({})).account.name).toBe('a')
    await engine.setPreferredAccount(null)
    expect((await engine.allocate({})).account.name).toBe('b')
  })

  it('fails with a typed pool-exhausted error naming the earliest reset', async () => {
    const { engine, usage } = testEngine()
    const a = await engine.addAccount({ name: 'a', configDir: accountDir() })
    const b = await engine.addAccount({ name: 'b', configDir: accountDir() })
    usage.set(a.id, { limitedUntil: new Date('2026-11-27T16:00:00Z') })
    usage.set(b.id, {
      blockCostUsd: 100,
      blockStartedAt: new Date('2026-11-27T09:00:00Z'),
      blockEndsAt: new Date('2026-11-27T14:00:00Z'),
    })
    const error = (await errorOf(engine.allocate({}))) as PoolExhaustedError
    expect(error).toBeInstanceOf(PoolExhaustedError)
    expect(error.earliestFreeAt).toBe('2026-11-27T14:00:00.000Z')
    expect(error.message).toContain(`the first frees up at ${clockTime('2026-11-27T14:00:00.000Z')}`)
    expect(Object.keys((await engine.sessions()) ?? {})).toHaveLength(0)
  })

  it('rejects malformed requests with field paths', async () => {
    const { engine } = testEngine()
    const error = (await errorOf(engine.allocate({ pid: -1, cwd: 7 }))) as ValidationError
    expect(error.issues.map((i) => i.path[0]).sort()).toEqual(['cwd', 'pid'])
  })

  it('yields 1000 sessions from 1000 concurrent allocations with grouped writes', async () => {
    const { engine, store } = testEngine()
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    await engine.addAccount({ name: 'b', configDir: accountDir() })
    const revisionBefore = (await store.read()).revision
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => engine.allocate({ cwd: `/p/${i % 7}` })))
    expect(new Set(results.map((r) => r.session.id)).size).toBe(1000)
    const doc = await store.read()
    expect(Object.keys(doc.sessions)).toHaveLength(1000)
    const indexed = Object.values(doc.sessionIndex).flat()
    expect(indexed.sort()).toEqual(Object.keys(doc.sessions).sort())
    expect(doc.accounts.reduce((n, a) => n + a.sessionsStarted, 0)).toBe(1000)
    expect(doc.revision - revisionBefore).toBeLessThan(20)
  })
})

describe('sessions', () => {
  it('detects an id collision and draws again instead of overwriting (regression)', async () => {
    const ids = [
      '00000000-0000-4000-8000-00000000000a', // the account's
      '11111111-1111-4111-8111-111111111111',
      '11111111-1111-4111-8111-111111111111',
      '22222222-2222-4222-8222-222222222222',
    ]
    const { engine, store } = testEngine({ newId: () => ids.shift()! })
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    const first = await engine.allocate({ cwd: '/one' })
    const second = await engine.allocate({ cwd: '/two' })
    expect(first.session.id).toBe('11111111-1111-4111-8111-111111111111')
    expect(second.session.id).toBe('22222222-2222-4222-8222-222222222222')
    const doc = await store.read()
    expect(doc.sessions[first.session.id]!.cwd).toBe('/one')
    expect(engine.metrics().sessionIdCollisions).toBe(1)
  })

  it("lists every one of an account's sessions from one snapshot (the seed's LRU skipped some)", async () => {
    const { engine } = testEngine()
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    await Promise.all(Array.from({ length: 600 }, () => engine.allocate({ account: 'a' })))
    expect(await engine.sessions({ account: 'a' })).toHaveLength(600)
  })

  it('ends a session once and reports unknown ids', async () => {
    const { engine } = testEngine()
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    const { session } = await engine.allocate({})
    expect((await engine.release(session.id)).status).toBe('ended')
    expect((await engine.release(session.id)).endedAt).toBeTruthy()
    expect(await errorOf(engine.release('3f1c6a52-2f8f-4a43-9a57-3c9a2c7a9d11'))).toBeInstanceOf(NotFoundError)
  })
})

describe('reconcile and scheduler', () => {
  it('reaps sessions whose process is gone, expires pid-less ones, and moves folders off exhausted accounts', async () => {
    const { engine, usage, clock, store } = testEngine()
    const a = await engine.addAccount({ name: 'a', configDir: accountDir() })
    const b = await engine.addAccount({ name: 'b', configDir: accountDir() })
    const dead = await engine.allocate({ account: 'a', cwd: '/repo', pid: exitedPid() })
    const alive = await engine.allocate({ account: 'a', pid: process.pid })
    const noPid = await engine.allocate({ account: 'b' })
    usage.set(a.id, { limitedUntil: new Date(clock.now().getTime() + 3_600_000) })
    await clock.advance(25 * 3_600_000)
    usage.set(a.id, {
      blockCostUsd: 1000,
      blockStartedAt: clock.now(),
      blockEndsAt: new Date(clock.now().getTime() + 3_600_000),
    })
    const outcome = await engine.reconcile()
    expect(outcome).toMatchObject({ reaped: 1, expired: 1, reassigned: 1 })
    const doc = await store.read()
    expect(doc.sessions[dead.session.id]).toMatchObject({ status: 'reaped', endReason: 'process-exited' })
    expect(doc.sessions[alive.session.id]!.status).toBe('active')
    expect(doc.sessions[noPid.session.id]).toMatchObject({ status: 'reaped', endReason: 'expired' })
    expect(doc.assignments['/repo']!.accountId).toBe(b.id)
    expect(engine.metrics().reconcile).toMatchObject({ reaped: 1, expired: 1, reassigned: 1 })
  })

  it('leaves assignments alone while rebalancing is paused', async () => {
    const { engine, usage } = testEngine()
    const a = await engine.addAccount({ name: 'a', configDir: accountDir() })
    await engine.addAccount({ name: 'b', configDir: accountDir() })
    await engine.allocate({ account: 'a', cwd: '/repo' })
    await engine.updateSettings({ rebalancePaused: true })
    usage.set(a.id, { limitedUntil: new Date('2030-01-01T00:00:00Z') })
    expect((await engine.reconcile()).reassigned).toBe(0)
  })

  it('prunes the oldest ended sessions beyond the kept count, index included', async () => {
    const { engine, store } = testEngine()
    await engine.addAccount({ name: 'a', configDir: accountDir() })
    await engine.updateSettings({ endedSessionsKept: 3 })
    const all = await Promise.all(Array.from({ length: 6 }, () => engine.allocate({})))
    for (const s of all.slice(0, 5)) await engine.release(s.session.id)
    expect((await engine.reconcile()).pruned).toBe(2)
    const doc = await store.read()
    expect(Object.keys(doc.sessions)).toHaveLength(4)
    expect(Object.values(doc.sessionIndex).flat()).toHaveLength(4)
  })

  it('runs on a single timer however often it is started (the seed duplicated timers on reload)', async () => {
    const { engine, clock, store } = testEngine()
    await engine.startScheduler()
    await engine.startScheduler()
    engine.scheduler.start()
    expect(clock.pendingTimers).toBe(1)
    await clock.advance(60_000)
    expect(engine.metrics().reconcile.runs).toBe(1)
    expect(clock.pendingTimers).toBe(1)
    await engine.updateSettings({ rebalanceIntervalSec: 10 })
    expect(clock.pendingTimers).toBe(1)
    await clock.advance(30_000)
    expect(engine.metrics().reconcile.runs).toBe(4)
    engine.scheduler.stop()
    engine.scheduler.stop()
    expect(clock.pendingTimers).toBe(0)
    await clock.advance(600_000)
    expect(engine.metrics().reconcile.runs).toBe(4)
    expect((await store.read()).scheduler.lastSuccessAt).not.toBeNull()
  })
})
