import { isAbsolute, resolve, sep } from 'node:path'
import { ValidationError } from '../../shared/errors'
import type { FileSystem } from './ports'

export interface ResolvedConfigDir {
  /** Absolute and normalized, as spelled (symlinks kept). */
  readonly path: string
  /** Symlinks resolved. */
  readonly real: string
  readonly created: boolean
}

export interface ConfigDirOptions {
  /** Create the directory (0700) when it is missing. */
  readonly create?: boolean
  /** Field name used in error paths. */
  readonly field?: string
}

/**
 * Turns what a user typed into the absolute, normalized path of a directory they own, as they spelled it
 * (no trailing separator): Claude Code names an account's macOS Keychain entry by a hash of that very
 * string, so a symlink is kept, not resolved. `real` is where it leads, to tell two accounts on one
 * directory apart.
 * `~` and `~/…` expand to the home directory (the seed's regex rejected `~/valid-path/.claude-config`);
 * `~other/…` is refused rather than guessed; a `..` segment is refused so a path cannot climb out of
 * where it appears to point.
 */
export function resolveConfigDir(input: string, fs: FileSystem, options: ConfigDirOptions = {}): ResolvedConfigDir {
  const field = options.field ?? 'configDir'
  try {
    return resolveChecked(input, fs, field, options.create ?? false)
  } catch (error) {
    if (error instanceof ValidationError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (typeof code === 'string') throw ValidationError.field(field, `cannot be used: ${(error as Error).message}`)
    throw error
  }
}

function resolveChecked(input: string, fs: FileSystem, field: string, create: boolean): ResolvedConfigDir {
  const fail = (message: string): never => {
    throw ValidationError.field(field, message)
  }
  const raw = input.trim()
  if (raw === '') fail('must not be empty')
  if (raw.includes('\0')) fail('must not contain a NUL character')
  let expanded = raw
  if (raw === '~' || raw.startsWith('~/') || raw.startsWith('~\\')) expanded = fs.homedir() + raw.slice(1)
  else if (raw.startsWith('~'))
    fail(`"${raw.split(/[\\/]/)[0]}" (another user's home) is not supported; give the full path`)
  if (expanded.split(/[\\/]+/).includes('..')) fail('must not contain ".." segments; give the path without them')
  const absolute = isAbsolute(expanded) ? resolve(expanded) : resolve(fs.cwd(), expanded)
  let stat = fs.stat(absolute)
  const created = !stat && create
  if (created) {
    fs.mkdirPrivate(absolute)
    stat = fs.stat(absolute)
  }
  if (!stat) fail(`${absolute} does not exist`)
  const real = fs.realpath(absolute)
  const realStat = fs.stat(real)
  if (!realStat?.isDirectory) fail(`${real} is not a directory`)
  const uid = fs.uid()
  if (uid !== null && realStat!.uid !== uid) fail(`${real} belongs to another user (uid ${realStat!.uid})`)
  const strip = (p: string) => (p.length > 1 && p.endsWith(sep) && !/^[A-Za-z]:[\\/]$/.test(p) ? p.slice(0, -1) : p)
  return { path: strip(absolute), real: strip(real), created }
}
