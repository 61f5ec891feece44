import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/tempDir'
import { StoreLockedError } from './errors'
import { processOwnership } from './ownership'
import { acquireStateLock, type LockHolder } from './stateLock'

const DEAD_PID = 999_999_999

function lockIn(holder: Partial<LockHolder>): string {
  const path = join(tempDir(), 'state.json.lock')
  const full = {
    pid: process.pid,
    host: hostname(),
    token: 'theirs',
    command: 'auth-pool allocate',
    at: Date.now(),
    ...holder,
  }
  writeFileSync(path, JSON.stringify(full))
  return path
}

describe('the state lock', () => {
  it('is taken, held and let go', async () => {
    const path = join(tempDir(), 'state.json.lock')
    const lock = await acquireStateLock(path, processOwnership, { command: 'auth-pool status' })
    expect(lock.stillHeld()).toBe(true)
    expect(JSON.parse((await import('node:fs')).readFileSync(path, 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
      command: 'auth-pool status',
      token: expect.stringMatching(/^[0-9a-f]{24}$/),
    })
    lock.release()
    expect(existsSync(path)).toBe(false)
    expect(lock.stillHeld()).toBe(false)
  })

  it('breaks at once the lock of a process that is gone, or of one from before this machine started', async () => {
    for (const holder of [{ pid: DEAD_PID }, { at: 0 }]) {
      const path = lockIn(holder)
      const waits: LockHolder[] = []
      const lock = await acquireStateLock(path, processOwnership, { onWait: (h) => waits.push(h), noticeAfterMs: 0 })
      expect(lock.stillHeld()).toBe(true)
      expect(waits).toEqual([])
      lock.release()
    }
  })

  it('never breaks a live holder’s lock: it waits, says so once, and gives up saying what to do', async () => {
    const path = lockIn({ at: Date.now() - 45_000 })
    const waits: LockHolder[] = []
    const error = await acquireStateLock(path, processOwnership, {
      timeoutMs: 300,
      noticeAfterMs: 0,
      onWait: (h) => waits.push(h),
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreLockedError)
    expect((error as Error).message).toMatch(
      new RegExp(
        `^process ${process.pid} \\(auth-pool allocate\\) has held the state lock for 4\\d s and is still running; .*kill -CONT ${process.pid}.*kill ${process.pid}\\), then try again$`,
      ),
    )
    expect(waits).toEqual([expect.objectContaining({ pid: process.pid, command: 'auth-pool allocate' })])
    expect(JSON.parse((await import('node:fs')).readFileSync(path, 'utf8')).token).toBe('theirs')
  })

  it('takes the lock as soon as a live holder lets it go', async () => {
    const path = lockIn({})
    const lock = await acquireStateLock(path, processOwnership, { noticeAfterMs: 0, onWait: () => rmSync(path) })
    expect(lock.stillHeld()).toBe(true)
    lock.release()
  })

  it('waits for a holder on another machine (it cannot be checked) and says how to clear it', async () => {
    const path = lockIn({ host: 'another-machine', pid: DEAD_PID })
    await expect(acquireStateLock(path, processOwnership, { timeoutMs: 100 })).rejects.toThrow(
      new RegExp(`on another-machine has held the state lock .* delete ${path} and try again`),
    )
  })

  it('breaks an unreadable lock once it is old enough not to be one being written', async () => {
    const path = join(tempDir(), 'state.json.lock')
    writeFileSync(path, '') // a maker killed between creating and writing it
    utimesSync(path, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000))
    const lock = await acquireStateLock(path, processOwnership, { timeoutMs: 1_000 })
    expect(lock.stillHeld()).toBe(true)
  })
})
