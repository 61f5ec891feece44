import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import { toErrorValue, ValidationError } from '../../shared/errors'
import type { DeepReadonly } from '../../shared/readonly'
import {
  createInitialState,
  StateDocumentSchema,
  STATE_VERSION,
  type Recovery,
  type StateDocument,
  type StateDraft,
} from '../../shared/schemas/state'
import { DEFAULT_SETTINGS } from '../../shared/schemas/settings'
import { modifiedAt, removeStaleTempFiles, writeFileAtomic } from '../system/atomicFile'
import { schemaFingerprint, STATE_HEAD, UNPARSEABLE, VERIFIED, type DocumentBackend } from './backend'
import { CorruptStateError, StoreIoError } from './errors'
import { acquireFileLockUnlessDone, processIsAlive, type FileLockOptions, type LockHandle } from './fileLock'
import { createRequestBox, outcomeOf, type Outcome, type StoreOperation } from './requests'
import { migrateDocument, MIGRATIONS, type Migrations } from './migrations'
import { validateChange, type Change, type ChangeReport } from './validateChange'
import { copyRecord } from './records'
import { applyDeltas, DELTA_RING, deltaOf, readDelta, sameEnd, writeDelta, type Delta, type DeltaEnd } from './delta'

export type Snapshot = DeepReadonly<StateDocument>

export interface StoreMetrics {
  readonly cacheHits: number
  readonly cacheMisses: number
  readonly commits: number
  readonly transactions: number
  readonly largestBatch: number
  readonly recoveries: number
  readonly servedForOthers: number
  readonly servedByOthers: number
  readonly verifiedReads: number
  /** Loads that applied the deltas of the commits since to the cached document instead of parsing the file. */
  readonly deltaReads: number
  /** Backups (`state.json.bak`) that could not be written; the commits themselves stood. */
  readonly backupFailures: number
  /** Why the last backup failed, until one succeeds again. */
  readonly backupError: string | null
  /** Time this process held the lock (ms), and the process's CPU time meanwhile (ms). */
  readonly lockHeldMs: number
  readonly lockHeldCpuMs: number
}

export interface StateStore {
  readonly path: string
  /** Runs `fn` on a draft inside the cross-process lock and commits it atomically. `fn` must be synchronous. */
  transact<T>(fn: (draft: StateDraft) => T): Promise<T>
  /** A consistent snapshot without taking the lock; concurrent readers share one load. */
  read(): Promise<Snapshot>
  /** Fires after every commit made by this process (not for other processes' commits). */
  onDidCommit(listener: (state: Snapshot) => void): () => void
  /** Fires when a corrupt file was moved aside and state restored. */
  onDidRecover(listener: (recovery: Recovery) => void): () => void
  metrics(): StoreMetrics
  /** Waits for queued transactions. */
  flush(): Promise<void>
  /** Registers an operation that other processes may run for this one, and this one for them. */
  defineOperation<I, V>(kind: string, operation: StoreOperation<I, V>): void
  /**
   * Runs a registered operation as a transaction, here or, when another process takes the lock
   * first, by that process in its own commit (group commit across processes; see requests.ts). `id`
   * identifies this request; `input` must be plain JSON.
   */
  submit<V>(kind: string, id: string, input: unknown, at: Date): Promise<V>
}

export interface StateStoreOptions {
  readonly backend: DocumentBackend
  readonly lock?: FileLockOptions
  readonly now?: () => Date
  readonly migrations?: Migrations
  /** Most transactions committed as one write. */
  readonly maxBatch?: number
  /** Minimum time between refreshes of the `.bak` copy. */
  readonly backupIntervalMs?: number
  /**
   * How long a process may keep the lock through commits in a row while its own callers keep asking
   * (see commitBatch); 0 releases it after every commit.
   */
  readonly keepLockMs?: number
}

interface Pending {
  readonly fn: (draft: StateDocument) => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
  /** Set for a submitted operation: another process may run it for us. */
  readonly request?: { readonly id: string; readonly operation: StoreOperation }
  /** Another process's verified outcome for it. */
  served?: Outcome
  /** Set for another process's request run here: its outcome goes to a result file. */
  readonly remote?: string
  /** The fingerprint of that request's operation, which signs its answer (see StoreOperation). */
  readonly fingerprint?: string
}

/** What one commit under the lock came to (see lockedRound). */
interface Round {
  readonly outcomes: Map<Pending, Outcome>
  readonly committed: StateDocument | undefined
  /** Other processes' requests it answered. */
  readonly answered: readonly string[]
  /** Set when it failed as a whole (nothing committed). */
  readonly failure?: Outcome
}

/** The lock as one process keeps it through commits in a row: since when. */
interface Held {
  readonly lock: LockHandle
  readonly since: number
}

/**
 * Locks kept between commits (see commitBatch): a process that exits meanwhile (a launcher whose caller
 * prints and exits) lets them go as it exits, rather than leaving them for others to find stale.
 */
const keptLocks = new Set<Held>()
let releasingOnExit = false
function keepUntilExit(held: Held): Held {
  if (!releasingOnExit) process.on('exit', releaseKeptLocks)
  releasingOnExit = true
  keptLocks.add(held)
  return held
}
function release(held: Held): void {
  keptLocks.delete(held)
  held.lock.release()
}
function releaseKeptLocks(): void {
  for (const held of keptLocks) release(held)
}

/** The document as a holder of the lock found it (see loadLocked). */
interface Loaded {
  /** The current document, valid (validated, or verified by its digest); never mutated. */
  readonly base: StateDocument
  /** A draft of it for the transactions to change (see draftOf). */
  readonly draft: StateDocument
  /** Another fresh draft, for rollbacks. */
  readonly pristine: () => StateDocument
  /**
   * The digest of the file `base` is, when this schema's writer wrote it whole (a delta can start from
   * it). Undefined otherwise (no file yet, an older or edited one, a recovery that replaced a corrupt
   * one): the next commit writes the file even if no transaction changes anything.
   */
  readonly digest: string | undefined
}

/** The head of the state file: what identifies the document in it. */
interface Head {
  readonly version: number
  readonly revision: number
  readonly commit: string
  /** Absent from files this schema's writer did not write. */
  readonly digest: string | undefined
}

/**
 * The records that grow with use (every allocation adds to them). A draft shares their entries with the
 * document it was made from, which is why those entries are frozen (see draftOf).
 */
const SHARED_RECORDS: ReadonlySet<string> = new Set(['sessions', 'sessionIndex', 'assignments'])

/**
 * Freezes the entries of a document's growing records (those frozen already are passed over): a
 * transaction that changed one in place, rather than replacing it, would change the document its draft
 * came from, which validation compares against and rollbacks start from; frozen, it fails loudly.
 */
function freezeEntries(doc: StateDocument): void {
  for (const key of SHARED_RECORDS) {
    const record = (doc as unknown as Record<string, Record<string, object>>)[key]!
    for (const id in record) if (!Object.isFrozen(record[id])) Object.freeze(record[id])
  }
}

/**
 * A draft of `base` for transactions to change: the growing records are new objects whose entries are
 * `base`'s own (frozen: a transaction replaces an entry to change it), everything else is a deep copy.
 * With hundreds of sessions this costs a small part of a second parse of the file (each commit made
 * one), and validation passes over every unchanged entry at a glance (the same object).
 */
function draftOf(base: StateDocument): StateDocument {
  const draft: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(base))
    draft[key] = SHARED_RECORDS.has(key) ? copyRecord(value as Record<string, unknown>) : structuredClone(value)
  return draft as unknown as StateDocument
}

/** A document this schema's writer wrote whole (its digest matched): used as read, without validation. */
const isVerified = (fields: Record<string | symbol, unknown>) =>
  typeof fields[VERIFIED] === 'string' && fields.version === STATE_VERSION

/** Reads the first bytes of the file: version, revision, commit id and digest, without parsing the rest. */
function readHead(path: string): Head | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const buffer = Buffer.alloc(160)
    const n = readSync(fd, buffer, 0, buffer.length, 0)
    const match = STATE_HEAD.exec(buffer.toString('utf8', 0, n))
    return match
      ? { version: Number(match[2]), revision: Number(match[3]), commit: match[4]!, digest: match[5] }
      : undefined
  } finally {
    closeSync(fd)
  }
}

function describeZodFailure(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
  return shown.join('; ') + (error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '')
}

export function createStateStore(options: StateStoreOptions): StateStore {
  const { backend } = options
  const path = backend.path
  const lockPath = `${path}.lock`
  const backupPath = `${path}.bak`
  const now = options.now ?? (() => new Date())
  const migrations = options.migrations ?? MIGRATIONS
  const maxBatch = options.maxBatch ?? 256
  const backupIntervalMs = options.backupIntervalMs ?? 60_000
  const keepLockMs = options.keepLockMs ?? 1000
  /** `error` explained when the file system refused the state folder (see StoreIoError.from). */
  const refused = (error: unknown) => StoreIoError.from(error, dirname(path))

  let cached: StateDocument | undefined
  /**
   * The digest of the cached document's file; undefined when this schema's writer did not write that file
   * whole (absent, older, edited), which the next transaction then writes even if it changes nothing.
   */
  let cachedDigest: string | undefined
  let lastBackupAt = 0
  let queue: Pending[] = []
  let flushing: Promise<void> | undefined
  let inflightRead: Promise<Snapshot> | undefined
  let tempFilesSwept = false
  const commitListeners = new Set<(state: Snapshot) => void>()
  const recoverListeners = new Set<(recovery: Recovery) => void>()
  const counters = {
    cacheHits: 0,
    cacheMisses: 0,
    commits: 0,
    transactions: 0,
    largestBatch: 0,
    recoveries: 0,
    /** Other processes' requests run in this process's commits. */
    servedForOthers: 0,
    /** Requests of this process that another process ran. */
    servedByOthers: 0,
    /** Loads that skipped schema validation because the file's digest matched. */
    verifiedReads: 0,
    /** Loads that applied the deltas of the commits since to the cached document (see delta.ts). */
    deltaReads: 0,
    backupFailures: 0,
    backupError: null as string | null,
    lockHeldMs: 0,
    lockHeldCpuMs: 0,
  }
  const operations = new Map<string, StoreOperation>()
  const requests = createRequestBox(`${path}.req`, options.lock?.isAlive ?? processIsAlive)
  const deltaDir = `${path}.deltas`

  /** Parses, migrates and validates a raw document; throws CorruptStateError or StoreVersionError. */
  function validate(raw: unknown, source: string): StateDocument {
    if (raw !== null && typeof raw === 'object' && UNPARSEABLE in raw)
      throw new CorruptStateError(source, `not valid JSON (${String((raw as Record<symbol, unknown>)[UNPARSEABLE])})`)
    const fields = raw as Record<string | symbol, unknown>
    if (isVerified(fields)) {
      // Its digest matches: this schema's writer wrote it whole after validating it. Skipping the
      // second validation saves a third of a commit's time with a few hundred sessions.
      counters.verifiedReads++
      const { [VERIFIED]: _mark, ...doc } = fields
      return doc as unknown as StateDocument
    }
    const migrated = migrateDocument(raw, migrations, source)
    const parsed = StateDocumentSchema.safeParse(migrated)
    if (!parsed.success)
      throw new CorruptStateError(source, `does not match the schema: ${describeZodFailure(parsed.error)}`)
    return parsed.data
  }

  /**
   * Brings the cache up to the file: kept when the file still holds the commit cached (only its first
   * bytes are read), advanced by the deltas of the commits made since (see delta.ts) when they are all
   * kept, parsed (and validated unless its digest vouches for it) otherwise. Throws CorruptStateError.
   */
  function refreshCache(): void {
    const head = readHead(path)
    if (cached && head && head.commit === cached.commit && head.revision === cached.revision) {
      counters.cacheHits++
      return
    }
    const advanced = head && advancedByDelta(head)
    if (advanced) {
      counters.deltaReads++
      cached = advanced
      cachedDigest = head.digest
      return
    }
    counters.cacheMisses++
    const raw = backend.read()
    if (raw === undefined) {
      cached = createInitialState(DEFAULT_SETTINGS)
      cachedDigest = undefined
      return
    }
    const fields = raw as Record<string | symbol, unknown>
    const digest = isVerified(fields) ? (fields[VERIFIED] as string) : undefined
    cached = validate(raw, path)
    cachedDigest = digest
  }

  /** The cached document advanced to the file's `head` by the deltas kept, if they lead exactly there. */
  function advancedByDelta(head: Head): StateDocument | undefined {
    if (!cached || !cachedDigest || !head.digest || head.version !== STATE_VERSION) return undefined
    if (head.revision <= cached.revision || head.revision - cached.revision > DELTA_RING) return undefined
    const deltas: Delta[] = []
    let end: DeltaEnd = { revision: cached.revision, commit: cached.commit, digest: cachedDigest }
    for (let revision = cached.revision + 1; revision <= head.revision; revision++) {
      const delta = readDelta(deltaDir, revision, schemaFingerprint())
      if (!delta || !sameEnd(delta.from, end)) return undefined
      deltas.push(delta)
      end = delta.to
    }
    return sameEnd(end, head) ? applyDeltas(cached, deltas) : undefined
  }

  /** Loads the current document for readers, reusing the cache when the file is unchanged. */
  function load(): StateDocument {
    refreshCache()
    return cached!
  }

  /** Under the lock: move a corrupt file aside and restore the last good backup (or start empty). */
  function recover(reason: string): StateDocument {
    const stamp = now().toISOString().replace(/[:.]/g, '-')
    const movedAsideTo = `${path}.corrupt-${stamp}`
    renameSync(path, movedAsideTo)
    let restored: StateDocument | undefined
    if (existsSync(backupPath)) {
      try {
        restored = validate(JSON.parse(readFileSync(backupPath, 'utf8')), backupPath)
      } catch (error) {
        if (!(error instanceof CorruptStateError || error instanceof SyntaxError)) throw error
        restored = undefined // the backup is no better; start empty, the corrupt file stays for the user
      }
    }
    const recovery: Recovery = {
      at: now().toISOString(),
      reason,
      movedAsideTo,
      restoredFrom: restored ? 'backup' : 'empty',
    }
    const doc = restored ?? createInitialState(DEFAULT_SETTINGS)
    doc.recoveries = [...doc.recoveries, recovery].slice(-50)
    counters.recoveries++
    for (const listener of recoverListeners) listener(recovery)
    return doc
  }

  /**
   * Under the lock: the current document (valid: validated, or verified by its digest), a draft of it to
   * change, and a way to get another draft for rollbacks.
   */
  function loadLocked(): Loaded {
    if (!tempFilesSwept) {
      tempFilesSwept = true
      removeStaleTempFiles(path, 10_000)
    }
    let base: StateDocument
    let digest: string | undefined
    try {
      // Kept for the next transaction too: one that changes nothing leaves the file as it found it.
      refreshCache()
      base = cached!
      digest = cachedDigest
    } catch (error) {
      if (!(error instanceof CorruptStateError)) throw error
      cached = undefined
      base = recover(error.reason) // (no digest: written by the next commit)
    }
    freezeEntries(base)
    const pristine = () => draftOf(base)
    return { base, draft: pristine(), pristine, digest }
  }

  function runOne(p: Pending, draft: StateDocument): Outcome {
    try {
      const value = p.fn(draft)
      if (value instanceof Promise) throw new TypeError('transaction functions must be synchronous')
      return { ok: true, value }
    } catch (error) {
      return { ok: false, error }
    }
  }

  /**
   * Applies a batch to a copy of `base`. A function that throws leaves no trace: the draft is rebuilt
   * from `base` with the functions that succeeded so far. If the result fails validation, the batch is
   * replayed one function at a time so only the offending ones are rejected. `changed`: the result
   * differs from `base` (false only when that is certain).
   */
  function applyBatch(
    base: StateDocument,
    first: StateDocument,
    pristine: () => StateDocument,
    batch: Pending[],
  ): { doc: StateDocument; outcomes: Map<Pending, Outcome>; changed: boolean; change?: Change } {
    const outcomes = new Map<Pending, Outcome>()
    const replay = (accepted: Pending[]): StateDocument => {
      const draft = pristine()
      for (const p of accepted) outcomes.set(p, runOne(p, draft))
      return draft
    }
    const accepted: Pending[] = []
    let draft = first
    for (const p of batch) {
      const outcome = runOne(p, draft)
      outcomes.set(p, outcome)
      if (outcome.ok) accepted.push(p)
      else draft = replay(accepted)
    }
    // Only what changed from the valid base goes through the schema (same verdict as validating it all).
    const seen: ChangeReport = { changed: true }
    const whole = validateChange(base, draft, seen)
    if (whole.success) return { doc: whole.data, outcomes, changed: seen.changed, change: seen.change }
    // Find the culprits: validate after each function.
    const kept: Pending[] = []
    draft = pristine()
    for (const p of accepted) {
      const outcome = runOne(p, draft)
      const check = outcome.ok ? StateDocumentSchema.safeParse(draft) : undefined
      if (outcome.ok && check?.success) {
        kept.push(p)
        outcomes.set(p, outcome)
        continue
      }
      outcomes.set(p, outcome.ok ? { ok: false, error: ValidationError.fromZod(check!.error!) } : outcome)
      draft = replay(kept)
    }
    return { doc: StateDocumentSchema.parse(draft), outcomes, changed: true }
  }

  /** The next revision of `doc`, with a fresh commit id. */
  function nextRevision(doc: StateDocument, baseRevision: number): StateDocument {
    // Key order matters: version, revision and commit lead the file so readHead can find them.
    return { ...doc, version: STATE_VERSION, revision: baseRevision + 1, commit: randomBytes(6).toString('hex') }
  }

  /**
   * Writes the next revision. Once the state file is renamed in, the commit stands whatever follows.
   * Returns the file's digest.
   */
  function write(next: StateDocument): string | undefined {
    const digest = backend.write(next)
    cached = next
    cachedDigest = digest
    counters.commits++
    backUp(next)
    return digest
  }

  /**
   * Refreshes the `.bak` copy a corrupt file is restored from, at most once per backupIntervalMs by
   * any process: its age is the file's (a launcher process lives for a commit or two, so going by its
   * own memory every one of them rewrote the backup, doubling its writes). A failure (a full disk) does
   * not undo the commit it follows, which its callers are told succeeded: it is counted, shown in the
   * metrics, and tried again at the next commit.
   */
  function backUp(next: StateDocument): void {
    const t = Date.now()
    if (t - lastBackupAt < backupIntervalMs) return
    const refreshedAt = modifiedAt(backupPath) // by another process, perhaps (0: none yet)
    if (refreshedAt <= t && t - refreshedAt < backupIntervalMs) {
      lastBackupAt = refreshedAt
      return
    }
    try {
      writeFileAtomic(backupPath, JSON.stringify(next))
      lastBackupAt = t
      counters.backupError = null
    } catch (error) {
      if (!(error instanceof Error)) throw error
      counters.backupFailures++
      counters.backupError = error.message
    }
  }

  /**
   * An outcome another process reported for a request of ours, if it is final: its commit was marked as
   * renamed in, or is the one in the state file now (read without the lock: only the head), or it is a
   * rejection. The mark is looked for first: a holder marks every commit that carries answers, right after
   * renaming it in, so a woken waiter finds it with one system call rather than three.
   */
  function verifiedResult(p: Pending): Outcome | undefined {
    const result = requests.result(p.request!.id, p.request!.operation.fingerprint?.())
    if (!result) return undefined
    if (result.outcome.ok && !requests.committed(result.commit) && readHead(path)?.commit !== result.commit)
      return undefined
    return outcomeOf(result, p.request!.operation)
  }

  /** Under the lock, on the current document: settles requests of ours that another process answered. */
  function settleAnswered(batch: Pending[], doc: StateDocument): void {
    for (const p of batch) {
      if (!p.request || p.served) continue
      const result = requests.result(p.request.id, p.request.operation.fingerprint?.())
      if (!result) continue
      // A success counts only if its effect is in the document: its writer may have died before the rename.
      if (!result.outcome.ok || p.request.operation.applied(doc, p.request.id))
        p.served = outcomeOf(result, p.request.operation)
      else requests.discardResult(p.request.id)
    }
  }

  /** Other processes' waiting requests, as pendings whose outcomes go to their result files. */
  function remoteRequests(batch: Pending[], doc: StateDocument, room: number): { run: Pending[]; rejected: Pending[] } {
    if (operations.size === 0 || room <= 0) return { run: [], rejected: [] }
    const ours = new Set(batch.flatMap((p) => (p.request ? [p.request.id] : [])))
    const found = requests.pending(operations, ours, room)
    const noop = () => undefined
    const run = found.requests
      .filter((r) => !r.operation.applied(doc, r.id))
      .map((r) => ({
        fn: (d: StateDocument) => r.operation.run(d, r.input, r.id, r.at),
        resolve: noop,
        reject: noop,
        remote: r.id,
        fingerprint: r.operation.fingerprint?.(),
      }))
    const rejected = found.rejected.map((r) => ({
      fn: () => {
        throw r.error
      },
      resolve: noop,
      reject: noop,
      remote: r.id,
    }))
    return { run, rejected }
  }

  /**
   * Under the lock: applies local transactions and other processes' requests to `draft`, answers the
   * requests and writes the result as one commit.
   */
  function commitRound(
    { base, draft, pristine, digest: baseDigest }: Loaded,
    local: Pending[],
    remote: { run: Pending[]; rejected: Pending[] },
  ): { outcomes: Map<Pending, Outcome>; committed: StateDocument | undefined } {
    const applied = applyBatch(base, draft, pristine, [...local, ...remote.run, ...remote.rejected])
    const outcomes = applied.outcomes
    // A transaction that changed nothing writes nothing (the rules are evaluated on every new usage line
    // of a running Claude Code; a write each time rewrote the whole file and made every other process
    // load it again). A file that is not yet this writer's (absent, older, edited, recovered) is written.
    const anyChange = baseDigest === undefined || (applied.changed && [...outcomes.values()].some((o) => o.ok))
    const next = anyChange ? nextRevision(applied.doc, draft.revision) : undefined
    // Answers go out before the commit that carries them is renamed in; a waiter trusts one only
    // once that commit is the state file's (or finds its effect there under the lock).
    for (const p of [...remote.run, ...remote.rejected]) {
      requests.answer(p.remote!, next?.commit ?? draft.commit, outcomes.get(p)!, toErrorValue, p.fingerprint)
      counters.servedForOthers++
    }
    if (!next) return { outcomes, committed: undefined }
    const digest = write(next)
    try {
      if (remote.run.length) requests.markCommitted(next.commit)
    } catch (error) {
      // The commit stands. Without the marker, a waiter that finds a later commit in the file takes the
      // lock and sees its request's effect in the document instead (settleAnswered).
      if (!(error instanceof Error)) throw error
    }
    // For the next holder, if its cache is `base` (see delta.ts). Only from a file this schema's writer
    // wrote whole (a digest), and for changes validateChange described (not after a whole-schema check).
    if (baseDigest && digest && applied.change)
      try {
        const from: DeltaEnd = { revision: base.revision, commit: base.commit, digest: baseDigest }
        const to: DeltaEnd = { revision: next.revision, commit: next.commit, digest }
        writeDelta(deltaDir, deltaOf(from, to, next, applied.change), schemaFingerprint())
      } catch (error) {
        // The commit stands; a missing or stale delta only means the next holder parses the file.
        if (!(error instanceof Error)) throw error
      }
    return { outcomes, committed: next }
  }

  /** Under the lock: one commit of `batch` with the requests other processes have waiting. */
  function lockedRound(batch: Pending[]): Round {
    counters.transactions += batch.length
    counters.largestBatch = Math.max(counters.largestBatch, batch.length)
    try {
      const loaded = loadLocked()
      settleAnswered(batch, loaded.draft)
      const local = batch.filter((p) => !p.served)
      const remote = remoteRequests(batch, loaded.draft, maxBatch - local.length)
      const round = commitRound(loaded, local, remote)
      return { ...round, answered: [...remote.run, ...remote.rejected].map((p) => p.remote!) }
    } catch (error) {
      // Nothing was committed; requests another process had already answered keep their answers.
      return { outcomes: new Map(), committed: undefined, answered: [], failure: { ok: false, error: refused(error) } }
    }
  }

  /** Resolves a batch's callers with their outcomes, and tells the listeners of its commit. */
  function settle(batch: Pending[], round: Round): void {
    for (const p of batch) {
      const outcome = p.served ?? round.failure ?? round.outcomes.get(p)!
      if (p.served) counters.servedByOthers++
      if (outcome.ok) p.resolve(outcome.value)
      else p.reject(outcome.error)
    }
    if (round.committed) for (const listener of commitListeners) listener(round.committed)
  }

  /**
   * Commits `batch` under the lock: the one `kept` from the last commit, or one taken now. Returns the lock
   * when this process keeps it for its next batch.
   */
  async function commitBatch(batch: Pending[], kept?: Held): Promise<Held | undefined> {
    let held = kept
    if (!held) {
      // A batch of submitted requests only may find all of them done by another process while it waits.
      const onlyRequests = batch.every((p) => p.request)
      let lock
      try {
        lock = await acquireFileLockUnlessDone(lockPath, {
          ...options.lock,
          abandon: onlyRequests ? () => batch.every((p) => (p.served ??= verifiedResult(p)) !== undefined) : undefined,
          // A holder touches the files of the requests it answered once its commit is in, and of every
          // waiting request as it lets the lock go (see below).
          wakeOn: onlyRequests ? batch.map((p) => ({ path: requests.requestPath(p.request!.id) })) : undefined,
        })
      } catch (error) {
        for (const p of batch) p.reject(refused(error))
        return undefined
      }
      if (!lock) {
        settle(batch, { outcomes: new Map(), committed: undefined, answered: [] })
        return undefined
      }
      held = keepUntilExit({ lock, since: performance.now() })
    }
    const heldSince = performance.now()
    const cpuSince = process.cpuUsage()
    /** Lets the lock go (or hands it to the next commit), counting the time and CPU held; the first call only. */
    let finished = false
    const finish = (letGo: boolean) => {
      if (finished) return
      finished = true
      if (letGo) release(held)
      const cpu = process.cpuUsage(cpuSince)
      counters.lockHeldMs += performance.now() - heldSince
      counters.lockHeldCpuMs += (cpu.user + cpu.system) / 1000
    }
    let keep = false
    let wake = false
    try {
      const round = lockedRound(batch)
      // Those whose requests this commit answered collect them now; this process's own callers, settled
      // now, may ask again before the next turn of the event loop. While other processes ask too, this
      // process keeps the lock meanwhile, and if its callers did ask, commits those with every request
      // waiting since, on the document it wrote last (nothing to read): eight processes allocating at
      // once cost commits in a row by one process, each serving all who asked since the last. Released
      // between commits, the lock went to another process in more than half of them (the callers of those
      // it had served asked again at once and found it free), each such holder read the deltas or the
      // whole file first, and each commit held the lock a fifth longer (bench:alloc: 8.5 against 7.1 ms).
      // The price, a caller's own code right after its commit running with the lock held, is paid only
      // then: with nobody else asking the lock goes before the callers run (a caller may do something
      // slow). It is kept for keepLockMs at most (then taken again, with a fresh time: a lock older than
      // staleMs counts as abandoned), not while a plain transaction waits in the lock's queue, and not
      // after a failed commit. Once it goes, every process with a request waiting is woken to take it in
      // turn, unless this process's callers asked again and nobody else did: it then takes it again at once.
      const holdOn = keepLockMs > 0 && !round.failure && round.answered.length > 0
      if (!holdOn) finish(true)
      settle(batch, round)
      requests.wakeAnswered(round.answered)
      if (!round.failure) await new Promise<void>((resolve) => setImmediate(resolve))
      keep = holdOn && queue.length > 0 && performance.now() - held.since < keepLockMs && !held.lock.queued()
      wake = !keep && (holdOn || round.failure !== undefined || queue.length === 0)
    } finally {
      finish(!keep)
    }
    if (wake) requests.wakeWaiting()
    return keep ? held : undefined
  }

  function drain(): Promise<void> {
    flushing ??= (async () => {
      // Let every call made in this tick join the first batch.
      await new Promise<void>((resolve) => setImmediate(resolve))
      let held: Held | undefined
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch)
        queue = queue.slice(maxBatch)
        held = await commitBatch(batch, held)
      }
      // (commitBatch keeps the lock only with more queued.)
      flushing = undefined
    })()
    return flushing
  }

  return {
    path,
    transact<T>(fn: (draft: StateDraft) => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
        void drain()
      })
    },
    read(): Promise<Snapshot> {
      inflightRead ??= new Promise<Snapshot>((resolve, reject) => {
        setImmediate(() => {
          inflightRead = undefined
          try {
            resolve(load())
          } catch (error) {
            if (!(error instanceof CorruptStateError)) return reject(refused(error))
            // Recovery needs the lock: an empty transaction loads (and repairs) under it.
            cached = undefined
            let repaired: StateDocument | undefined
            queue.push({ fn: (d) => (repaired = d), resolve: () => resolve(repaired as Snapshot), reject })
            void drain()
          }
        })
      })
      return inflightRead
    },
    onDidCommit(listener) {
      commitListeners.add(listener)
      return () => commitListeners.delete(listener)
    },
    onDidRecover(listener) {
      recoverListeners.add(listener)
      return () => recoverListeners.delete(listener)
    },
    metrics: () => ({ ...counters }),
    defineOperation(kind, operation) {
      operations.set(kind, operation as StoreOperation)
    },
    submit<V>(kind: string, id: string, input: unknown, at: Date): Promise<V> {
      const operation = operations.get(kind)
      if (!operation) return Promise.reject(new TypeError(`no operation "${kind}" is defined`))
      try {
        requests.post({ id, kind, pid: process.pid, at: at.toISOString(), input })
      } catch (error) {
        return Promise.reject(refused(error))
      }
      return new Promise<V>((resolve, reject) => {
        queue.push({
          fn: (d) => operation.run(d, input, id, at),
          resolve: resolve as (value: unknown) => void,
          reject,
          request: { id, operation },
        })
        void drain()
      }).finally(() => requests.done(id))
    },
    async flush() {
      while (flushing) await flushing
    },
  }
}
