import { lstatSync, mkdirSync, statSync } from 'node:fs'
import { userInfo } from 'node:os'
import { StoreRefusedError } from './errors'

/** Whose files the store may use: the current user's, or nobody's in particular where the system has no uids. */
export interface Ownership {
  /** The current user's uid, or null where files have no owner to check (Windows). */
  uid(): number | null
}

export const processOwnership: Ownership = {
  uid: () => (typeof process.getuid === 'function' ? process.getuid() : null),
}

const describeOwner = (uid: number) => `uid ${uid}${uid === userInfo().uid ? ` (${userInfo().username})` : ''}`

/**
 * Refuses a file another user owns, or a symlink, at `path`: another local user could otherwise put their
 * own document or lock in front of ours (a state file whose claudePath runs their program). Throws
 * StoreRefusedError naming the path and its owner. Returns the file's identity (inode, size, modification
 * time: every commit renames a new file in, so any write changes it), or undefined when there is none.
 */
export function ownedFileStamp(path: string, ownership: Ownership, what: string): string | undefined {
  let stat
  try {
    stat = lstatSync(path, { bigint: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  if (stat.isSymbolicLink()) throw new StoreRefusedError(path, `the ${what} is a symbolic link`)
  const mine = ownership.uid()
  if (mine !== null && stat.uid !== BigInt(mine))
    throw new StoreRefusedError(
      path,
      `the ${what} belongs to ${describeOwner(Number(stat.uid))}, not to ${describeOwner(mine)}`,
    )
  return `${stat.ino}:${stat.size}:${stat.mtimeNs}`
}

/** Makes the home (0700, with any missing parents) and refuses one another user owns. */
export function ensureHome(home: string, ownership: Ownership): void {
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const mine = ownership.uid()
  const owner = statSync(home).uid // the home itself may be a link to a folder of the user's
  if (mine !== null && owner !== mine)
    throw new StoreRefusedError(home, `the folder belongs to ${describeOwner(owner)}, not to ${describeOwner(mine)}`)
}
