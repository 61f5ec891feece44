import { basename } from 'node:path'
import { findExecutable } from './executable'
import { spawnProcess } from '../system/spawn'

export interface TerminalPlan {
  readonly command: string
  readonly args: string[]
  /** Where the terminal starts: the folder is given here, never inside a command string. */
  readonly cwd: string
  /** Windows only: the arguments are already quoted for cmd.exe, which parses its own command line. */
  readonly verbatim?: boolean
}

/** A terminal Auth Pool knows how to start: its program and its arguments around `{cwd}` and `{command}`. */
export interface KnownTerminal {
  readonly id: string
  readonly name: string
  readonly platforms: readonly NodeJS.Platform[]
  /** A template: `{command}` stands for the command's words, `{cwd}` for the folder, inside one argument. */
  readonly template: string
}

const UNIX: readonly NodeJS.Platform[] = ['linux', 'freebsd', 'openbsd', 'darwin']
export const KNOWN_TERMINALS: readonly KnownTerminal[] = [
  {
    id: 'gnome-terminal',
    name: 'GNOME Terminal',
    platforms: ['linux', 'freebsd'],
    template: 'gnome-terminal --working-directory={cwd} -- {command}',
  },
  { id: 'konsole', name: 'Konsole', platforms: ['linux', 'freebsd'], template: 'konsole --workdir {cwd} -e {command}' },
  {
    id: 'xfce4-terminal',
    name: 'Xfce Terminal',
    platforms: ['linux', 'freebsd'],
    template: 'xfce4-terminal --working-directory={cwd} -x {command}',
  },
  { id: 'kitty', name: 'kitty', platforms: UNIX, template: 'kitty --directory {cwd} {command}' },
  { id: 'alacritty', name: 'Alacritty', platforms: UNIX, template: 'alacritty --working-directory {cwd} -e {command}' },
  { id: 'wezterm', name: 'WezTerm', platforms: UNIX, template: 'wezterm start --cwd {cwd} -- {command}' },
  { id: 'foot', name: 'foot', platforms: ['linux', 'freebsd'], template: 'foot --working-directory={cwd} {command}' },
  {
    id: 'x-terminal-emulator',
    name: 'The default terminal (x-terminal-emulator)',
    platforms: ['linux'],
    template: 'x-terminal-emulator -e {command}',
  },
  { id: 'xterm', name: 'xterm', platforms: ['linux', 'freebsd', 'openbsd'], template: 'xterm -e {command}' },
]

/** The programs a terminal setting may name: a known terminal's (the renderer may not choose any other). */
export const isKnownTerminalProgram = (program: string) =>
  KNOWN_TERMINALS.some((t) => t.template.split(' ')[0] === basename(program).replace(/\.exe$/i, ''))

/** Fills a template: `{command}` becomes the command's words, `{cwd}` the folder, each within one argument. */
function fill(template: string, argv: readonly string[], cwd: string): { program: string; args: string[] } {
  const [program, ...words] = splitCommandLine(template)
  const args = words.flatMap((w) => (w === '{command}' ? [...argv] : [w.replaceAll('{cwd}', cwd)]))
  if (!words.includes('{command}')) args.push(...argv)
  return { program: program ?? '', args }
}

/** One argument of a command line cmd.exe parses: quoted, and refused where it cannot be said safely. */
function cmdQuote(arg: string): string | undefined {
  // Inside quotes cmd.exe leaves & | < > ^ alone; it still expands %VAR% and cannot take a quote.
  return /["%\r\n]/.test(arg) ? undefined : `"${arg}"`
}

/**
 * How to open a terminal running `argv` in `cwd`, which is always the terminal's working directory and
 * never part of a string a shell parses. A `terminalCommand` setting wins: a known terminal's id, or a
 * template with `{cwd}` and `{command}`. Otherwise: Linux tries $TERMINAL, x-terminal-emulator,
 * gnome-terminal, konsole, xterm; macOS uses Terminal.app; Windows uses Windows Terminal, then cmd.
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
    const known = KNOWN_TERMINALS.find((t) => t.id === options.setting)
    const { program, args } = fill(known?.template ?? options.setting, argv, cwd)
    if (!program) return { error: 'the terminal command setting is empty' }
    const command = find(program)
    return command ? { command, args, cwd } : { error: `the terminal setting names ${program}, which is not on PATH` }
  }
  if (options.platform === 'darwin') {
    // Terminal.app runs a shell command: the folder goes in single-quoted, the script as an AppleScript string.
    const script = `cd ${shellQuote(cwd)} && ${argv.map(shellQuote).join(' ')}`
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
    // Windows Terminal splits its command line on ";": the folder is "." (its working directory), and a
    // ";" in a word is escaped as wt asks.
    if (wt) return { command: wt, args: ['-d', '.', ...argv.map((a) => a.replaceAll(';', '\\;'))], cwd }
    const quoted = argv.map(cmdQuote)
    if (quoted.some((q) => q === undefined))
      return {
        error: 'a path holds a % or " character, which cmd.exe cannot be given safely; install Windows Terminal',
      }
    // start opens a console in this folder; /s makes cmd strip just the outer quotes around the command.
    return {
      command: options.env.ComSpec ?? 'cmd.exe',
      args: ['/d', '/s', '/c', `start "" cmd /s /k "${quoted.join(' ')}"`],
      cwd,
      verbatim: true,
    }
  }
  const candidates = [
    options.env.TERMINAL ? `${options.env.TERMINAL} -e {command}` : undefined,
    ...['x-terminal-emulator', 'gnome-terminal', 'konsole', 'xterm'].map(
      (id) => KNOWN_TERMINALS.find((t) => t.id === id)!.template,
    ),
  ]
  for (const template of candidates) {
    if (!template) continue
    const { program, args } = fill(template, argv, cwd)
    const command = find(program)
    if (command) return { command, args, cwd }
  }
  return {
    error: 'no terminal found ($TERMINAL, x-terminal-emulator, gnome-terminal, konsole, xterm); choose one in Settings',
  }
}

function shellQuote(word: string): string {
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
      windowsVerbatimArguments: plan.verbatim ?? false,
    })
    child.once('error', reject)
    child.once('spawn', () => {
      child.unref()
      resolve()
    })
  })
}
