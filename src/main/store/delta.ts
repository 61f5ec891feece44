import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs'
import type { StateDocument } from '../../shared/schemas/state'
import { digestOf } from './backend'
import type { Change } from './validateChange'
import { copyRecord } from './records'
import { makingFolder } from '../system/atomicFile'

/**
 * What one commit changed, beside the state file: a process whose cached document is the commit's base
 * applies it instead of reading and parsing the whole file again.
 *
 * With eight processes taking turns at the lock, about half the commits follow another process's, and
 * that parse (a 250 kB document, 2 MB of objects, most of which outlive the next scavenge) was the
 * costliest step under the lock after the write itself: 3.3 ms of wall time per parse in the benchmark,
 * and the most variable one. The last DELTA_RING commits' deltas are kept (a folder beside the state
 * file, one file per revision modulo DELTA_RING), since a process taking the lock is usually a few
 * commits behind.
 *
 * They are only ever a shortcut: a chain of them is used when it goes from exactly the document a process
 * holds (revision, commit id and digest of the file that document came from) to exactly the file there
 * now (the same three of its head), each link starting where the last ended and carrying its own digest,
 * made under this schema's fingerprint; anything else (a link missing or overwritten, a torn write,
 * another schema) and the state file is read as before. Each is written after its commit is renamed in,
 * under the lock, without fsync: lost in a crash, it is simply not there.
 */
export interface Delta {
  readonly from: DeltaEnd
  readonly to: DeltaEnd
  /** Fields other than the records that changed, whole. */
  readonly fields: Record<string, unknown>
  /** Per record (sessions, sessionIndex, assignments): entries new or changed, whole. */
  readonly set: Record<string, Record<string, unknown>>
  /** Session index entries that only grew: account id → the session ids appended. */
  readonly appended: Record<string, string[]>
  /** Per record: ids of the entries removed. */
  readonly removed: Record<string, string[]>
}

export interface DeltaEnd {
  readonly revision: number
  readonly commit: string
  /** The state file's digest (see backend.ts). */
  readonly digest: string
}

/** The same document: revision, commit id and digest (a head without a digest is never one). */
export function sameEnd(a: DeltaEnd, b: { revision: number; commit: string; digest?: string | undefined }): boolean {
  return a.revision === b.revision && a.commit === b.commit && a.digest === b.digest
}

/** The delta from the document `from` names to `next`, given what validateChange found changed between them. */
export function deltaOf(from: DeltaEnd, to: DeltaEnd, next: StateDocument, change: Change): Delta {
  const fields: Record<string, unknown> = {}
  for (const key of change.fields) fields[key] = (next as unknown as Record<string, unknown>)[key]
  const set: Record<string, Record<string, unknown>> = {}
  const appended: Record<string, string[]> = {}
  for (const [record, ids] of Object.entries(change.entries)) {
    const entries = (next as unknown as Record<string, Record<string, unknown>>)[record]!
    for (const id of ids) {
      const grown = record === 'sessionIndex' ? change.grown.get(id) : undefined
      if (grown) appended[id] = grown
      else (set[record] ??= {})[id] = entries[id]
    }
  }
  // (The ids validateChange found lost are those of entries `next` lacks.)
  return { from, to, fields, set, appended, removed: change.lost }
}

/**
 * The document `deltas` lead to, one after the other, from `base` (the first one's `from`): a new
 * document sharing `base`'s unchanged values and entries (never mutated: see draftOf in stateStore.ts).
 */
export function applyDeltas(base: StateDocument, deltas: readonly Delta[]): StateDocument {
  const doc = { ...(base as unknown as Record<string, unknown>) }
  const copied = new Set<string>()
  /** The document's record `key`, copied before its first change (a copy per record, however many deltas). */
  const record = (key: string) => {
    if (!copied.has(key)) {
      copied.add(key)
      doc[key] = copyRecord(doc[key] as Record<string, unknown>)
    }
    return doc[key] as Record<string, unknown>
  }
  for (const delta of deltas) {
    doc.revision = delta.to.revision
    doc.commit = delta.to.commit
    Object.assign(doc, delta.fields)
    for (const [key, ids] of Object.entries(delta.removed)) {
      const entries = record(key)
      for (const id of ids) delete entries[id]
    }
    for (const [id, ids] of Object.entries(delta.appended)) {
      const index = record('sessionIndex')
      index[id] = [...((index[id] as string[] | undefined) ?? []), ...ids]
    }
    for (const [key, entries] of Object.entries(delta.set)) Object.assign(record(key), entries)
  }
  return doc as unknown as StateDocument
}

/** How many commits' deltas are kept. */
export const DELTA_RING = 16

const deltaFile = (dir: string, revision: number) => `${dir}/${revision % DELTA_RING}`

/**
 * A delta file's layout: `<digest> <byte length>\n<JSON>`, written over the previous one in place and
 * possibly followed by the rest of a longer previous one (hence the length). No temp file, no rename and
 * no truncation: on ext4 a rename over a file, or a truncation, makes the kernel allocate and write the
 * new file's blocks at once (`auto_da_alloc`), 0.1–0.3 ms each on this project's machines; a write that
 * a crash or a concurrent reader cuts short fails the digest.
 */
export function writeDelta(dir: string, delta: Delta, schema: string): void {
  const json = Buffer.from(JSON.stringify(delta))
  const header = Buffer.from(`${digestOf(schema, json)} ${json.length}\n`)
  const path = deltaFile(dir, delta.to.revision)
  // The first delta makes the folder.
  const fd = makingFolder(dir, () => openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o600))
  try {
    const bytes = Buffer.concat([header, json])
    let written = 0
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, written)
  } finally {
    closeSync(fd)
  }
}

const DELTA_HEADER = /^([0-9a-f]{40}) (\d+)\n/

/** The delta to `revision` kept in `dir`, if it is whole and was made under `schema`; undefined otherwise. */
export function readDelta(dir: string, revision: number, schema: string): Delta | undefined {
  let bytes: Buffer
  try {
    bytes = readFileSync(deltaFile(dir, revision))
  } catch {
    return undefined // none yet, or gone: the state file is read instead
  }
  const header = DELTA_HEADER.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 64)))
  if (!header) return undefined
  const start = header[0].length
  const length = Number(header[2])
  if (start + length > bytes.length) return undefined
  if (digestOf(schema, bytes.subarray(start, start + length)) !== header[1]) return undefined
  const delta = JSON.parse(bytes.toString('utf8', start, start + length)) as Delta
  return delta.to.revision === revision ? delta : undefined
}
