import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Writes a file the way a crash cannot half-write it: temp file, every byte written (a full disk or a
 * file-size limit makes a write fall short first, then fail: the error is thrown, never a short file
 * renamed in), fsync (unless a cache), rename. On failure the temp file is removed and `path` is left as
 * it was. `data` may come in parts, written one after the other (no copy into one buffer first).
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
  mode = 0o600,
  fsync = true,
): void {
  const temp = `${path}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  const fd = openSync(temp, 'w', mode)
  let renamed = false
  try {
    try {
      // Given a descriptor, writeFileSync writes at its current position (the parts follow each other)
      // and loops until every byte is written.
      if (Array.isArray(data)) for (const part of data) writeFileSync(fd, part)
      else writeFileSync(fd, data as string | Uint8Array)
      if (fsync) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, path)
    renamed = true
  } finally {
    if (!renamed) unlinkQuietly(temp)
  }
}

/**
 * Runs `create`, which makes a file in `folder`; if the folder is not there (not made yet, or removed
 * meanwhile: ENOENT), makes it (owner-only) and runs `create` once more.
 */
export function makingFolder<T>(folder: string, create: () => T): T {
  try {
    return create()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    return create()
  }
}

/** As writeFileAtomic, for a file whose folder may not be there (see makingFolder). */
export function writeFileAtomicMakingFolder(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
  mode = 0o600,
  fsync = true,
): void {
  makingFolder(dirname(path), () => writeFileAtomic(path, data, mode, fsync))
}

/**
 * Writes a file in place (created or truncated, written, closed: no temp file, no rename), for files
 * whose readers verify them and take a torn one for none (answers carry a digest or fail to parse), or
 * whose existence is the message (an empty marker). The rename costs its caller 30–100 µs on this
 * project's machines, inside the lock for answers. On failure the file is removed.
 */
export function writeFileDirect(path: string, data: string, mode = 0o600): void {
  const fd = openSync(path, 'w', mode)
  let written = false
  try {
    writeFileSync(fd, data) // loops until every byte is written
    written = true
  } finally {
    closeSync(fd)
    if (!written) unlinkQuietly(path)
  }
}

/** When the file at `path` was last modified (ms); 0, as old as can be, when it is not there (or cannot be looked at). */
export function modifiedAt(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return 0
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Already gone, or the folder went with it; a leftover is swept by removeStaleTempFiles.
  }
}

/** Removes temp files a killed writer left beside `path` (ours and conf's `atomically` both use `.tmp-`). */
export function removeStaleTempFiles(path: string, olderThanMs: number): number {
  const dir = dirname(path)
  const prefix = `${basename(path)}.tmp-`
  let removed = 0
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue
    const full = join(dir, name)
    try {
      if (Date.now() - statSync(full).mtimeMs > olderThanMs) {
        unlinkSync(full)
        removed++
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return removed
}
