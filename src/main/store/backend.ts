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
  store: Record<string, unknown>
}

/** Marks a file conf could not parse, so conf's constructor never throws and never clears it. */
export const UNPARSEABLE = Symbol('unparseable')

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
    serialize: (value: Record<string, unknown>) => JSON.stringify(value),
    deserialize: (text: string): Record<string | symbol, unknown> => {
      try {
        const parsed: unknown = JSON.parse(text)
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
          return parsed as Record<string, unknown>
        return { [UNPARSEABLE]: 'the file does not hold a JSON object' }
      } catch (error) {
        return { [UNPARSEABLE]: (error as Error).message }
      }
    },
  }
}

export function backendFromConf(conf: ConfLike): DocumentBackend {
  return {
    path: conf.path,
    read() {
      const value = conf.store as Record<string | symbol, unknown>
      if (UNPARSEABLE in value) return { [UNPARSEABLE]: value[UNPARSEABLE] }
      // conf returns {} for a missing file; an empty object is never a valid document, so treat it as absent.
      return Object.keys(value).length === 0 ? undefined : value
    },
    write(document) {
      // conf re-reads and re-parses the whole file on every write to carry over its `__internal__` key
      // (used only by conf's own migrations, which we do not use). A non-enumerable key tells it there is
      // nothing to carry, and JSON.stringify leaves it out of the file.
      conf.store = Object.defineProperty({ ...document }, '__internal__', { value: {}, enumerable: false })
    },
  }
}
