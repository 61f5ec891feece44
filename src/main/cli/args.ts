import { parseArgs } from 'node:util'

/** A command-line problem: exit code 2 and a message that says what to type instead. */
export class UsageError extends Error {
  readonly code = 'USAGE' as const
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** A flag: its kind, what its value is called in help (`DIR`), a line of help, and its parser. */
export interface FlagSpec<T = unknown> {
  readonly type: 'string' | 'boolean'
  readonly value?: string
  readonly help: string
  /** Turns the raw value into what the command wants; throws UsageError naming the flag. */
  readonly parse?: (raw: string, flag: string) => T
}

export interface PositionalSpec {
  readonly name: string
  readonly help: string
  readonly optional?: boolean
}

export type Flags = Readonly<Record<string, FlagSpec>>

export interface ParsedArgs {
  readonly flags: Readonly<Record<string, unknown>>
  readonly positionals: readonly string[]
  /** Everything after a bare `--` (and, for a pass-through command, its own words too). */
  readonly rest: readonly string[]
}

/** The Levenshtein distance between two short words, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}

/** The nearest of `known` to `word`, if it is near enough to be what was meant. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(word, candidate)
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

/**
 * Parses a command's words with Node's own parser (`--flag value`, `--flag=value`, `--`, unknown flags
 * refused), then each value with its flag's parser. A pass-through command (`run`) keeps the words it
 * does not know for Claude Code, but only after a `--`.
 */
export function parseCommandLine(argv: readonly string[], flags: Flags, usage: string): ParsedArgs {
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type }]))
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true, tokens: true })
  } catch (error) {
    throw new UsageError(explainParseError(error as NodeJS.ErrnoException, argv, Object.keys(flags), usage))
  }
  const dashDash = parsed.tokens.find((t) => t.kind === 'option-terminator')
  const rest = dashDash ? argv.slice(dashDash.index + 1) : []
  const positionals = dashDash
    ? parsed.positionals.slice(0, parsed.positionals.length - rest.length)
    : parsed.positionals
  const values: Record<string, unknown> = {}
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue
    if (token.name in values) throw new UsageError(`--${token.name} was given twice\nusage: ${usage}`)
    const spec = flags[token.name]!
    values[token.name] =
      spec.type === 'boolean' ? true : spec.parse ? spec.parse(token.value!, `--${token.name}`) : token.value
  }
  return { flags: values, positionals, rest }
}

/** Node's parse errors in this command's words: which flag, what it takes, what was probably meant. */
function explainParseError(error: NodeJS.ErrnoException, argv: readonly string[], known: string[], usage: string) {
  const flag = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1] ?? ''
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const guess = nearest(flag.replace(/^-+/, ''), known)
    return `unknown option ${flag}${guess ? ` (did you mean --${guess}?)` : ''}\nusage: ${usage}`
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = /--([a-z-]+)/.exec(error.message)?.[1]
    return name && argv.some((a) => a.startsWith(`--${name}=`))
      ? `--${name} takes no value\nusage: ${usage}`
      : `--${name ?? flag} needs a value\nusage: ${usage}`
  }
  return `${error.message}\nusage: ${usage}`
}
