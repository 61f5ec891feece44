// Group commit across processes. A process that wants to run a registered operation writes a request
// file beside the state file and queues for the lock as usual. Whoever holds the lock first runs every
// pending request in its own commit and writes each outcome to `<id>.res` (before the state file is
// renamed in, naming the commit that carries it). A waiter whose outcome arrives, and whose commit is
// the one now in the state file, leaves the queue without ever taking the lock. So eight processes
// allocating at once cost one or two commits, not eight in a row.
import { existsSync, readdirSync, readFileSync, unlinkSync, utimesSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import { z } from 'zod'
import { ReportedError } from '../../shared/errors'
import type { ErrorValue } from '../../shared/result'
import type { StateDocument, StateDraft } from '../../shared/schemas/state'
import type { DeepReadonly } from '../../shared/readonly'
import { makingFolder, modifiedAt, writeFileAtomicMakingFolder, writeFileDirect } from '../system/atomicFile'
import { digestOf } from './backend'

/** An operation other processes may run on this one's behalf: it must be described by plain data. */
export interface StoreOperation<I = unknown, V = unknown> {
  /** Checks a request's input as read from another process's file (throws ValidationError). */
  readonly parseInput: (input: unknown) => I
  /** Runs it on the draft at the requester's time; the value must be plain JSON. */
  readonly run: (draft: StateDraft, input: I, id: string, at: Date) => V
  /** True when `doc` shows that request `id` took effect (so a reported success really committed). */
  readonly applied: (doc: DeepReadonly<StateDocument>, id: string) => boolean
  /** Checks the value reported back by another process. */
  readonly parseValue: (value: unknown) => V
  /**
   * A hash of the value's schema. Answers carry a digest of themselves and of it, and an answer whose
   * digest matches the reader's own fingerprint was written whole by a process that produced its value
   * under the same schema, from a document it validated: it is taken as written, without parseValue
   * (which took a twentieth of a waiting process's CPU). Without it, every answer is parsed.
   */
  readonly fingerprint?: () => string
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

const IdSchema = z.string().regex(/^[a-z0-9-]{8,64}$/)

const RequestFileSchema = z.object({
  id: IdSchema,
  kind: z.string().min(1).max(64),
  pid: z.number().int().positive(),
  at: z.iso.datetime(),
  input: z.unknown(),
})
export type RequestFile = z.infer<typeof RequestFileSchema>

const ErrorValueSchema = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
})

const ResultFileSchema = z.object({
  /** The commit that carries this outcome (for a rejection: the commit it was judged against). */
  commit: z.string(),
  outcome: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value: z.unknown() }),
    z.object({ ok: z.literal(false), error: ErrorValueSchema }),
  ]),
})
/** `verified`: its digest matched the reader's fingerprint (see StoreOperation.fingerprint). */
export type ResultFile = z.infer<typeof ResultFileSchema> & { readonly verified?: true }

/** An answer's digest leads it: `{"digest":"<40 hex>",` then the rest of the answer's JSON. */
const ANSWER_DIGEST = /^\{"digest":"([0-9a-f]{40})",/
/**
 * Hashed into every answer's digest with the operation's fingerprint, which covers only the value: change
 * it whenever the answer's own layout (ResultFileSchema) changes, so no reader trusts another layout.
 */
const ANSWER_LAYOUT = 'answer-1:'

/** A request read from another process, ready to run. */
export interface RemoteRequest {
  readonly id: string
  readonly operation: StoreOperation
  readonly input: unknown
  readonly at: Date
}

/** Requests older than this are abandoned (their process gave up long ago). */
const REQUEST_TTL_MS = 120_000
/** Commit markers are only needed while the waiters of that commit look at them. */
const MARKER_TTL_MS = 60_000
/**
 * How often a process sweeps leftovers (a stat each): markers pile up one per commit, and statting a
 * hundred of them in every commit's gather cost the lock holder about a millisecond.
 */
const SWEEP_EVERY_MS = 10_000

/** Touches each file (its waiter watches it for a change); one that is gone finished meanwhile. */
function touch(paths: readonly string[]): void {
  const now = new Date()
  for (const path of paths)
    try {
      utimesSync(path, now, now)
    } catch {
      // finished meanwhile
    }
}

export function createRequestBox(dir: string, isAlive: (pid: number) => boolean) {
  let sweptAt = -Infinity
  // Names are appended to the folder, normalized once here: path.join normalizes the whole path on each
  // call, which took 1.5% of the benchmark's main-thread CPU (a few joins per allocation).
  const prefix = resolve(dir) + sep
  const inDir = (name: string) => prefix + name
  const requestPath = (id: string) => inDir(`${id}.json`)
  const resultPath = (id: string) => inDir(`${id}.res`)
  /**
   * Commit marks have a folder of their own: one is made per commit and kept a minute, and among the
   * requests they made every holder's listing of the box (once per commit) hundreds of names long.
   */
  const marks = `${prefix}ok`
  const markPath = (commit: string) => `${marks}${sep}${commit}`
  const remove = (path: string) => {
    try {
      unlinkSync(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }

  /**
   * Removes an answered request and its answer once their asker is gone (killed after its answer came
   * and before it removed both: neither is any use to anyone, and no rule above ever removed them, the
   * answer having its request and the request its answer). Only long after, and only for an asker that
   * is not running: one that merely slept through it would run its request again, answer gone.
   */
  function removeIfAbandoned(id: string): void {
    if (Date.now() - modifiedAt(requestPath(id)) <= REQUEST_TTL_MS) return
    const request = readRequest(id) // (an answered request was read whole: it is one, or gone)
    if (!request || isAlive(request.pid)) return
    remove(requestPath(id)) // first: a request without an answer would be run again
    remove(resultPath(id))
  }

  /** Request `id` as posted; undefined when its file holds no such request (torn, foreign), null when gone. */
  function readRequest(id: string): RequestFile | undefined | null {
    try {
      const parsed = RequestFileSchema.safeParse(JSON.parse(readFileSync(requestPath(id), 'utf8')))
      return parsed.success && parsed.data.id === id ? parsed.data : undefined
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined
    }
  }

  /** Removes commit marks past their use. */
  function sweepMarks(): void {
    let names: string[]
    try {
      names = readdirSync(marks)
    } catch {
      return // none yet
    }
    for (const name of names) if (Date.now() - modifiedAt(markPath(name)) > MARKER_TTL_MS) remove(markPath(name))
  }

  return {
    dir,

    /** The file of a request: it exists while the request waits, and its waiter watches it. */
    requestPath,

    /**
     * Wakes every process with a request waiting (a holder calls this once it has released the lock):
     * touching a request's file is the change its waiter watches for. Those it served collect their
     * answers; the others take the lock in turn. Best effort: a waiter also looks now and then.
     */
    wakeWaiting(): void {
      let names: string[]
      try {
        names = readdirSync(dir)
      } catch {
        return // no requests yet, or none we can see
      }
      touch(names.filter((name) => name.endsWith('.json')).map(inDir))
    },

    /** Wakes the processes whose requests `ids` were answered, and only them (see commitBatch in stateStore.ts). */
    wakeAnswered(ids: readonly string[]): void {
      touch(ids.map(requestPath))
    },

    /** Publishes a request of this process. */
    post(request: RequestFile): void {
      // No fsync: a request lost in a crash was never answered, and its process is gone too. The folder
      // is made by the first request here (or again, if it was removed).
      writeFileAtomicMakingFolder(requestPath(request.id), JSON.stringify(request), 0o600, false)
    },

    /**
     * The outcome reported for request `id`, if any (a torn or foreign file counts as none); verified when
     * its digest matches `fingerprint`, the reading operation's.
     */
    result(id: string, fingerprint?: string): ResultFile | undefined {
      if (!existsSync(resultPath(id))) return undefined // the usual answer, without building an ENOENT error
      let text: string
      try {
        text = readFileSync(resultPath(id), 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
      const digest = fingerprint === undefined ? null : ANSWER_DIGEST.exec(text)
      if (digest && digestOf(ANSWER_LAYOUT + fingerprint!, '{', text.slice(digest[0].length)) === digest[1]) {
        const { commit, outcome } = JSON.parse(text) as ResultFile
        return { commit, outcome, verified: true }
      }
      try {
        const parsed = ResultFileSchema.safeParse(JSON.parse(text))
        return parsed.success ? parsed.data : undefined
      } catch {
        return undefined
      }
    },

    /** Forgets a result that never committed (its writer died before the state file was renamed in). */
    discardResult(id: string): void {
      remove(resultPath(id))
    },

    /** Removes a finished request of this process and its result. */
    done(id: string): void {
      remove(requestPath(id))
      remove(resultPath(id))
    },

    /**
     * Other processes' requests still waiting for an outcome, at most `limit`. Unreadable, expired and
     * orphaned ones (their process died) are removed; kinds this process does not know are left alone.
     */
    pending(
      operations: ReadonlyMap<string, StoreOperation>,
      skip: ReadonlySet<string>,
      limit: number,
    ): { requests: RemoteRequest[]; rejected: { id: string; error: unknown }[] } {
      let names: string[]
      try {
        names = readdirSync(dir)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { requests: [], rejected: [] }
        throw error
      }
      const sweeping = Date.now() - sweptAt >= SWEEP_EVERY_MS
      if (sweeping) {
        sweptAt = Date.now()
        sweepMarks()
      }
      const answered = new Set(names.filter((n) => n.endsWith('.res')).map((n) => n.slice(0, -4)))
      const requests: RemoteRequest[] = []
      const rejected: { id: string; error: unknown }[] = []
      const asked = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)))
      for (const name of names) {
        if (requests.length + rejected.length >= limit) break
        // Leftovers (looked at once per SWEEP_EVERY_MS): commit markers past their use (an older version
        // kept them here), answers nobody will collect (their asker was killed), temp files of a writer
        // killed mid-write.
        const leftover =
          sweeping &&
          ((name.endsWith('.ok') && MARKER_TTL_MS) ||
            (name.endsWith('.res') && !asked.has(name.slice(0, -4)) && REQUEST_TTL_MS) ||
            (name.includes('.tmp-') && REQUEST_TTL_MS))
        if (leftover && Date.now() - modifiedAt(inDir(name)) > leftover) remove(inDir(name))
        if (!name.endsWith('.json')) continue
        const id = name.slice(0, -5)
        if (answered.has(id) && sweeping) removeIfAbandoned(id)
        if (skip.has(id) || answered.has(id)) continue
        const path = inDir(name)
        const request = readRequest(id)
        if (request === null) continue // finished meanwhile
        if (!request || !isAlive(request.pid) || Date.now() - modifiedAt(path) > REQUEST_TTL_MS) {
          remove(path)
          continue
        }
        const operation = operations.get(request.kind)
        if (!operation) continue // another version's operation: its own process will run it
        try {
          requests.push({ id, operation, input: operation.parseInput(request.input), at: new Date(request.at) })
        } catch (error) {
          rejected.push({ id, error })
        }
      }
      return { requests, rejected }
    },

    /**
     * Marks commit `commit` as renamed in: the first thing a woken waiter looks for (one system call), and
     * the only proof left for one that looks after a later commit replaced it in the state file (without
     * it, that waiter would have to queue for the lock to find out).
     */
    markCommitted(commit: string): void {
      // Empty: it is there or not, never half there. The first mark makes the folder.
      makingFolder(marks, () => writeFileDirect(markPath(commit), ''))
    },

    committed(commit: string): boolean {
      return existsSync(markPath(commit))
    },

    /**
     * Reports an outcome; called before the commit carrying it is renamed in. A success carries a digest
     * of itself and `fingerprint` (the operation's, see StoreOperation.fingerprint).
     */
    answer(
      id: string,
      commit: string,
      outcome: Outcome,
      toError: (error: unknown) => ErrorValue,
      fingerprint?: string,
    ): void {
      const result = {
        commit,
        outcome: outcome.ok ? { ok: true, value: outcome.value } : { ok: false, error: toError(outcome.error) },
      }
      const text = JSON.stringify(result)
      const signed =
        outcome.ok && fingerprint !== undefined
          ? `{"digest":"${digestOf(ANSWER_LAYOUT + fingerprint, text)}",${text.slice(1)}`
          : text
      // Written in place: a waiter that reads it half-written finds no digest to match or no JSON to parse,
      // takes it for none and reads it again when woken (after the commit, by the holder's touch).
      writeFileDirect(resultPath(id), signed)
    },
  }
}

export type RequestBox = ReturnType<typeof createRequestBox>

/** The outcome another process reported, as this process would have produced it. */
export function outcomeOf(result: ResultFile, operation: StoreOperation): Outcome {
  if (!result.outcome.ok) return { ok: false, error: new ReportedError(result.outcome.error as ErrorValue) }
  if (result.verified) return { ok: true, value: result.outcome.value }
  try {
    return { ok: true, value: operation.parseValue(result.outcome.value) }
  } catch (error) {
    return { ok: false, error }
  }
}
