import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  watch,
  writeSync,
  type FSWatcher,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { hostname } from 'node:os'
import { StoreLockedError } from './errors'
import { processIsAlive } from '../system/processes'

export { processIsAlive }

export interface FileLockOptions {
  /** Give up after this long (ms). */
  readonly timeoutMs?: number
  /** A lock older than this is considered abandoned even if its pid looks alive (pid reuse, suspended holder). */
  readonly staleMs?: number
  /** Overridable for tests. */
  readonly isAlive?: (pid: number) => boolean
  /**
   * Checked whenever the wait wakes up: once it returns true the caller no longer needs the lock (its
   * work was done by the holder) and `acquireFileLock` gives up its place and returns undefined. A
   * caller that gives this waits outside the queue (see acquireFileLockUnlessDone).
   */
  readonly abandon?: () => boolean
  /** More files whose changes should wake the wait (where `abandon`'s answer can change). */
  readonly wakeOn?: readonly WatchTarget[]
}

/** Changes to the file or directory at `path`; for a directory, only to the entries in `names` when given. */
export interface WatchTarget {
  readonly path: string
  readonly names?: readonly string[]
}

export interface LockHandle {
  readonly token: string
  release(): void
  /** True while the lock file on disk is still ours. */
  stillHeld(): boolean
  /** True when plain waiters queue for the lock (tickets; see acquireFileLockUnlessDone). */
  queued(): boolean
}

const HOST = hostname()

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
  // Looked at first: a failed exclusive open throws, and building that error cost three times the look
  // (20 against 6 µs here), on every try of every waiter.
  if (existsSync(path)) return false
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

/**
 * A cross-process lock: an exclusively created file holding "pid host time nonce".
 * Waiters queue FIFO through ticket files in `<lock>.q/` (named by arrival time), and only the head of
 * the queue tries the lock, so under contention no process starves (plain polling let some wait seconds).
 * A lock or ticket whose holder died (SIGKILL mid-transaction) is broken; breaking goes through a second
 * exclusive file so two processes can never both break and then both win.
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<LockHandle> {
  return (await acquireFileLockUnlessDone(path, { ...options, abandon: undefined }))!
}

/**
 * As acquireFileLock, but resolves undefined as soon as `options.abandon()` says the lock is not needed.
 *
 * Such a caller (a process whose posted request any holder may run: see requests.ts) takes no ticket
 * and watches only its own files (`wakeOn`): a holder that has released the lock touches the files of
 * the requests it served, which wakes their processes to collect their answers, and, unless it goes on
 * to commit again itself, every waiting request's, which wakes the others to take the lock (commitBatch
 * in stateStore.ts). A ticket of its own (made, listed, watched, removed) and a
 * watch on the state file's folder (woken by every file any process made there) were most of what
 * eight allocating processes spent besides the commits themselves. It still yields to queued tickets.
 */
export async function acquireFileLockUnlessDone(
  path: string,
  options: FileLockOptions,
): Promise<LockHandle | undefined> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const staleMs = options.staleMs ?? 20_000
  const isAlive = options.isAlive ?? processIsAlive
  const wakeOn = options.wakeOn ?? []
  const token = `${process.pid} ${HOST} ${Date.now()} ${Math.random().toString(36).slice(2)}`
  const queue = `${path}.q`
  // Done already (a holder served it while it was being queued): no lock to take.
  if (options.abandon?.()) return undefined
  // Uncontended: take the lock directly. With waiters queued, joining the queue is what keeps it fair.
  if (queueIsEmpty(queue) && tryCreate(path, token)) return handleFor(path, token)
  const started = Date.now()
  let lastHolder = 'another process'
  const timedOut = () => {
    const waited = Date.now() - started
    if (waited > timeoutMs) throw new StoreLockedError(path, waited, lastHolder)
  }
  if (options.abandon) {
    const changes = watchForChanges(wakeOn)
    try {
      for (;;) {
        if (options.abandon()) return undefined
        if (queueIsEmpty(queue)) {
          // Whether the holder is still there is asked only once this wait has lasted: a commit takes
          // milliseconds, and reading the lock's owner and signalling its process on every wake-up were
          // five system calls per allocation in eight processes.
          const taken = tryTake(path, token, staleMs, isAlive, Date.now() - started >= OWNER_CHECK_AFTER_MS)
          if (typeof taken !== 'string') return taken
          lastHolder = taken
        }
        timedOut()
        // The fallback covers a holder that died before waking anyone (and holders of older versions).
        await changes.next(REQUEST_FALLBACK_MS)
      }
    } finally {
      changes.close()
    }
  }
  // Tickets are local to this machine: <arrival ms>.<pid>.<nonce>
  const ticket = join(
    queue,
    `${String(Date.now()).padStart(15, '0')}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`,
  )
  for (let attempt = 1; ; attempt++) {
    try {
      closeSync(openSync(ticket, 'wx', 0o600))
      break
    } catch (error) {
      // No folder: the first waiter here makes it (and the last one out may remove it meanwhile).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 5) throw error
      mkdirSync(queue, { recursive: true, mode: 0o700 })
    }
  }
  // Sleep on events instead of polling hard (eight polling waiters on two cores slowed the holder
  // itself down). Each waiter watches only the ticket just ahead of it, so a hand-over wakes one
  // process, not all of them; the head watches the lock's directory for the release.
  let lockChanges: ReturnType<typeof watchForChanges> | undefined
  let ahead: { name: string; changes: ReturnType<typeof watchForChanges> } | undefined
  try {
    for (;;) {
      const { head, predecessor } = queuePosition(queue, basename(ticket), staleMs, isAlive)
      if (head === undefined || join(queue, head) === ticket) {
        const taken = tryTake(path, token, staleMs, isAlive)
        if (typeof taken !== 'string') return taken
        lastHolder = taken
        lockChanges ??= watchForChanges([{ path: dirname(path), names: [basename(path)] }])
        await lockChanges.next(10)
      } else {
        if (ahead?.name !== predecessor) {
          ahead?.changes.close()
          ahead = predecessor
            ? { name: predecessor, changes: watchForChanges([{ path: join(queue, predecessor) }]) }
            : undefined
        }
        // The fallback also notices a predecessor that died without removing its ticket.
        await (ahead?.changes.next(50) ?? new Promise<void>((resolve) => setTimeout(resolve, 5)))
      }
      timedOut()
    }
  } finally {
    ahead?.changes.close()
    lockChanges?.close()
    unlinkIfPresent(ticket)
    // The last one out removes the folder: while it is there, every waiter outside the queue lists it
    // on every look (queueIsEmpty), four system calls against one. The system refuses while a ticket
    // is in it.
    try {
      rmdirSync(queue)
    } catch {
      // not empty (others queue), or gone already
    }
  }
}

/** How long a caller outside the queue sleeps at most between looks, when no holder wakes it. */
const REQUEST_FALLBACK_MS = 50
/** How long such a caller waits before it looks whether the lock's holder died (see tryTake). */
const OWNER_CHECK_AFTER_MS = 200

/**
 * Takes the lock if it is free; otherwise, with `checkOwner`, breaks it if its holder is gone (it is
 * taken on a later try) and says who holds it.
 */
function tryTake(
  path: string,
  token: string,
  staleMs: number,
  isAlive: (pid: number) => boolean,
  checkOwner = true,
): LockHandle | string {
  if (tryCreate(path, token)) return handleFor(path, token)
  if (!checkOwner) return 'another process'
  const owner = readOwner(path)
  if (!owner) return 'another process' // released meanwhile: taken on the next try
  const abandoned =
    (owner.host === HOST && Number.isFinite(owner.pid) && owner.pid > 0 && !isAlive(owner.pid)) ||
    !(Date.now() - owner.at < staleMs) // also true for an unreadable, half-written lock file
  if (abandoned && !(Number.isNaN(owner.at) && ageOf(path) < 1000)) breakStaleLock(path, owner, isAlive)
  return `pid ${owner.pid} on ${owner.host}`
}

/**
 * Resolves `next()` on the next change to any of the targets, or after `fallbackMs` at the latest.
 * Events for other entries of a watched directory are ignored: eight waiters woken by every temp file
 * of every commit spent the CPU the lock holder needed.
 */
function watchForChanges(targets: readonly WatchTarget[]): { next(fallbackMs: number): Promise<void>; close(): void } {
  let changed = false
  let wake: (() => void) | undefined
  const watchers: FSWatcher[] = []
  for (const { path, names } of targets) {
    try {
      watchers.push(
        watch(path, { persistent: false }, (_event, name) => {
          // No name (some platforms): assume it matters.
          if (names && name && !names.includes(name.toString())) return
          changed = true
          wake?.()
        }),
      )
    } catch (error) {
      // Gone already (the ticket ahead was just removed): that is the change we were waiting for.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') changed = true
      // No file watching here (some network or container file systems): the fallback timeout still polls.
      else if (!(error instanceof Error)) throw error
    }
  }
  return {
    next(fallbackMs) {
      if (changed) {
        changed = false
        return Promise.resolve()
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, fallbackMs)
        function done() {
          clearTimeout(timer)
          wake = undefined
          changed = false
          resolve()
        }
        wake = done
      })
    },
    close: () => watchers.forEach((w) => w.close()),
  }
}

function queueIsEmpty(queue: string): boolean {
  // Without a ticket yet the folder is not there (the first waiter makes it): looked for first, since a
  // listing that fails throws (see tryCreate).
  if (!existsSync(queue)) return true
  try {
    return readdirSync(queue).length === 0
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw error
  }
}

/**
 * The oldest live ticket, and the live ticket just ahead of `mine`. Tickets of dead or ancient waiters
 * are removed on the way (only those up to `mine` are looked at).
 */
function queuePosition(
  queue: string,
  mine: string,
  staleMs: number,
  isAlive: (pid: number) => boolean,
): { head: string | undefined; predecessor: string | undefined } {
  let head: string | undefined
  let predecessor: string | undefined
  for (const name of readdirSync(queue).sort()) {
    if (name >= mine) break
    const [at, pid] = name.split('.')
    if (!isAlive(Number(pid)) || Date.now() - Number(at) > staleMs) {
      unlinkIfPresent(join(queue, name))
      continue
    }
    head ??= name
    predecessor = name
  }
  return { head: head ?? mine, predecessor }
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
    queued: () => !queueIsEmpty(`${path}.q`),
    release: () => {
      if (released) return
      released = true
      if (readOwner(path)?.raw === token) unlinkIfPresent(path)
    },
  }
}
