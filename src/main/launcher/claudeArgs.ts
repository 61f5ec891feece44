/** What a `claude` command line asks for, as far as choosing an account and recording a session go. */
export interface ClaudeIntent {
  /** `--resume <id>` / `-r <id>` / `--resume=<id>`: the session to resume, if an id was given. */
  readonly resume: string | null
  /** `--continue` / `-c`: the latest conversation of this folder. */
  readonly continue: boolean
  /**
   * Whether it starts (or resumes) a conversation, which is what Auth Pool records as a session: not a
   * subcommand (`mcp`, `doctor`, `update` …) nor `--version` or `--help`.
   */
  readonly conversation: boolean
}

/**
 * Claude Code's subcommands (`claude --help`, 2.1.x; `config` and `migrate-installer` from older
 * versions). None of them starts a conversation here: a background agent is recorded by the run that
 * started it, and `attach` reopens one already running.
 */
const SUBCOMMANDS = new Set([
  'agents',
  'attach',
  'auth',
  'auto-mode',
  'config',
  'doctor',
  'gateway',
  'import',
  'install',
  'logs',
  'mcp',
  'migrate-installer',
  'plugin',
  'plugins',
  'purge',
  'respawn',
  'rm',
  'setup-token',
  'stop',
  'kill',
  'ultrareview',
  'update',
  'upgrade',
])
const INFO_FLAGS = new Set(['-v', '--version', '-h', '--help'])

export function claudeIntent(args: readonly string[]): ClaudeIntent {
  let resume: string | null = null
  let cont = false
  let info = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') break
    if (INFO_FLAGS.has(arg)) info = true
    else if (arg === '--continue' || arg === '-c') cont = true
    else if (arg.startsWith('--resume=')) resume = arg.slice('--resume='.length) || null
    else if (arg === '--resume' || arg === '-r') {
      const next = args[i + 1]
      if (next !== undefined && !next.startsWith('-')) resume = next
    }
  }
  const subcommand = args[0] !== undefined && SUBCOMMANDS.has(args[0])
  return { resume, continue: cont, conversation: !subcommand && !info }
}
