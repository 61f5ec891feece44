import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { StoreLockedError } from './errors'

export interface FileLockOptions {
  /** Give up after this long (ms). */
  readonly timeoutMs?: number
  /** A lock older than this is considered abandoned even if its pid looks alive (pid reuse, suspended holder). */
  readonly staleMs?: number
  /** Overridable for tests. */
  readonly isAlive?: (pid: number) => boolean
}

export interface LockHandle {
  readonly token: string
  release(): void
  /** True while the lock file on disk is still ours. */
  stillHeld(): boolean
}

const HOST = hostname()

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface LockOwner {
  readonly pid: number
  readonly host: string
  readonly at: number
  readonly raw: string
}

function readOwner(path: string): LockOwner | undefined {
  let raw: string
  try {
    raw = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const [pid, host, at] = raw.split(' ')
  return { pid: Number(pid), host: host ?? '', at: Number(at), raw }
}

function tryCreate(path: string, token: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, token)
  } finally {
    closeSync(fd)
  }
  return true
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * A cross-process lock: an exclusively created file holding "pid host time nonce".
 * A lock whose holder died (SIGKILL mid-transaction) is broken; breaking goes through a second
 * exclusive file so two processes can never both break and then both win.
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<LockHandle> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const staleMs = options.staleMs ?? 20_000
  const isAlive = options.isAlive ?? processIsAlive
  const token = `${process.pid} ${HOST} ${Date.now()} ${Math.random().toString(36).slice(2)}`
  const started = Date.now()
  let delay = 0.5
  let lastHolder = 'another process'
  for (;;) {
    if (tryCreate(path, token)) return handleFor(path, token)
    const owner = readOwner(path)
    if (owner) {
      lastHolder = `pid ${owner.pid} on ${owner.host}`
      const abandoned =
        (owner.host === HOST && Number.isFinite(owner.pid) && owner.pid > 0 && !isAlive(owner.pid)) ||
        !(Date.now() - owner.at < staleMs) // also true for an unreadable, half-written lock file
      if (abandoned && !(Number.isNaN(owner.at) && ageOf(path) < 1000)) breakStaleLock(path, owner, isAlive)
    }
    const waited = Date.now() - started
    if (waited > timeoutMs) throw new StoreLockedError(path, waited, lastHolder)
    await sleep(delay * (0.5 + Math.random()))
    delay = Math.min(delay * 1.6, 8)
  }
}

function ageOf(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs
  } catch {
    return Infinity // gone already: nothing to wait for
  }
}

function breakStaleLock(path: string, owner: LockOwner, isAlive: (pid: number) => boolean): void {
  const breaker = `${path}.break`
  const breakerToken = `${process.pid} ${HOST} ${Date.now()} break`
  if (!tryCreate(breaker, breakerToken)) {
    // Someone else is breaking it; if that someone died too, clear its breaker after a while.
    const other = readOwner(breaker)
    if (other && (Date.now() - other.at > 5_000 || (other.host === HOST && !isAlive(other.pid))))
      unlinkIfPresent(breaker)
    return
  }
  try {
    // Only remove the lock if it is still the very one we judged stale.
    if (readOwner(path)?.raw === owner.raw) unlinkIfPresent(path)
  } finally {
    unlinkIfPresent(breaker)
  }
}

function handleFor(path: string, token: string): LockHandle {
  let released = false
  return {
    token,
    stillHeld: () => !released && readOwner(path)?.raw === token,
    release: () => {
      if (released) return
      released = true
      if (readOwner(path)?.raw === token) unlinkIfPresent(path)
    },
  }
}
