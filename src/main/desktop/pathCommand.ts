import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'

// "Install the auth-pool command", as VS Code offers for `code`: a small script in a folder on the user's
// PATH that runs the app's own command line with the app's own runtime (Electron as Node, through
// ELECTRON_RUN_AS_NODE: that is why the RunAsNode fuse stays on), so a new terminal has `auth-pool`.

/** What the command runs: a runtime (Electron, or Node) and the built entries. */
export interface CommandRuntime {
  readonly runtime: string
  /** out/main/cli.js */
  readonly cli: string
  /** out/main/statusline.js: `auth-pool statusline` runs on every render of Claude Code's status line. */
  readonly statusline: string
}

/** Marks a script as ours, so a later install replaces it and never someone else's `auth-pool`. */
const MARKER = 'installed by Auth Pool'

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The script's file name and text for this system. */
export function launcherScript(platform: NodeJS.Platform, r: CommandRuntime): { name: string; text: string } {
  if (platform === 'win32')
    return {
      name: 'auth-pool.cmd',
      text: [
        '@echo off',
        `rem The auth-pool command of the Auth Pool app, ${MARKER}.`,
        'setlocal',
        'set ELECTRON_RUN_AS_NODE=1',
        `"${r.runtime}" "${r.cli}" %*`,
        '',
      ].join('\r\n'),
    }
  return {
    name: 'auth-pool',
    text: [
      '#!/bin/sh',
      `# The auth-pool command of the Auth Pool app, ${MARKER}.`,
      `entry=${sh(r.cli)}`,
      `if [ "$#" -eq 1 ] && [ "$1" = statusline ]; then entry=${sh(r.statusline)}; fi`,
      `ELECTRON_RUN_AS_NODE=1 exec ${sh(r.runtime)} "$entry" "$@"`,
      '',
    ].join('\n'),
  }
}

const writable = (dir: string) => {
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** Folders a command may go in, best first: the user's own, then the system's usual one. */
function candidates(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, homedir: string): string[] {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA || join(homedir, 'AppData', 'Local')
    return [join(local, 'Microsoft', 'WindowsApps')]
  }
  return [join(homedir, '.local', 'bin'), join(homedir, 'bin'), '/usr/local/bin', '/opt/homebrew/bin']
}

/** Writes the launcher script into `dir` (made if missing); its path. */
export function writeLauncher(dir: string, platform: NodeJS.Platform, runtime: CommandRuntime): string {
  const script = launcherScript(platform, runtime)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, script.name), script.text, { mode: 0o755 })
  return join(dir, script.name)
}

export interface InstallOutcome {
  /** Where the script is now, or null when it could not be written anywhere. */
  readonly path: string | null
  /** What happened, for a person: where it went, and what to do when that folder is not on PATH. */
  readonly message: string
}

/** Where our script is installed already, or null. */
export function installedCommand(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, homedir: string): string | null {
  const name = platform === 'win32' ? 'auth-pool.cmd' : 'auth-pool'
  for (const dir of candidates(platform, env, homedir)) {
    try {
      if (readFileSync(join(dir, name), 'utf8').includes(MARKER)) return join(dir, name)
    } catch {
      // not there
    }
  }
  return null
}

/**
 * Writes the launcher script into the first candidate folder that is on PATH and writable (making
 * `~/.local/bin` when it is on PATH but missing); failing that, into `~/.local/bin` with what to add to
 * PATH. Never replaces an `auth-pool` that is not ours.
 */
export function installCommand(options: {
  readonly platform: NodeJS.Platform
  readonly env: NodeJS.ProcessEnv
  readonly homedir: string
  readonly runtime: CommandRuntime
}): InstallOutcome {
  const { platform, env, homedir } = options
  const script = launcherScript(platform, options.runtime)
  const onPath = new Set((env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean))
  const dirs = candidates(platform, env, homedir)
  const write = (dir: string): string | null => {
    const path = join(dir, script.name)
    try {
      const existing = readFileSync(path, 'utf8')
      if (!existing.includes(MARKER)) return null // someone else's auth-pool: left alone
    } catch {
      // none yet
    }
    try {
      return writeLauncher(dir, platform, options.runtime)
    } catch {
      return null
    }
  }
  for (const dir of dirs.filter((d) => onPath.has(d))) {
    if (!writable(dir) && dir !== dirs[0]) continue
    const path = write(dir)
    if (path) return { path, message: `Installed ${path}: open a new terminal and run \`auth-pool --help\`.` }
  }
  const fallback = dirs[0]!
  const path = write(fallback)
  if (!path)
    return {
      path: null,
      message: `Could not write ${join(fallback, script.name)}; check that you may write to ${fallback}.`,
    }
  const add =
    platform === 'win32'
      ? `add ${fallback} to your PATH (Settings → System → About → Advanced system settings → Environment Variables)`
      : `add \`export PATH="${fallback}:$PATH"\` to your shell's startup file (~/.zshrc, ~/.bashrc)`
  return { path, message: `Installed ${path}, which is not on your PATH yet: ${add}, then open a new terminal.` }
}
