/** A command-line problem: exit code 2 and a message that says what to type instead. */
export class UsageError extends Error {
  readonly code = 'USAGE' as const
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export type FlagType = 'string' | 'number' | 'boolean'
export type FlagSpec = Readonly<Record<string, FlagType>>
export type ParsedFlags<S extends FlagSpec> = {
  [K in keyof S]?: S[K] extends 'string' ? string : S[K] extends 'number' ? number : boolean
}

export interface ParsedArgs<S extends FlagSpec> {
  readonly flags: ParsedFlags<S>
  readonly positionals: string[]
  /** Everything after a bare `--`. */
  readonly rest: string[]
}

/**
 * Parses `--flag value`, `--flag=value` and boolean `--flag` against a spec; anything unknown, a
 * missing value or a non-number where a number is expected is a UsageError naming the flag.
 */
export function parseArgs<S extends FlagSpec>(argv: readonly string[], spec: S, usage: string): ParsedArgs<S> {
  const flags: Record<string, string | number | boolean> = {}
  const positionals: string[] = []
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      i++
      break
    }
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    const type = spec[name]
    if (!type) throw new UsageError(`unknown option --${name}\nusage: ${usage}`)
    if (type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value\nusage: ${usage}`)
      flags[name] = true
      continue
    }
    let value: string | undefined
    if (eq !== -1) value = arg.slice(eq + 1)
    else {
      value = argv[i + 1]
      if (value === undefined || (value.startsWith('--') && value.length > 2))
        throw new UsageError(`--${name} needs a value\nusage: ${usage}`)
      i++
    }
    if (name in flags) throw new UsageError(`--${name} given twice`)
    if (type === 'number') {
      const n = Number(value)
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`)
      flags[name] = n
    } else flags[name] = value
  }
  return { flags: flags as ParsedFlags<S>, positionals, rest: argv.slice(i) }
}
