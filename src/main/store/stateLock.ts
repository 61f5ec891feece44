import {
  closeSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  watch,
  writeSync,
} from 'node:fs'
import type { FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { hostname, uptime } from 'node:os'
import { z } from 'zod'
import { processIsAlive } from '../system/processes'
import { randomHex } from '../system/random'
import { StoreLockedError } from './errors'
import { ownedFileStamp, type Ownership } from './ownership'

/** Who holds the lock, as its file says; `command` names it for those who wait (`auth-pool allocate`). */
const LockHolderSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  token: z.string(),
  command: z.string(),
  /** When it took the lock (ms since the epoch). */
  at: z.number(),
})
export type LockHolder = z.infer<typeof LockHolderSchema>

export interface StateLockOptions {
  /** Give up after waiting this long for a holder that is alive (default 30 s). */
  readonly timeoutMs?: number
  /** Told once per wait, after `noticeAfterMs` (default 1 s), that a live holder keeps us waiting. */
  readonly onWait?: (holder: LockHolder) => void
  readonly noticeAfterMs?: number
  /** Names this process in the lock file. */
  readonly command?: string
}

const HOST = hostname()
/** How long a waiter sleeps at most between looks when no release wakes it (a watch may miss one). */
const POLL_MS = 50
/** The most a waiter defers its look after a release: the newest defers this long, the longest-waiting not at all. */
const YIELD_MS = 10
/** When this process last let the lock go, and whether it had to wait for it: others are likely waiting now. */
let lastReleasedAt = 0
let contended = false
/** A lock file that stays unreadable this long was left by a process killed while making it. */
const TORN_MS = 2_000

/** The holder named in the lock file: undefined when there is none, 'unreadable' when it names nobody. */
function readHolder(path: string): LockHolder | 'unreadable' | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return LockHolderSchema.parse(JSON.parse(text))
  } catch {
    return 'unreadable' // being written by its maker, or left half-written: judged by its age
  }
}

/**
 * Whether the holder is certainly gone: a process of this machine that no longer runs, or one that took
 * the lock before this machine last started. A live holder is never judged gone, however long it holds
 * the lock (stopped, or on a sleeping laptop): it would write a stale document when it resumes.
 */
function isGone(holder: LockHolder): boolean {
  return holder.host === HOST && (holder.at < Date.now() - uptime() * 1000 - 60_000 || !processIsAlive(holder.pid))
}

/** Creates the lock file holding `content`; false when it is there already. */
function create(path: string, content: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * Removes a gone holder's lock. It is moved aside and looked at there first: a lock some live process
 * took meanwhile is put back, not removed.
 */
function breakLock(path: string, gone: LockHolder | 'unreadable'): void {
  const aside = `${path}.broken-${process.pid}-${randomHex(4)}`
  try {
    renameSync(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return // someone else broke it
    throw error
  }
  const found = readHolder(aside)
  if (found !== gone && !(typeof found === 'object' && typeof gone === 'object' && found.token === gone.token))
    try {
      linkSync(aside, path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  unlinkSync(aside)
}

/**
 * Resolves `next(timeout, delay)` `delay` ms after the lock file next changes (let go, most often), or
 * after `timeout` ms at the latest. Without file watching (some network file systems) it just sleeps.
 */
function watchForRelease(path: string) {
  let changed = false // since the last `next`: a release while the waiter was looking is not missed
  let wake: (() => void) | undefined
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name && name !== basename(path)) return
      changed = true
      wake?.()
    })
  } catch {
    // polled instead
  }
  return {
    next: (timeoutMs: number, delayMs: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, changed ? delayMs : timeoutMs)
        changed = false
        wake = () => {
          clearTimeout(timer)
          wake = undefined
          changed = false
          setTimeout(resolve, delayMs)
        }
      }),
    close: () => watcher?.close(),
  }
}

/**
 * Takes the cross-process lock at `path`. Waits while a live holder has it (saying so once through
 * `onWait`), breaks it at once when its holder is gone, and gives up after `timeoutMs` with a
 * StoreLockedError that says what to do. A lock file that is a symlink or another user's is refused.
 */
export async function acquireStateLock(path: string, ownership: Ownership, options: StateLockOptions = {}) {
  const token = randomHex(12)
  const command = options.command ?? 'auth-pool'
  const started = Date.now()
  let told = false
  let released: ReturnType<typeof watchForRelease> | undefined
  try {
    // A process that let a contended lock go a moment ago and wants it again lets those waiting go first.
    if (contended)
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, YIELD_MS - (Date.now() - lastReleasedAt))))
    contended = false
    while (!create(path, JSON.stringify({ pid: process.pid, host: HOST, token, command, at: Date.now() }))) {
      ownedFileStamp(path, ownership, 'lock file')
      const holder = readHolder(path)
      if (holder === undefined) continue // let go meanwhile
      if (holder === 'unreadable' ? Date.now() - lstatSync(path).mtimeMs > TORN_MS : isGone(holder)) {
        breakLock(path, holder)
        continue
      }
      contended = true
      const waited = Date.now() - started
      if (holder !== 'unreadable' && waited >= (options.timeoutMs ?? 30_000))
        throw new StoreLockedError(path, holder, holder.host === HOST)
      if (holder !== 'unreadable' && !told && waited >= (options.noticeAfterMs ?? 1_000)) {
        told = true
        options.onWait?.(holder)
      }
      // Watched from the first wait on (a release just before that is caught by looking once more); the
      // longest waiter looks first after a release, so turns go roughly in order of arrival.
      if (released) await released.next(POLL_MS, Math.max(0, YIELD_MS - waited / 10))
      else released = watchForRelease(path)
    }
  } finally {
    released?.close()
  }
  let letGo = false
  const ours = () => {
    const holder = readHolder(path)
    return typeof holder === 'object' && holder.token === token
  }
  return {
    /** True while the lock file on disk is still this holder's. */
    stillHeld: () => !letGo && ours(),
    release() {
      if (!letGo && ours()) unlinkSync(path)
      letGo = true
      lastReleasedAt = Date.now()
    },
  }
}
