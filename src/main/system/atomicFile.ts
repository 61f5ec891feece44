import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { processIsAlive } from './processes'

export interface AtomicWriteOptions {
  readonly mode?: number
  /** fsync the file and its folder (false for caches, which a crash may lose). */
  readonly durable?: boolean
  /** Runs after every byte is on disk, just before the rename (the store rotates its backups there). */
  readonly beforeRename?: () => void
}

/**
 * Writes a file the way a crash cannot half-write it: a temp file beside it (`<name>.tmp-<pid>-<random>`),
 * every byte written (a full disk makes a write fall short first, then fail: the error is thrown, never a
 * short file renamed in), fsync, rename, fsync of the folder so the rename itself survives a power cut.
 * On failure the temp file is removed and `path` is left as it was. `data` may come in parts.
 *
 * Our own rather than write-file-atomic: that library neither syncs the folder nor names its temp files
 * so that a later run can tell a dead writer's leftovers from a backup (see removeStaleTempFiles).
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
  options: AtomicWriteOptions = {},
): void {
  const durable = options.durable ?? true
  const temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
  const fd = openSync(temp, 'wx', options.mode ?? 0o600)
  let renamed = false
  try {
    try {
      // Given a descriptor, writeFileSync writes at its current position and loops until every byte is written.
      if (Array.isArray(data)) for (const part of data) writeFileSync(fd, part)
      else writeFileSync(fd, data as string | Uint8Array)
      if (durable) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    options.beforeRename?.()
    renameSync(temp, path)
    renamed = true
  } finally {
    if (!renamed) unlinkQuietly(temp)
  }
  if (durable) syncFolder(dirname(path))
}

/** fsync of a folder, where the system allows one (Windows does not open folders). */
function syncFolder(folder: string): void {
  if (process.platform === 'win32') return
  const fd = openSync(folder, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Already gone, or the folder went with it; a leftover is swept by removeStaleTempFiles.
  }
}

/**
 * Removes the temp files a killed writer left beside `path` (`<name>.tmp-<pid>-…`, and whatever other
 * `markers` the caller names the same way): those of processes that are gone, and any older than
 * `olderThanMs`. Returns how many went.
 */
export function removeStaleTempFiles(
  path: string,
  olderThanMs: number,
  markers: readonly string[] = ['.tmp-'],
): number {
  const dir = dirname(path)
  const name = basename(path)
  let removed = 0
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(name)) continue
    const marker = markers.find((m) => entry.includes(m, name.length))
    if (!marker) continue
    const pid = Number(entry.slice(entry.indexOf(marker, name.length) + marker.length).split('-')[0])
    const full = join(dir, entry)
    try {
      const old = Date.now() - statSync(full).mtimeMs > olderThanMs
      if (!old && Number.isInteger(pid) && pid > 0 && processIsAlive(pid)) continue // still being written
      unlinkSync(full)
      removed++
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return removed
}
