import type { LockHolder } from './stateLock'

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

/** A live process has held the state lock for longer than we are willing to wait. */
export class StoreLockedError extends Error {
  readonly code = 'STORE_LOCKED' as const
  constructor(lockPath: string, holder: LockHolder, onThisMachine: boolean) {
    const who = `process ${holder.pid} (${holder.command})`
    super(
      onThisMachine
        ? `${who} has held the state lock for ${seconds(Date.now() - holder.at)} and is still running; ` +
            `it may be stopped (Ctrl-Z, a debugger, a sleeping laptop). Let it go on (fg, or kill -CONT ${holder.pid}) ` +
            `or end it (kill ${holder.pid}), then try again`
        : `${who} on ${holder.host} has held the state lock for ${seconds(Date.now() - holder.at)}; ` +
            `if Auth Pool no longer runs there, delete ${lockPath} and try again`,
    )
  }
}

/** The state file was written by a newer Auth Pool; it is left untouched. */
export class StoreVersionError extends Error {
  readonly code = 'STORE_VERSION' as const
  constructor(path: string, found: number, supported: number) {
    super(`${path} has schema version ${found}, but this Auth Pool understands up to ${supported}; update Auth Pool`)
  }
}

/** A document that cannot be used: unparseable, not a state document, or invalid against the schema. */
export class CorruptStateError extends Error {
  readonly code = 'STORE_CORRUPT' as const
  constructor(
    path: string,
    readonly reason: string,
  ) {
    super(`${path} is corrupt: ${reason}`)
  }
}

/** A state folder, file or lock that another user could control: never used. */
export class StoreRefusedError extends Error {
  readonly code = 'STORE_REFUSED' as const
  constructor(path: string, reason: string) {
    super(
      `refusing to use ${path}: ${reason}. Auth Pool keeps its state only in files of your own; move it away, or set AUTH_POOL_HOME to a folder you own`,
    )
  }
}

const MAY_WRITE = 'check that you own that folder and may write to it, or set AUTH_POOL_HOME to another folder'
const IN_THE_WAY = 'something else is in the way there; move it, or set AUTH_POOL_HOME to another folder'

/** Why a file system refused the state folder, and what the user can do about it. */
const IO_ADVICE: Readonly<Record<string, string>> = {
  EACCES: MAY_WRITE,
  EPERM: MAY_WRITE,
  EROFS: 'that file system is read-only; set AUTH_POOL_HOME to a writable folder',
  ENOSPC: 'the disk is full; free some space and try again',
  EDQUOT: 'your disk quota is used up; free some space and try again',
  EFBIG: 'the file would be larger than this system allows; free some space or raise the limit (ulimit -f)',
  EIO: 'the disk reported an error; check it',
  ENAMETOOLONG: 'the path is longer than this system allows; set AUTH_POOL_HOME to a shorter one',
  // Not Auth Pool's, where its state goes: a file where a folder belongs, or the reverse.
  EEXIST: IN_THE_WAY,
  ENOTDIR: IN_THE_WAY,
  EISDIR: IN_THE_WAY,
}

/**
 * The state folder could not be read or written (permissions, a full disk, a read-only file system).
 * Nothing was committed; the state file is as it was.
 */
export class StoreIoError extends Error {
  readonly code = 'STORE_IO' as const
  constructor(
    readonly folder: string,
    readonly ioError: NodeJS.ErrnoException,
  ) {
    super(
      `could not use the state folder ${folder} (${ioError.message}); nothing was changed: ${IO_ADVICE[ioError.code!]}`,
    )
  }

  /** `error` as a StoreIoError when a file system refused the state folder; otherwise `error` itself. */
  static from(error: unknown, folder: string): unknown {
    const code = (error as NodeJS.ErrnoException | undefined)?.code
    return error instanceof Error && typeof code === 'string' && Object.hasOwn(IO_ADVICE, code)
      ? new StoreIoError(folder, error as NodeJS.ErrnoException)
      : error
  }
}
