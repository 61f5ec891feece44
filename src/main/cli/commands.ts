import type { Pool } from '../engine/pool'
import type { FileSystem } from '../engine/ports'
import { envLine, runClaude, type RunIo, type ShellKind } from '../launcher/run'
import { resolveClaude } from '../launcher/executable'
import type { UsageService } from '../usage/usageService'
import { usageReport, usageTable } from './usageReport'
import { parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args'
import { accountLine, sessionLine, statusText } from './format'
import { NO_ACCOUNTS_YET } from '../../shared/errors'
import { spawnProcess } from '../system/spawn'

export interface CliContext {
  readonly engine: Pool
  readonly usage: UsageService
  readonly fs: FileSystem
  readonly io: RunIo
  /** Reads accounts without a usage index yet on both cores (see UsageService.prime). */
  readonly prime: () => Promise<void>
}

/** A command that ran a child process and ends with its exit code (`run`, `login`). */
export interface CommandExit {
  readonly exitCode: number
}

export interface CommandOutput {
  /** What `--json` prints. */
  readonly json: unknown
  /** The one-line (or few-line) human summary. */
  readonly text: string
}

interface Command<S extends FlagSpec> {
  readonly usage: string
  readonly flags: S
  /** Names of the positional arguments, in order. */
  readonly positionals?: readonly string[]
  /** Arguments that are not ours go to the child (`run`): unknown words are not an error. */
  readonly passThrough?: boolean
  readonly run: (context: CliContext, args: ParsedArgs<S>) => Promise<CommandOutput | CommandExit>
}

const command = <S extends FlagSpec>(c: Command<S>) => c as unknown as Command<FlagSpec>

const accountFlags = {
  json: 'boolean',
  name: 'string',
  'config-dir': 'string',
  plan: 'string',
  'block-budget-usd': 'number',
  'weekly-budget-usd': 'number',
  priority: 'number',
  create: 'boolean',
  disable: 'boolean',
  enable: 'boolean',
} as const

function positional(args: ParsedArgs<FlagSpec>, index: number, what: string, usage: string): string {
  const value = args.positionals[index]
  if (value === undefined) throw new UsageError(`missing ${what}\nusage: ${usage}`)
  return value
}

function noExtraPositionals(args: ParsedArgs<FlagSpec>, allowed: number, usage: string): void {
  if (args.positionals.length > allowed)
    throw new UsageError(`unexpected argument "${args.positionals[allowed]}"\nusage: ${usage}`)
}

export const COMMANDS: Readonly<Record<string, Command<FlagSpec>>> = {
  'accounts add': command({
    usage:
      'auth-pool accounts add --name NAME --config-dir DIR [--plan pro|max5|max20|custom] [--block-budget-usd N] [--weekly-budget-usd N] [--priority N] [--create] [--disable] [--json]',
    flags: accountFlags,
    async run({ engine }, { flags }) {
      const account = await engine.addAccount({
        name: flags.name,
        configDir: flags['config-dir'],
        plan: flags.plan,
        blockBudgetUsd: flags['block-budget-usd'],
        weeklyBudgetUsd: flags['weekly-budget-usd'],
        priority: flags.priority,
        create: flags.create ?? false,
        enabled: !flags.disable,
      })
      return { json: account, text: `added ${account.name} (${account.plan}) at ${account.configDir}` }
    },
  }),
  'accounts list': command({
    usage: 'auth-pool accounts list [--json]',
    flags: { json: 'boolean' },
    async run({ engine }) {
      const accounts = await engine.listAccounts()
      return {
        json: accounts,
        text: accounts.length ? accounts.map(accountLine).join('\n') : NO_ACCOUNTS_YET,
      }
    },
  }),
  'accounts remove': command({
    usage: 'auth-pool accounts remove NAME [--force] [--json]   (the config directory stays on disk)',
    positionals: ['NAME'],
    flags: { json: 'boolean', force: 'boolean' },
    async run({ engine }, args) {
      const account = await engine.removeAccount(positional(args, 0, 'account name', this.usage), {
        force: args.flags.force ?? false,
      })
      return { json: account, text: `removed ${account.name}; ${account.configDir} was left on disk` }
    },
  }),
  'accounts set': command({
    usage:
      'auth-pool accounts set NAME [--name NEW] [--config-dir DIR] [--plan P] [--block-budget-usd N] [--weekly-budget-usd N] [--priority N] [--enable|--disable] [--json]',
    positionals: ['NAME'],
    flags: accountFlags,
    async run({ engine }, args) {
      const { flags } = args
      if (flags.enable && flags.disable) throw new UsageError('give --enable or --disable, not both')
      const patch = Object.fromEntries(
        Object.entries({
          name: flags.name,
          configDir: flags['config-dir'],
          plan: flags.plan,
          blockBudgetUsd: flags['block-budget-usd'],
          weeklyBudgetUsd: flags['weekly-budget-usd'],
          priority: flags.priority,
          enabled: flags.enable ? true : flags.disable ? false : undefined,
        }).filter(([, v]) => v !== undefined),
      )
      if (Object.keys(patch).length === 0) throw new UsageError(`nothing to change\nusage: ${this.usage}`)
      const account = await engine.updateAccount(positional(args, 0, 'account name', this.usage), patch)
      return { json: account, text: `updated ${account.name}` }
    },
  }),
  allocate: command({
    usage: 'auth-pool allocate [--cwd DIR] [--account NAME] [--pid N] [--json]',
    flags: { json: 'boolean', cwd: 'string', account: 'string', pid: 'number' },
    async run({ engine }, { flags }) {
      const a = await engine.allocate({ cwd: flags.cwd, account: flags.account, pid: flags.pid })
      return {
        json: {
          session: { id: a.session.id, accountId: a.account.id },
          account: { id: a.account.id, name: a.account.name, configDir: a.account.configDir },
          reason: a.reason,
          notice: a.notice,
        },
        text: `${a.notice ? `${a.notice}\n` : ''}session ${a.session.id} on ${a.account.name} (${a.reason}); CLAUDE_CONFIG_DIR=${a.account.configDir}`,
      }
    },
  }),
  release: command({
    usage: 'auth-pool release SESSION_ID [--json]',
    positionals: ['SESSION_ID'],
    flags: { json: 'boolean' },
    async run({ engine }, args) {
      const session = await engine.release(positional(args, 0, 'session id', this.usage))
      return { json: session, text: `session ${session.id} ${session.status}` }
    },
  }),
  sessions: command({
    usage: 'auth-pool sessions [--account NAME] [--active] [--json]',
    flags: { json: 'boolean', account: 'string', active: 'boolean' },
    async run({ engine }, { flags }) {
      const [sessions, accounts] = await Promise.all([
        engine.sessions({ account: flags.account, activeOnly: flags.active ?? false }),
        engine.listAccounts(),
      ])
      const names = new Map(accounts.map((a) => [a.id, a.name]))
      return {
        json: sessions,
        text: sessions.length
          ? sessions.map((s) => sessionLine(s, names.get(s.accountId) ?? s.accountId)).join('\n')
          : 'no sessions',
      }
    },
  }),
  status: command({
    usage: 'auth-pool status [--json]',
    flags: { json: 'boolean' },
    async run({ engine }) {
      const status = await engine.status()
      return { json: status, text: statusText(status) }
    },
  }),
  prefer: command({
    usage:
      'auth-pool prefer NAME|auto [--json]   (the account new sessions use while it has headroom, as picked in the tray)',
    positionals: ['NAME'],
    flags: { json: 'boolean' },
    async run({ engine }, args) {
      const name = positional(args, 0, 'account name or "auto"', this.usage)
      const id = await engine.setPreferredAccount(name.toLowerCase() === 'auto' ? null : name)
      return {
        json: { preferredAccountId: id },
        text: id ? `new sessions prefer ${name}` : 'new sessions go to the best available account',
      }
    },
  }),
  usage: command({
    usage: 'auth-pool usage [--account NAME] [--since ISO] [--json]',
    flags: { json: 'boolean', account: 'string', since: 'string' },
    async run(context, { flags }) {
      const since = flags.since === undefined ? undefined : Date.parse(flags.since)
      if (since !== undefined && !Number.isFinite(since))
        throw new UsageError(`--since must be an ISO date or time, got "${flags.since}"`)
      const report = await usageReport(context, { account: flags.account, since })
      return { json: report, text: usageTable(report) }
    },
  }),
  run: command({
    usage: 'auth-pool run [--account NAME] [--cwd DIR] [--any-account] [--keep-api-key] -- [claude arguments…]',
    flags: { account: 'string', cwd: 'string', 'any-account': 'boolean', 'keep-api-key': 'boolean' },
    passThrough: true,
    async run(context, { flags, rest, positionals }) {
      const exitCode = await runClaude(
        context.engine,
        context.fs,
        {
          account: flags.account,
          cwd: flags.cwd,
          anyAccount: flags['any-account'],
          keepApiKey: flags['keep-api-key'],
          claudeArgs: [...positionals, ...rest],
        },
        context.io,
      )
      return { exitCode }
    },
  }),
  env: command({
    usage:
      'auth-pool env [--account NAME] [--cwd DIR] [--shell posix|fish|powershell]   (use: eval "$(auth-pool env)")',
    flags: { account: 'string', cwd: 'string', shell: 'string', json: 'boolean' },
    async run({ engine }, { flags }) {
      const shell = (flags.shell ?? 'posix') as ShellKind
      if (!['posix', 'fish', 'powershell'].includes(shell))
        throw new UsageError(`--shell must be posix, fish or powershell, got "${flags.shell}"`)
      const { account, notice } = await engine.pick({ account: flags.account, cwd: flags.cwd ?? process.cwd() })
      const line = envLine(account.configDir, shell)
      return {
        json: { account: { id: account.id, name: account.name, configDir: account.configDir }, notice, line },
        text: line,
      }
    },
  }),
  login: command({
    usage: "auth-pool login NAME   (runs Claude Code's login for that account in this terminal)",
    positionals: ['NAME'],
    flags: {},
    async run(context, args) {
      const account = (await context.engine.pick({ account: positional(args, 0, 'account name', this.usage) })).account
      const claude = resolveClaude((await context.engine.settings()).claudePath, context.io.env)
      if ('error' in claude) throw new UsageError(claude.error)
      const child = spawnProcess(claude.path, ['auth', 'login'], {
        stdio: 'inherit',
        env: { ...context.io.env, CLAUDE_CONFIG_DIR: account.configDir },
        shell: false,
      })
      const code = await new Promise<number>((done) => {
        child.once('error', () => done(1))
        child.once('exit', (c) => done(c ?? 1))
      })
      return { exitCode: code }
    },
  }),
  notifications: command({
    usage:
      'auth-pool notifications [--check] [--json]   (--check evaluates the rules now; what fires is printed to stderr)',
    flags: { json: 'boolean', check: 'boolean' },
    async run({ engine }, { flags }) {
      if (flags.check) await engine.evaluateRules()
      const history = await engine.notifications()
      return {
        json: history,
        text: history.length
          ? history.map((n) => `${n.at}  ${n.delivery.padEnd(11)}  ${n.title} — ${n.body}`).join('\n')
          : 'no notifications yet',
      }
    },
  }),
  reconcile: command({
    usage: 'auth-pool reconcile [--json]   (end sessions whose process is gone, move folders off exhausted accounts)',
    flags: { json: 'boolean' },
    async run({ engine }) {
      const outcome = await engine.reconcile()
      return {
        json: outcome,
        text: `reaped ${outcome.reaped + outcome.expired}, reassigned ${outcome.reassigned}, pruned ${outcome.pruned}`,
      }
    },
  }),
}

/** Finds the command named by the leading words of argv ("accounts add", "status"). */
export function resolveCommand(argv: readonly string[]): { name: string; command: Command<FlagSpec>; rest: string[] } {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ')
    const found = COMMANDS[name]
    if (found && argv.length >= words) return { name, command: found, rest: argv.slice(words) }
  }
  throw new UsageError(
    argv.length === 0 ? helpText() : `unknown command "${argv.slice(0, 2).join(' ')}"\n${helpText()}`,
  )
}

export function helpText(): string {
  return ['usage: auth-pool <command> [options]', '', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n')
}

export function parseCommandArgs(command: Command<FlagSpec>, argv: readonly string[]): ParsedArgs<FlagSpec> {
  const args = parseArgs(argv, command.flags, command.usage)
  if (!command.passThrough) noExtraPositionals(args, command.positionals?.length ?? 0, command.usage)
  return args
}
