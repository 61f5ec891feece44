import { spawnSync } from 'node:child_process'
import { existsSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/tempDir'
import { StoreLockedError } from './errors'
import { acquireFileLock } from './fileLock'

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

describe('file lock', () => {
  it('is exclusive: a second holder waits for the first to release', async () => {
    const path = join(tempDir(), 'x.lock')
    const first = await acquireFileLock(path)
    let secondGot = false
    const second = acquireFileLock(path).then((h) => {
      secondGot = true
      return h
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(secondGot).toBe(false)
    first.release()
    const handle = await second
    expect(secondGot).toBe(true)
    expect(handle.stillHeld()).toBe(true)
    handle.release()
    expect(existsSync(path)).toBe(false)
    // The last waiter out removes the queue's folder (every request waiter would list it otherwise).
    expect(existsSync(`${path}.q`)).toBe(false)
  })

  it('serves waiters that queue while others leave the queue, the folder coming and going', async () => {
    const path = join(tempDir(), 'x.lock')
    let inside = 0
    let most = 0
    const one = async () => {
      const handle = await acquireFileLock(path, { timeoutMs: 10_000 })
      most = Math.max(most, ++inside)
      await new Promise((r) => setTimeout(r, 1))
      inside--
      handle.release()
    }
    for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 6 }, one))
    expect(most).toBe(1)
    expect(existsSync(`${path}.q`)).toBe(false)
  })

  it('breaks a lock left by a process that died (SIGKILL mid-transaction)', async () => {
    const path = join(tempDir(), 'x.lock')
    writeFileSync(path, `${deadPid()} ${hostname()} ${Date.now()} leftover`)
    const handle = await acquireFileLock(path, { timeoutMs: 2000 })
    expect(handle.stillHeld()).toBe(true)
    handle.release()
  })

  it('breaks a half-written (empty) lock file once it is old, but not while it may still be written', async () => {
    const path = join(tempDir(), 'x.lock')
    writeFileSync(path, '')
    await expect(acquireFileLock(path, { timeoutMs: 100 })).rejects.toBeInstanceOf(StoreLockedError)
    utimesSync(path, new Date(Date.now() - 5000), new Date(Date.now() - 5000))
    const handle = await acquireFileLock(path, { timeoutMs: 2000 })
    handle.release()
  })

  it('gives up on a live holder with a typed error naming it', async () => {
    const path = join(tempDir(), 'x.lock')
    writeFileSync(path, `${process.pid} ${hostname()} ${Date.now()} mine`)
    const error = await acquireFileLock(path, { timeoutMs: 150 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreLockedError)
    expect((error as Error).message).toContain(`pid ${process.pid}`)
  })

  it('treats a very old lock as abandoned even if its pid was reused', async () => {
    const path = join(tempDir(), 'x.lock')
    writeFileSync(path, `${process.pid} ${hostname()} ${Date.now() - 60_000} ancient`)
    const handle = await acquireFileLock(path, { timeoutMs: 2000, staleMs: 20_000 })
    handle.release()
  })
})
