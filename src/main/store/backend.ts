import { createHash } from 'node:crypto'
import { dirname } from 'node:path'
import { writeFileAtomicMakingFolder } from '../system/atomicFile'
import { StoreIoError } from './errors'
import { StateDocumentSchema } from '../../shared/schemas/state'
import { fingerprintOnce } from './schemaFingerprint'
import { stringifyTo } from './jsonParts'

/**
 * Where the state document physically lives. The app uses electron-store, the CLI and the tests
 * use conf (the library electron-store is built on, same file format); both satisfy this.
 */
export interface DocumentBackend {
  /** Absolute path of the JSON file. */
  readonly path: string
  /** Parses the file; undefined when there is none; throws CorruptStateError when it cannot be parsed. */
  read(): unknown
  /** Writes atomically and durably (temp file, fsync, rename) with mode 0600; returns the file's digest. */
  write(document: object): string | undefined
}

/** The subset of conf / electron-store we use. */
export interface ConfLike {
  readonly path: string
  readonly store: Record<string, unknown>
}

/** Marks a file conf could not parse, so conf's constructor never throws and never clears it. */
export const UNPARSEABLE = Symbol('unparseable')

/**
 * Marks a document whose digest matched (the mark's value is that digest): written whole by this schema's
 * writer, so no need to validate it again.
 */
export const VERIFIED = Symbol('verified')

/**
 * The head of a state file, as this module writes it and everything reads it: 1 the head without the
 * digest, 2 version, 3 revision, 4 commit id, 5 the digest when there is one.
 */
export const STATE_HEAD = /^(\{"version":(\d+),"revision":(\d+),"commit":"([a-z0-9]+)")(?:,"digest":"([0-9a-f]{40})")?/

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
export function digestOf(schema: string, ...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha1').update(schema)
  for (const part of parts) hash.update(part)
  return hash.digest('hex')
}

/** The bytes a digest field takes: `,"digest":"` and 40 hex digits and `"`. */
const DIGEST_FIELD_BYTES = 52

/** Kept from one write to the next, so its memory is mapped once (see jsonParts.ts). */
let scratch = Buffer.alloc(0)

/**
 * The document as JSON in UTF-8, with a digest of itself after the head: a view of a buffer this
 * module reuses, valid until the next call, and the digest (undefined for a document without the head).
 * The text is serialized in pieces straight into the buffer, after room for the digest field, hashed
 * there, and its head moved into that room; no string as long as the document is ever made (each one
 * cost a fresh mapping of memory, see jsonParts.ts).
 */
export function encodeState(
  value: Record<string, unknown>,
  schema = schemaFingerprint(),
): { bytes: Buffer; digest: string | undefined } {
  const start = DIGEST_FIELD_BYTES
  let end = start
  stringifyTo(value, (text) => {
    const room = 3 * text.length // a UTF-16 unit is at most 3 bytes of UTF-8
    if (scratch.length - end < room) {
      // Doubled at least, from 1 MiB: a document grows by a few entries per commit, and each new
      // buffer's pages are fresh memory again (only the pages written are ever touched).
      const bigger = Buffer.allocUnsafeSlow(Math.max(end + room, scratch.length * 2, 1 << 20))
      scratch.copy(bigger, 0, 0, end)
      scratch = bigger
    }
    end += scratch.write(text, end)
  })
  // The head (version, revision, commit: a few short values, ASCII) leads the text.
  const head = STATE_HEAD.exec(scratch.toString('latin1', start, Math.min(end, start + 200)))?.[1]
  if (!head) return { bytes: scratch.subarray(start, end), digest: undefined }
  const digest = digestOf(schema, scratch.subarray(start, end))
  scratch.copy(scratch, 0, start, start + head.length) // the head moves into the room left
  scratch.write(`,"digest":"${digest}"`, head.length, 'latin1')
  return { bytes: scratch.subarray(0, end), digest }
}

/** encodeState as a string (conf's serializer; tests). */
export function serializeState(value: Record<string, unknown>, schema = schemaFingerprint()): string {
  return encodeState(value, schema).bytes.toString('utf8')
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
  const head = STATE_HEAD.exec(text)
  if (head?.[5] && digestOf(schemaFingerprint(), head[1]!, text.slice(head[0].length)) === head[5]) {
    doc[VERIFIED] = head[5]
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
      const { bytes, digest } = encodeState(document as Record<string, unknown>)
      writeFileAtomicMakingFolder(conf.path, bytes, 0o600)
      return digest
    },
  }
}
