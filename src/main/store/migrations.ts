import { STATE_VERSION } from '../../shared/schemas/state'
import { CorruptStateError, StoreVersionError } from './errors'

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
