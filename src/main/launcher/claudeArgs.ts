/** What a `claude` command line asks for, as far as choosing an account goes. */
export interface ClaudeIntent {
  /** `--resume <id>` / `-r <id>` / `--resume=<id>`: the session to resume, if an id was given. */
  readonly resume: string | null
  /** `--continue` / `-c`: the latest conversation of this folder. */
  readonly continue: boolean
}

export function claudeIntent(args: readonly string[]): ClaudeIntent {
  let resume: string | null = null
  let cont = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') break
    if (arg === '--continue' || arg === '-c') cont = true
    else if (arg.startsWith('--resume=')) resume = arg.slice('--resume='.length) || null
    else if (arg === '--resume' || arg === '-r') {
      const next = args[i + 1]
      if (next !== undefined && !next.startsWith('-')) resume = next
    }
  }
  return { resume, continue: cont }
}
