/** The state file is held by another process for longer than we are willing to wait. */
export class StoreLockedError extends Error {
  readonly code = 'STORE_LOCKED' as const
  constructor(
    readonly lockPath: string,
    readonly waitedMs: number,
    readonly holder: string,
  ) {
    super(`the state file is locked by ${holder}; gave up after ${waitedMs} ms (lock: ${lockPath})`)
    this.name = 'StoreLockedError'
  }
}

/** The state file was written by a newer Auth Pool; it is left untouched. */
export class StoreVersionError extends Error {
  readonly code = 'STORE_VERSION' as const
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(`${path} has schema version ${found}, but this Auth Pool understands up to ${supported}; update Auth Pool`)
    this.name = 'StoreVersionError'
  }
}

/** A document that cannot be used: unparseable, or invalid against the schema. */
export class CorruptStateError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path} is corrupt: ${reason}`)
    this.name = 'CorruptStateError'
  }
}
