import { accessSync, constants, statSync } from 'node:fs'
import { basename, delimiter, isAbsolute, join } from 'node:path'

/** Finds an executable: an absolute path as given, else the first match on PATH. */
export function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const isExecutable = (path: string) => {
    try {
      if (!statSync(path).isFile()) return false
      accessSync(path, constants.X_OK)
      return true
    } catch {
      return false
    }
  }
  if (isAbsolute(name) || name.includes('/')) return isExecutable(name) ? name : undefined
  const extensions = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : ['']
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
    for (const ext of extensions) {
      const candidate = join(dir, name + ext)
      if (isExecutable(candidate)) return candidate
    }
  return undefined
}

/**
 * Why `path` cannot be the claude program a user chose in a file dialog, or undefined when it can: a
 * file named claude (claude.exe on Windows) that may be executed.
 */
export function claudeProgramProblem(
  path: string,
  fs: { stat(path: string): { isDirectory: boolean } | undefined },
): string | undefined {
  const name = basename(path)
  if (!/^claude(\.exe)?$/i.test(name)) return `${name} is not the claude program (a file named claude or claude.exe)`
  const stat = fs.stat(path)
  if (!stat || stat.isDirectory) return `${path} is not a file`
  if (!findExecutable(path, process.env)) return `${path} may not be executed`
  return undefined
}

/** The `claude` to run: the setting, then AUTH_POOL_CLAUDE, then PATH. */
export function resolveClaude(setting: string | null, env: NodeJS.ProcessEnv): { path: string } | { error: string } {
  const wanted = setting ?? env.AUTH_POOL_CLAUDE ?? 'claude'
  const source = setting ? 'the claudePath setting' : env.AUTH_POOL_CLAUDE ? 'AUTH_POOL_CLAUDE' : 'PATH'
  const path = findExecutable(wanted, env)
  if (path) return { path }
  return {
    error:
      source === 'PATH'
        ? 'cannot find `claude` on PATH; install Claude Code (npm install -g @anthropic-ai/claude-code) or set AUTH_POOL_CLAUDE or the claudePath setting'
        : `${wanted} (from ${source}) is not an executable file`,
  }
}
