import { mkdirSync, readFileSync, realpathSync, rmdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { processIsAlive } from './processes'
import type { Clock, FileSystem, ProcessRunner } from '../engine/ports'

/** The real clock: wall time and Node's timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms)
    handle.unref?.()
    return { cancel: () => clearTimeout(handle) }
  },
}

export const nodeProcesses: ProcessRunner = { isAlive: processIsAlive }

export const nodeFileSystem: FileSystem = {
  homedir: () => process.env.HOME || homedir(),
  cwd: () => process.cwd(),
  uid: () => (typeof process.getuid === 'function' ? process.getuid() : null),
  realpath: (path) => realpathSync.native(path),
  stat(path) {
    try {
      const s = statSync(path)
      return { isDirectory: s.isDirectory(), uid: s.uid, size: s.size, mtimeMs: s.mtimeMs }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
      throw error
    }
  },
  mkdirPrivate: (path) => void mkdirSync(path, { recursive: true, mode: 0o700 }),
  removeEmptyFolder(path) {
    try {
      rmdirSync(path)
    } catch (error) {
      // Not empty, or gone already: left as it is.
      if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
    }
  },
  readText(path) {
    try {
      return readFileSync(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  },
}
