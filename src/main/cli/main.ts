import { toErrorValue, ValidationError } from '../../shared/errors'
import type { ErrorValue } from '../../shared/result'
import { createPool, type Pool } from '../engine/pool'
import { nodeFileSystem, nodeProcesses, systemClock } from '../system/nodePorts'
import type { Notifier } from '../engine/ports'
import { createUsageService } from '../usage/usageService'
import { join } from 'node:path'
import { builtUsageWorker, defaultHome, VERSION } from '../paths'
import { createUsagePoller, tokenSourcesOf } from '../usage/usagePoller'
import { createStateStore, type StateStore } from '../store/stateStore'
import { nearest, parseCommandLine, UsageError } from './args'
import { LaunchError, type RunIo } from '../launcher/run'
import { COMMANDS, type CliContext, type Command } from './commands'
import { randomId } from '../system/random'

export interface CliIo extends RunIo {
  readonly stdout: (text: string) => void
}

/** Headless runs print notifications to stderr instead of showing them. */
const stderrNotifier = (io: CliIo): Notifier => ({
  notify: async (n) => io.stderr(`auth-pool: ${n.title}: ${n.body}`),
})

/** How long a command waits for a live process holding the state lock: AUTH_POOL_LOCK_WAIT seconds, or 30. */
function lockWaitMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.AUTH_POOL_LOCK_WAIT)
  return env.AUTH_POOL_LOCK_WAIT && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 30_000
}

export function createCliContext(io: CliIo, commandName = 'command'): CliContext & { store: StateStore } {
  const home = defaultHome(io.env)
  const store = createStateStore({
    home,
    lock: {
      command: `auth-pool ${commandName}`,
      timeoutMs: lockWaitMs(io.env),
      onWait: (holder) =>
        io.stderr(`auth-pool: waiting for process ${holder.pid} (${holder.command}), which holds the state lock`),
    },
    onRecover: (r) =>
      io.stderr(
        `auth-pool: the state file was unusable (${r.reason})` +
          (r.movedAsideTo ? `; it was moved to ${r.movedAsideTo}` : '') +
          (r.backup ? ` and the last good generation (${r.backup}) restored` : ' and a new empty pool started'),
      ),
  })
  const usage = createUsageService({
    indexDir: join(home, 'usage-index'),
    workerScript: builtUsageWorker(import.meta.url),
    home,
  })
  // A command waits at most 3 s for Anthropic's usage endpoint; a slower answer is taken next time.
  const poller = createUsagePoller({
    home,
    env: io.env,
    tokens: tokenSourcesOf(io.env),
    timeoutMs: 3_000,
    userAgent: `auth-pool/${VERSION}`,
  })
  const engine: Pool = createPool({
    newId: randomId,
    store,
    clock: systemClock,
    notifier: stderrNotifier(io),
    processes: nodeProcesses,
    fs: nodeFileSystem,
    usage,
  })
  const pollServer = async () => poller.pollDue(await store.read())
  return { engine, usage, fs: nodeFileSystem, io, store, home, pollServer }
}

const USAGE_CODES = new Set(['VALIDATION', 'NOT_FOUND', 'CONFLICT', 'USAGE'])

/** The flag a field of the engine's input was typed as, so messages name what the user typed. */
const FIELD_FLAGS: Readonly<Record<string, string>> = {
  name: '--name',
  configDir: '--config-dir',
  plan: '--plan',
  blockBudgetUsd: '--block-budget-usd',
  weeklyBudgetUsd: '--weekly-budget-usd',
  priority: '--priority',
  enabled: '--enable/--disable',
  cwd: '--cwd',
  account: '--account',
  pid: '--pid',
}

/** A validation error in the command line's words: `--config-dir: … does not exist; add --create …`. */
function inFlagTerms(error: ValidationError, command: Command): string {
  return error.issues
    .map((issue) => {
      const field = String(issue.path[0] ?? '')
      const flag = Object.hasOwn(FIELD_FLAGS, field) ? FIELD_FLAGS[field]! : field
      const create =
        field === 'configDir' && /does not exist/.test(issue.message) && 'create' in command.flags
          ? '; add --create to make it'
          : ''
      return `${flag ? `${flag}: ` : ''}${issue.message.replace(/ \(create it, or let Auth Pool create it\)/, '')}${create}`
    })
    .join('; ')
}

function usageLine(c: Command): string {
  const positionals = (c.positionals ?? []).map((p) => (p.optional ? `[${p.name}]` : p.name))
  const required = (c.required ?? []).map((f) => `--${f} ${c.flags[f]!.value ?? ''}`.trim())
  const more = Object.keys(c.flags).some((f) => !c.required?.includes(f)) ? ['[options]'] : []
  return [
    'auth-pool',
    c.name,
    ...positionals,
    ...required,
    ...more,
    ...(c.passThrough ? ['[-- claude arguments…]'] : []),
  ].join(' ')
}

function commandHelp(c: Command): string {
  const rows: [string, string][] = [
    ...(c.positionals ?? []).map((p): [string, string] => [p.name, p.help]),
    ...Object.entries(c.flags).map(([f, spec]): [string, string] => [
      `--${f}${spec.value ? ` ${spec.value}` : ''}`,
      spec.help,
    ]),
    ['-h, --help', 'show this help'],
  ]
  const width = Math.max(...rows.map(([left]) => left.length)) + 2
  return [
    `usage: ${usageLine(c)}`,
    '',
    `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
    '',
    ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`),
  ].join('\n')
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `))
  const width = Math.max(...members.map((c) => c.name.length)) + 2
  return [
    `usage: auth-pool ${group} <${members.map((c) => c.name.split(' ')[1]).join('|')}> [options]`,
    '',
    ...members.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run \`auth-pool ${group} <command> --help\` for its options.`,
  ].join('\n')
}

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2
  return [
    `auth-pool ${VERSION} — starts each Claude Code session on the subscription with headroom`,
    '',
    'usage: auth-pool <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `auth-pool <command> --help` for its options; `auth-pool --version` for the version.',
  ].join('\n')
}

/** The command named by the leading words (`accounts add`), a group's help, or a usage error with a guess. */
function resolveCommand(words: readonly string[]): { command: Command; rest: readonly string[] } | { help: string } {
  const two = words.slice(0, 2).join(' ')
  const command = COMMANDS.find((c) => c.name === two) ?? COMMANDS.find((c) => c.name === words[0])
  if (command) return { command, rest: words.slice(command.name.split(' ').length) }
  const group = words[0] !== undefined && COMMANDS.some((c) => c.name.startsWith(`${words[0]} `)) ? words[0] : undefined
  if (group && (words[1] === undefined || words[1] === '--help' || words[1] === '-h')) {
    if (words[1] === undefined) throw new UsageError(`auth-pool ${group} needs a command\n${groupHelp(group)}`)
    return { help: groupHelp(group) }
  }
  const typed = group ? two : (words[0] ?? '')
  const guess = nearest(
    typed,
    COMMANDS.map((c) => c.name).concat(group ? [] : [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))]),
  )
  throw new UsageError(
    `unknown command "${typed}"${guess ? ` — did you mean "auth-pool ${guess}"?` : ''}\nRun \`auth-pool --help\` for the commands.`,
  )
}

/** Runs one command; returns the exit code: 0 success, 1 runtime failure, 2 bad usage or input. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const dashDash = argv.indexOf('--')
  const own = dashDash === -1 ? argv : argv.slice(0, dashDash)
  const json = own.includes('--json')
  let command: Command | undefined
  try {
    if (own.length === 0 || own[0] === '--help' || own[0] === '-h' || (own[0] === 'help' && own.length === 1)) {
      io.stdout(helpText())
      return 0
    }
    if (own[0] === '--version' || own[0] === '-v') {
      io.stdout(VERSION)
      return 0
    }
    const found = resolveCommand(own[0] === 'help' ? [...own.slice(1), '--help'] : argv)
    if ('help' in found) {
      io.stdout(found.help)
      return 0
    }
    command = found.command
    const rest = found.rest
    const ownRest = dashDash === -1 ? rest : rest.slice(0, rest.length - (argv.length - dashDash))
    if (ownRest.includes('--help') || ownRest.includes('-h')) {
      io.stdout(commandHelp(command))
      return 0
    }
    const args = parseCommandLine(rest, command.flags, usageLine(command))
    const missing = (command.required ?? []).filter((f) => args.flags[f] === undefined)
    if (missing.length)
      throw new UsageError(
        `${missing.map((f) => `--${f}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required\nusage: ${usageLine(command)}`,
      )
    const allowed = command.positionals?.length ?? 0
    if (!command.passThrough && args.positionals.length > allowed)
      throw new UsageError(`unexpected argument "${args.positionals[allowed]}"\nusage: ${usageLine(command)}`)
    if (!command.passThrough && args.rest.length)
      throw new UsageError(`auth-pool ${command.name} takes nothing after --`)
    const context = createCliContext(io, command.name)
    if (command.readsUsage) {
      context.usage.setPricing((await context.engine.settings()).pricing)
      // On a first start, read the accounts' transcripts on every core before the command uses them.
      await context.usage.prime((await context.store.read()).accounts)
    }
    const output = await command.run(context, args)
    context.usage.close() // writes an index whose summary had to be recomputed (new prices)
    if ('exitCode' in output) return output.exitCode
    io.stdout(json ? JSON.stringify(output.json, null, 2) : output.text)
    return 0
  } catch (error) {
    if (error instanceof LaunchError) {
      io.stderr(`auth-pool: ${error.message}`)
      return error.exitCode
    }
    const value: ErrorValue | { code: 'USAGE'; message: string } =
      error instanceof UsageError
        ? { code: 'USAGE', message: error.message }
        : error instanceof ValidationError && command
          ? { ...error.toValue(), message: inFlagTerms(error, command) }
          : toErrorValue(error)
    if (json) io.stdout(JSON.stringify({ error: value }, null, 2))
    else if (command?.onFailure) io.stdout(command.onFailure(argv))
    io.stderr(`auth-pool: ${value.message}`)
    if (value.code === 'INTERNAL' && io.env.AUTH_POOL_DEBUG && error instanceof Error) io.stderr(error.stack ?? '')
    return USAGE_CODES.has(value.code) ? 2 : 1
  }
}
