import { findExecutable } from './executable'
import { spawnProcess } from '../system/spawn'

export interface TerminalPlan {
  readonly command: string
  readonly args: string[]
  /** Where the terminal is started (some terminals take the folder as an argument as well). */
  readonly cwd: string
}

/**
 * How to open a terminal running `argv` in `cwd`. A `terminalCommand` setting wins: a command line
 * with `{cwd}` and `{command}` placeholders (`{command}` expands to the argv, as separate arguments).
 * Otherwise: Linux tries $TERMINAL, x-terminal-emulator, gnome-terminal, konsole, xterm; macOS uses
 * Terminal.app; Windows uses Windows Terminal, then cmd.
 */
export function planTerminal(
  argv: readonly string[],
  cwd: string,
  options: {
    readonly setting: string | null
    readonly env: NodeJS.ProcessEnv
    readonly platform: NodeJS.Platform
    readonly find?: (name: string) => string | undefined
  },
): TerminalPlan | { readonly error: string } {
  const find = options.find ?? ((name: string) => findExecutable(name, options.env, options.platform))
  if (options.setting) {
    const words = splitCommandLine(options.setting)
    const [head, ...rest] = words
    if (!head) return { error: 'the terminal command setting is empty' }
    const args = rest.flatMap((w) => (w === '{command}' ? [...argv] : [w.replaceAll('{cwd}', cwd)]))
    if (!rest.includes('{command}')) args.push(...argv)
    const command = find(head)
    return command
      ? { command, args, cwd }
      : { error: `the terminal command setting names ${head}, which is not on PATH` }
  }
  if (options.platform === 'darwin') {
    const script = `cd ${appleQuote(cwd)} && ${argv.map(appleQuote).join(' ')}`
    return {
      command: '/usr/bin/osascript',
      args: [
        '-e',
        `tell application "Terminal" to do script ${JSON.stringify(script)}`,
        '-e',
        'tell application "Terminal" to activate',
      ],
      cwd,
    }
  }
  if (options.platform === 'win32') {
    const wt = find('wt')
    if (wt) return { command: wt, args: ['-d', cwd, ...argv], cwd }
    return { command: options.env.ComSpec ?? 'cmd.exe', args: ['/c', 'start', '', 'cmd', '/k', ...argv], cwd }
  }
  const candidates: [string | undefined, (cmd: string[]) => string[]][] = [
    [options.env.TERMINAL, (cmd) => ['-e', ...cmd]],
    ['x-terminal-emulator', (cmd) => ['-e', ...cmd]],
    ['gnome-terminal', (cmd) => [`--working-directory=${cwd}`, '--', ...cmd]],
    ['konsole', (cmd) => ['--workdir', cwd, '-e', ...cmd]],
    ['xterm', (cmd) => ['-e', ...cmd]],
  ]
  for (const [name, args] of candidates) {
    const command = name ? find(name) : undefined
    if (command) return { command, args: args([...argv]), cwd }
  }
  return {
    error:
      'no terminal found ($TERMINAL, x-terminal-emulator, gnome-terminal, konsole, xterm); set "Terminal command" in Settings',
  }
}

function appleQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** Splits a command line on spaces, honouring single and double quotes. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = []
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]!)
  return words
}

/** Starts the planned terminal detached from the app; resolves once it has started (or failed to). */
export function openTerminal(plan: TerminalPlan, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnProcess(plan.command, plan.args, {
      cwd: plan.cwd,
      env,
      detached: true,
      stdio: 'ignore',
      shell: false,
    })
    child.once('error', reject)
    child.once('spawn', () => {
      child.unref()
      resolve()
    })
  })
}
