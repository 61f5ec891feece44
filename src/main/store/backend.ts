import { createHash } from 'node:crypto'
import { dirname } from 'node:path'
import { writeFileAtomicMakingFolder } from './atomicFile'
import { StoreIoError } from './errors'
import { StateDocumentSchema } from '../../shared/schemas/state'
import { fingerprintOnce } from './schemaFingerprint'

/**
 * Where the state document physically lives. The app uses electron-store, the CLI and the tests
 * use conf (the library electron-store is built on, same file format); both satisfy this.
 */
export interface DocumentBackend {
  /** Absolute path of the JSON file. */
  readonly path: string
  /** Parses the file; undefined when there is none; throws CorruptStateError when it cannot be parsed. */
  read(): unknown
  /** Writes atomically and durably (temp file, fsync, rename) with mode 0600. */
  write(document: object): void
}

/** The subset of conf / electron-store we use. */
export interface ConfLike {
  readonly path: string
  readonly store: Record<string, unknown>
}

/** Marks a file conf could not parse, so conf's constructor never throws and never clears it. */
export const UNPARSEABLE = Symbol('unparseable')

/** Marks a document whose digest matched: written whole by this schema's writer, so no need to validate it again. */
export const VERIFIED = Symbol('verified')

const HEAD = /^\{"version":\d+,"revision":\d+,"commit":"[a-z0-9]+"/
const DIGEST_HEAD = /^(\{"version":\d+,"revision":\d+,"commit":"[a-z0-9]+"),"digest":"([0-9a-f]{40})"/

/** Set by the build (electron.vite.config.ts); absent when run from source. */
declare const __STATE_SCHEMA_FINGERPRINT__: string | undefined

/** The state schema's fingerprint: the build's, or computed on first use when run from source. */
export const schemaFingerprint = fingerprintOnce(
  typeof __STATE_SCHEMA_FINGERPRINT__ === 'string' ? __STATE_SCHEMA_FINGERPRINT__ : undefined,
  StateDocumentSchema,
)

/**
 * The digest covers the schema's fingerprint and the document, so a file written under another version
 * of the schema is validated again, never trusted. The document comes in parts (hashed one after the
 * other, as if joined): a reader hashes the file's text around the digest field without building that
 * text again.
 */
export function digestOf(schema: string, ...parts: string[]): string {
  const hash = createHash('sha1').update(schema)
  for (const part of parts) hash.update(part)
  return hash.digest('hex')
}

/** The document as JSON, with a digest of itself after the head. */
export function serializeState(value: Record<string, unknown>, schema = schemaFingerprint()): string {
  const text = JSON.stringify(value)
  const head = HEAD.exec(text)
  return head ? `${head[0]},"digest":"${digestOf(schema, text)}"${text.slice(head[0].length)}` : text
}

/** Parses the file; marks it VERIFIED when its digest matches, and drops the digest field. */
export function deserializeState(text: string): Record<string | symbol, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    return { [UNPARSEABLE]: (error as Error).message }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return { [UNPARSEABLE]: 'the file does not hold a JSON object' }
  const doc = parsed as Record<string | symbol, unknown>
  const head = DIGEST_HEAD.exec(text)
  if (head && digestOf(schemaFingerprint(), head[1]!, text.slice(head[0].length)) === head[2]) {
    doc[VERIFIED] = true
  }
  delete doc.digest
  return doc
}

/** Options to give conf or electron-store so the file is ours: compact JSON, 0600, never silently cleared. */
export function confOptions(cwd: string) {
  return {
    cwd,
    configName: 'state',
    fileExtension: 'json',
    projectName: 'auth-pool',
    clearInvalidConfig: false,
    accessPropertiesByDotNotation: false,
    configFileMode: 0o600,
    watch: false,
    serialize: (value: Record<string, unknown>) => serializeState(value),
    deserialize: deserializeState,
  }
}

/**
 * The state file in `home` through conf or electron-store (`open` constructs one with these options; it
 * reads the file as it starts): a folder the system refuses is explained (StoreIoError).
 */
export function openConfBackend(
  home: string,
  open: (options: ReturnType<typeof confOptions>) => ConfLike,
): DocumentBackend {
  try {
    return backendFromConf(open(confOptions(home)))
  } catch (error) {
    throw StoreIoError.from(error, home)
  }
}

export function backendFromConf(conf: ConfLike): DocumentBackend {
  return {
    path: conf.path,
    read() {
      let value: Record<string | symbol, unknown>
      try {
        value = conf.store as Record<string | symbol, unknown>
      } catch (error) {
        throw StoreIoError.from(error, dirname(conf.path)) // not there to read (parse errors never throw)
      }
      if (UNPARSEABLE in value) return { [UNPARSEABLE]: value[UNPARSEABLE] }
      // (conf copies the VERIFIED mark along with the fields.)
      // conf returns {} for a missing file; an empty object is never a valid document, so treat it as absent.
      return Object.keys(value).length === 0 ? undefined : value
    },
    write(document) {
      // The same file, in the same format conf reads (serializeState is its serializer), but written by
      // writeFileAtomic rather than by conf's setter: conf's writer (atomically) makes one write call and
      // ignores a short count, so on a full disk it renamed a truncated document into place and reported
      // success (the next load found it corrupt and fell back to the last backup, losing what came since).
      // Its folder may have been removed meanwhile.
      writeFileAtomicMakingFolder(conf.path, serializeState(document as Record<string, unknown>), 0o600)
    },
  }
}
