import { join } from 'node:path'
import { ValidationError } from '../../shared/errors'
import { randomHex } from '../system/random'
import { createInitialState, StateDocumentSchema, type Recovery, type Snapshot } from '../../shared/schemas/state'
import type { StateDocument } from '../../shared/schemas/state'
import { DEFAULT_SETTINGS } from '../../shared/schemas/settings'
import { CorruptStateError, StoreIoError } from './errors'
import {
  hasGenerations,
  MIGRATIONS,
  parseState,
  readOwnedFile,
  restoreState,
  writeState,
  type Migrations,
  type Restored,
} from './stateFile'
import { ensureHome, ownedFileStamp, processOwnership, type Ownership } from './ownership'
import { acquireStateLock, type StateLockOptions } from './stateLock'

export interface StateStore {
  readonly path: string
  /** Runs `fn` on a copy of the document under the cross-process lock and commits it. `fn` must be synchronous. */
  transact<T>(fn: (draft: StateDocument) => T): Promise<T>
  /** The document as the file holds it now, without the lock (restored first, under it, if it must be). */
  read(): Promise<Snapshot>
  /** Waits for the queued transactions. */
  flush(): Promise<void>
}

export interface StateStoreOptions {
  /** The folder of `state.json`; made (0700) when missing, refused when another user owns it. */
  readonly home: string
  readonly lock?: StateLockOptions
  /** Told when a corrupt or missing state file was replaced by a generation or an empty pool. */
  readonly onRecover?: (recovery: Recovery) => void
  readonly ownership?: Ownership
  readonly now?: () => Date
  readonly migrations?: Migrations
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }
type Transaction = { readonly fn: (draft: StateDocument) => unknown; readonly settle: (outcome: Outcome) => void }

/** The file as a load found it (text undefined: no file), the document to go on from, and a restore to write. */
type Loaded = {
  readonly text: string | undefined
  readonly stamp?: string
  readonly doc: StateDocument
  readonly restored?: Restored
}

/** How often a batch whose file changed under it (a lock broken by mistake) runs again before giving up. */
const FENCE_RETRIES = 5

/**
 * Applies each transaction to its own copy of the document so far, kept only if it returns without
 * throwing and leaves a valid document: one bad transaction never spoils its neighbours.
 */
function applyAll(base: StateDocument, batch: readonly Transaction[]): { doc: StateDocument; outcomes: Outcome[] } {
  let doc = base
  const outcomes = batch.map((t): Outcome => {
    const draft = structuredClone(doc)
    try {
      const value = t.fn(draft)
      if (value instanceof Promise) throw new TypeError('transaction functions must be synchronous')
      const parsed = StateDocumentSchema.safeParse(draft)
      if (!parsed.success) return { ok: false, error: ValidationError.fromZod(parsed.error) }
      doc = parsed.data
      return { ok: true, value }
    } catch (error) {
      return { ok: false, error }
    }
  })
  return { doc, outcomes }
}

export function createStateStore(options: StateStoreOptions): StateStore {
  const { home } = options
  const path = join(home, 'state.json')
  const ownership = options.ownership ?? processOwnership
  const migrations = options.migrations ?? MIGRATIONS
  /** The last file parsed (its identity and text) and its document: an unchanged file is not read again. */
  let cached: { stamp: string; text: string; doc: StateDocument } | undefined
  let queue: Transaction[] = []
  let draining: Promise<void> | undefined

  /** Reads and validates the file; undefined when it must be restored, which needs the lock. */
  function load(underLock: boolean): Loaded | undefined {
    ensureHome(home, ownership)
    const stamp = ownedFileStamp(path, ownership, 'state file')
    if (stamp !== undefined && cached?.stamp === stamp) return cached
    const file = readOwnedFile(path, ownership, 'state file')
    let reason: string
    if (!file) {
      if (!hasGenerations(path)) return { text: undefined, doc: createInitialState(DEFAULT_SETTINGS) }
      reason = 'state.json was missing'
    } else
      try {
        return (cached = { ...file, doc: parseState(file.text, path, migrations) })
      } catch (error) {
        if (!(error instanceof CorruptStateError)) throw error
        reason = error.reason
      }
    if (!underLock) return undefined
    const restored = restoreState(path, reason, options.now?.() ?? new Date(), ownership, migrations)
    return { ...file, text: file?.text, doc: restored.doc, restored }
  }

  /** Under the lock: loads, applies the batch and writes the result if anything changed. */
  function commitLocked(batch: readonly Transaction[], stillHeld: () => boolean): Outcome[] | 'changed-under-us' {
    const { text: loadedText, stamp: loadedStamp, doc: base, restored } = load(true)!
    const { doc, outcomes } = applyAll(base, batch)
    // Nothing to write when nothing changed (the rules are evaluated on every new usage line), except
    // the first document and a restored one. The text tells: the document is written as it serializes.
    const body = JSON.stringify(doc)
    if (loadedText !== undefined && !restored && body === loadedText) return outcomes
    const next = { ...doc, revision: base.revision + 1, commit: randomHex(6) }
    const text = JSON.stringify(next) // version, revision and commit lead it (the schema's order)
    // The revision fence: if anyone wrote the file since it was loaded (a lock broken by mistake), this
    // draft is stale; it is thrown away and the batch runs again on what is there now.
    if (!stillHeld() || ownedFileStamp(path, ownership, 'state file') !== loadedStamp) return 'changed-under-us'
    const keepGeneration = loadedText !== undefined && !restored
    writeState(path, text, { keepGeneration, moveAsideTo: restored?.moveAsideTo ?? null })
    cached = { stamp: ownedFileStamp(path, ownership, 'state file')!, text, doc: next }
    if (restored) options.onRecover?.(restored.recovery)
    return outcomes
  }

  async function commit(batch: readonly Transaction[]): Promise<Outcome[]> {
    for (let attempt = 0; attempt < FENCE_RETRIES; attempt++) {
      ensureHome(home, ownership)
      const lock = await acquireStateLock(`${path}.lock`, ownership, options.lock)
      try {
        const outcomes = commitLocked(batch, lock.stillHeld)
        if (outcomes !== 'changed-under-us') return outcomes
      } finally {
        lock.release()
      }
    }
    throw new CorruptStateError(path, `it kept changing while this process held its lock (${FENCE_RETRIES} tries)`)
  }

  function drain(): Promise<void> {
    draining ??= (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve)) // calls made in this tick share one commit
      while (queue.length > 0) {
        const batch = queue
        queue = []
        const outcomes = await commit(batch).catch((error: unknown) =>
          batch.map((): Outcome => ({ ok: false, error: StoreIoError.from(error, home) })),
        )
        batch.forEach((t, i) => t.settle(outcomes[i]!))
      }
      draining = undefined
    })()
    return draining
  }

  const transact = <T>(fn: (draft: StateDocument) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, settle: (o) => (o.ok ? resolve(o.value as T) : reject(o.error)) })
      void drain()
    })

  return {
    path,
    transact,
    async read() {
      let loaded: Loaded | undefined
      try {
        loaded = load(false)
      } catch (error) {
        throw StoreIoError.from(error, home)
      }
      if (loaded) return loaded.doc
      await transact(() => undefined) // restores under the lock
      return cached!.doc
    },
    async flush() {
      while (draining) await draining
    },
  }
}
