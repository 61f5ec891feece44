import { existsSync, linkSync, readFileSync, renameSync } from 'node:fs'
import {
  createInitialState,
  StateDocumentSchema,
  STATE_VERSION,
  type Recovery,
  type StateDocument,
} from '../../shared/schemas/state'
import { DEFAULT_SETTINGS } from '../../shared/schemas/settings'
import { removeStaleTempFiles, writeFileAtomic } from '../system/atomicFile'
import { CorruptStateError, StoreVersionError } from './errors'
import { ownedFileStamp, type Ownership } from './ownership'

/** `migrations[n]` turns a version-n document into a version-(n+1) one. */
export type Migrations = Readonly<Record<number, (doc: Record<string, unknown>) => Record<string, unknown>>>

/** Version 1 is the first released schema; later versions add their step here. */
export const MIGRATIONS: Migrations = {}

export function migrateDocument(raw: unknown, migrations: Migrations, source: string, target = STATE_VERSION): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CorruptStateError(source, 'not a JSON object')
  let doc = raw as Record<string, unknown>
  const version = doc.version
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0)
    throw new CorruptStateError(source, 'it has no schema version')
  if (version > target) throw new StoreVersionError(source, version, target)
  for (let v = version; v < target; v++) {
    const step = migrations[v]
    if (!step) throw new CorruptStateError(source, `no migration from schema version ${v}`)
    doc = { ...step(doc), version: v + 1 }
  }
  return doc
}

/** Previous good generations kept beside the state file: `state.json.bak.1` (newest) … `.bak.3`. */
export const GENERATIONS = 3

export const backupPath = (path: string, generation: number) => `${path}.bak.${generation}`

/** The file's text and identity, or undefined when there is none; a symlink or another user's file is refused. */
export function readOwnedFile(
  path: string,
  ownership: Ownership,
  what: string,
): { text: string; stamp: string } | undefined {
  const stamp = ownedFileStamp(path, ownership, what)
  try {
    return stamp === undefined ? undefined : { text: readFileSync(path, 'utf8'), stamp }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function describeZodFailure(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
  return shown.join('; ') + (error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '')
}

/**
 * Parses, migrates and validates a state document in full. Throws CorruptStateError for anything that
 * is not a valid document (including `{}` and arrays) and StoreVersionError for a newer one.
 */
export function parseState(text: string, source: string, migrations: Migrations): StateDocument {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new CorruptStateError(source, `not valid JSON (${(error as Error).message})`)
  }
  const parsed = StateDocumentSchema.safeParse(migrateDocument(raw, migrations, source))
  if (!parsed.success) throw new CorruptStateError(source, `not a state document: ${describeZodFailure(parsed.error)}`)
  return parsed.data
}

/** A restored document, the record of it, and where the unusable file goes when it is written (if any). */
export type Restored = { readonly doc: StateDocument; readonly recovery: Recovery; readonly moveAsideTo: string | null }

/**
 * The newest valid generation, as the document to continue from. A generation from a newer Auth Pool
 * stops the recovery (StoreVersionError): restoring an older one instead would lose what that version
 * wrote. With no valid generation the pool starts empty, and the unusable file is kept for the user.
 */
export function restoreState(
  path: string,
  reason: string,
  at: Date,
  ownership: Ownership,
  migrations: Migrations,
): Restored {
  let restored: { doc: StateDocument; from: string } | undefined
  for (let g = 1; g <= GENERATIONS && !restored; g++) {
    const from = backupPath(path, g)
    try {
      const file = readOwnedFile(from, ownership, 'backup')
      if (file) restored = { doc: parseState(file.text, from, migrations), from }
    } catch (error) {
      if (error instanceof StoreVersionError) throw error
      if (!(error instanceof Error && 'code' in error)) throw error // an unusable generation: try the next
    }
  }
  const moveAsideTo = existsSync(path) ? `${path}.corrupt-${at.toISOString().replace(/[:.]/g, '-')}` : null
  const recovery: Recovery = {
    at: at.toISOString(),
    reason,
    movedAsideTo: moveAsideTo,
    restoredFrom: restored ? 'backup' : 'empty',
    backup: restored?.from ?? null,
  }
  const doc = restored?.doc ?? createInitialState(DEFAULT_SETTINGS)
  doc.recoveries = [...doc.recoveries, recovery].slice(-50)
  return { doc, recovery, moveAsideTo }
}

/** Whether any generation is there to restore a missing state file from. */
export const hasGenerations = (path: string) =>
  Array.from({ length: GENERATIONS }, (_, i) => backupPath(path, i + 1)).some((p) => existsSync(p))

/**
 * Shifts the generations down one and keeps the current file as the newest, by a hard link: no copy,
 * and the rename that follows leaves it the only name of that version. A kill between two steps loses
 * at most the oldest generation, never the current file.
 */
function rotateGenerations(path: string): void {
  for (let g = GENERATIONS - 1; g >= 1; g--)
    try {
      renameSync(backupPath(path, g), backupPath(path, g + 1))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  linkSync(path, backupPath(path, 1))
}

/**
 * Writes the next document: temp file, fsync, then the file it replaces kept as the newest generation
 * (when it was valid) or moved aside (when it was unusable), rename, fsync of the folder. Leftovers of
 * killed writers (temp files, locks being broken) are removed first.
 */
export function writeState(
  path: string,
  text: string,
  previous: { readonly keepGeneration: boolean; readonly moveAsideTo: string | null },
): void {
  removeStaleTempFiles(path, 60_000, ['.tmp-', '.broken-'])
  writeFileAtomic(path, text, {
    beforeRename: () => {
      if (previous.keepGeneration) rotateGenerations(path)
      else if (previous.moveAsideTo) renameSync(path, previous.moveAsideTo)
    },
  })
}
